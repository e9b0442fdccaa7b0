// What the checks report: a CheckerInfo per checked real server with its weight in the dataplane,
// one log line per state change of a check (naming the real servers that share it) and an event
// per real server, an event when only a weight changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckerReports } from './checker-reports.ts';
import { CheckerPool, type RealState } from './checkers/pool.ts';
import { proposalOf } from './config-state.ts';
import { parseConfigText } from './config.ts';
import { targetsOf } from './service-plan.ts';
import type { Table } from './director.ts';
import type { AgentEvent } from './protocol/index.ts';
import { lvsCf, type TestVirtual } from '../testing/lvs-cf.ts';

const host = { name: 'a', address: '10.0.0.2', port: 80, weight: 4 };
const vip = (n: number, servers = [host]): TestVirtual => ({ name: `web${n}`, vip: `192.168.1.${n}`, port: 80, servers });
const p = proposalOf(parseConfigText(lvsCf({ virtuals: [vip(1), vip(2, [host, { name: 'b', address: '10.0.0.3', port: 80, weight: 1 }]), vip(3), vip(4), vip(5)] }), 'lvs.cf'), 'lvs.cf');
assert.ok(p.ok);
const config = p.config;
const targets = [...targetsOf(config.plan)];
const shared = targets[0]!.check;
const alone = targets.find((t) => t.server === 'b')!.check;

function reports(applied: Table = new Map()) {
  const pool = new CheckerPool({ timers: { set: () => 0, clear: () => {} }, jitter: false });
  pool.update([...config.plan.checks.values()].map((c) => c.spec));
  const events: AgentEvent[] = [];
  const log: string[] = [];
  const r = new CheckerReports({ pool, config: () => config, applied: () => applied, emit: (e) => events.push(e), listening: () => true, log: (m) => log.push(m) });
  return { r, events, log, pool };
}

const state = (key: string, over: Partial<RealState> = {}): RealState => ({
  key, state: 'down', since: 0, lastResult: 'fail', lastCheck: 0, lastError: 'connect ECONNREFUSED', upSince: null, reentered: false, wasUp: true, flaps: 0, reason: null, lastLatencyMs: null, ...over,
});

test('info: a checked real server with its check\'s state and the weight it has in the dataplane', () => {
  const applied: Table = new Map([['tcp|192.168.1.1|80', { spec: config.plan.services[0]!.spec, reals: new Map([['10.0.0.2:80', { address: '10.0.0.2', port: 80, weight: 1, method: 'm' as const }]]) }]]);
  const { r, pool } = reports(applied);
  const info = r.info(targets[0]!)!;
  assert.equal(info.virtual, 'web1');
  assert.equal(info.server, 'a');
  assert.equal(info.state, 'pending');
  assert.equal(info.weight, 1);
  assert.equal(info.check, 'HTTP GET / (default)');
  assert.equal(r.info(targets[1]!)!.weight, 0, 'not in the table');
  pool.stop();
});

test('a check alone: one log line naming its real server, one event', () => {
  const { r, events, log, pool } = reports();
  assert.deepEqual(r.stateChanged(state(alone)), ['tcp|192.168.1.2|80']);
  assert.deepEqual(log, ['real server b (10.0.0.3:80) of web2 is down: connect ECONNREFUSED']);
  assert.equal(events.length, 1);
  assert.equal(r.stateChanged(state('tcp|1.1.1.1|1>2.2.2.2:2')), null, 'a check no longer configured');
  assert.equal(events.length, 1);
  pool.stop();
});

test('a shared check: one log line for the host, one event and one service per real server', () => {
  const { r, events, log, pool } = reports();
  assert.deepEqual(r.stateChanged(state(shared, { state: 'up', lastError: null })), ['tcp|192.168.1.1|80', 'tcp|192.168.1.2|80', 'tcp|192.168.1.3|80', 'tcp|192.168.1.4|80', 'tcp|192.168.1.5|80']);
  assert.deepEqual(log, ['real server 10.0.0.2:80 (5 real servers: a of web1, a of web2, a of web3 and 2 more) is up']);
  assert.deepEqual(events.map((e) => e.event === 'checker' && e.data.virtual), ['web1', 'web2', 'web3', 'web4', 'web5']);
  pool.stop();
});

test('weights: an event for each real server whose weight an applied operation changed', () => {
  const { r, events, pool } = reports();
  r.weightsChanged([{ op: 'addService', service: config.plan.services[0]!.spec }]);
  assert.equal(events.length, 0);
  r.weightsChanged([{ op: 'editReal', key: 'tcp|192.168.1.2|80', real: { address: '10.0.0.3', port: 80, weight: 0, method: 'm' } }]);
  assert.deepEqual(events.map((e) => e.event === 'checker' && `${e.data.server} of ${e.data.virtual}`), ['b of web2']);
  pool.stop();
});
