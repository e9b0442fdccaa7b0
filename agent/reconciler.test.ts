// The reconciler, given a configuration, the checkers' verdicts, the time and a table: produces the
// wanted table and the operations from the given table to it. Pure, so the "from" table may be what
// the agent applied, or a live table that someone changed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcile, type ReconcileInput } from './reconciler.ts';
import { proposalOf, type Configuration } from './config-state.ts';
import { parseConfigText } from './config.ts';
import { cloneTable, record, type CheckerView, type Table } from './director.ts';
import { targetsOf } from './service-plan.ts';
import { lvsCf, type TestVirtual } from '../testing/lvs-cf.ts';

const web: TestVirtual = {
  name: 'web', vip: '192.168.1.250', port: 80,
  servers: [
    { name: 'a', address: '10.0.0.2', port: 80, weight: 1 },
    { name: 'b', address: '10.0.0.3', port: 80, weight: 2 },
  ],
};

function configuration(text: string): Configuration {
  const p = proposalOf(parseConfigText(text, 'lvs.cf'), 'lvs.cf');
  assert.ok(p.ok);
  return p.config;
}

const up: CheckerView = { state: 'up', upSince: 0, reentered: false, wasUp: true };
const down: CheckerView = { state: 'down', upSince: null, reentered: false, wasUp: true };

/** Each check in the state `views` gives for the real server of that name (up when not named). */
function input(config: Configuration, views: Record<string, CheckerView> = {}, directing = true): ReconcileInput {
  const states = new Map([...targetsOf(config.plan)].map((t) => [t.check, views[t.server] ?? up]));
  return { config, directing, states: (k) => states.get(k), now: 1_000_000 };
}

/** The table after applying every operation of a reconciliation to `from`. */
function applied(from: Table, ops: ReturnType<typeof reconcile>['ops']): Table {
  const t = cloneTable(from);
  for (const op of ops) record(t, op);
  return t;
}

const describe = (ops: ReturnType<typeof reconcile>['ops']) =>
  ops.map((o) => (o.op === 'addService' || o.op === 'editService' ? `${o.op} ${o.service.key}` : 'real' in o ? `${o.op} ${o.real.address} w${o.real.weight}` : `${o.op} ${'address' in o ? o.address : o.key}`));

test('from nothing: the service, then its real servers that are up, with their weights', () => {
  const config = configuration(lvsCf({ virtuals: [web] }));
  const r = reconcile(input(config, { b: down }), new Map());
  assert.deepEqual(describe(r.ops), ['addService tcp|192.168.1.250|80', 'addReal 10.0.0.2 w1']);
  assert.equal(r.ramping.size, 0);
  assert.deepEqual(reconcile(input(config, { b: down }), applied(new Map(), r.ops)).ops, [], 'applied, nothing more to do');
});

test('not directing: every service of the given table is removed, one operation each', () => {
  const config = configuration(lvsCf({ virtuals: [web] }));
  const full = applied(new Map(), reconcile(input(config), new Map()).ops);
  const r = reconcile(input(config, {}, false), full);
  assert.deepEqual(describe(r.ops), ['deleteService tcp|192.168.1.250|80']);
  assert.equal(r.table.size, 0);
});

test('a proposed configuration against a table, without adopting anything: one changed weight is one operation', () => {
  const current = configuration(lvsCf({ virtuals: [web] }));
  const table = applied(new Map(), reconcile(input(current), new Map()).ops);
  const proposed = configuration(lvsCf({ virtuals: [{ ...web, servers: [web.servers[0]!, { ...web.servers[1]!, weight: 7 }] }] }));
  assert.deepEqual(describe(reconcile(input(proposed), table).ops), ['editReal 10.0.0.3 w7']);
});

test('a live table changed by hand (a real server removed, a weight changed): the operations that restore it', () => {
  const config = configuration(lvsCf({ virtuals: [web] }));
  const live = applied(new Map(), reconcile(input(config), new Map()).ops);
  const svc = live.get('tcp|192.168.1.250|80')!;
  svc.reals.delete('10.0.0.2:80');
  svc.reals.get('10.0.0.3:80')!.weight = 9;
  assert.deepEqual(describe(reconcile(input(config), live).ops), ['addReal 10.0.0.2 w1', 'editReal 10.0.0.3 w2']);
});
