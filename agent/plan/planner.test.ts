// The plan of a change: given a configuration the agent runs (its live table as the director built
// it) and an edit made with the lvs-cf library, the plan from the edit's hunks (only the virtual
// servers they touch) lists exactly the operations the plan of the whole new file lists, and a
// global change is planned from the whole file. Then the cases a console meets: a stale base, hunks
// that do not fit, an invalid proposal, new real servers waiting for their check, a stopped router.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edit, type Edit } from '../../lvs-cf/index.ts';
import { proposalOf, versionOf, type Configuration } from '../config-state.ts';
import { parseConfigText } from '../config.ts';
import { desired, type CheckerView, type Table } from '../director.ts';
import { targetsOf } from '../service-plan.ts';
import type { RealState } from '../checkers/pool.ts';
import type { ServiceStats } from '../dataplane/types.ts';
import { BadChangeError, ConfigInvalidError, StaleBaseError } from '../errors.ts';
import { lvsCf } from '../../testing/lvs-cf.ts';
import { planChange, type PlannerDeps } from './planner.ts';
import fc from 'fast-check';
import type { PlanResult } from '../protocol/index.ts';

const BASE = lvsCf({
  serial: 10,
  virtuals: [
    { name: 'web', vip: '192.168.1.250', port: 80, scheduler: 'wlc', servers: [{ name: 'a', address: '10.0.0.2', weight: 3 }, { name: 'b', address: '10.0.0.3', weight: 1 }] },
    { name: 'mail', vip: '192.168.1.250', port: 25, servers: [{ name: 'm1', address: '10.0.0.4' }, { name: 'm2', address: '10.0.0.5', active: false }] },
    // Maps to web's service: web wins, this one is a problem until web goes.
    { name: 'web_copy', vip: '192.168.1.250', port: 80, servers: [{ name: 'c', address: '10.0.0.9' }] },
    { name: 'dns', vip: '192.168.1.251', port: 53, protocol: 'udp', active: false, servers: [{ name: 'd', address: '10.0.0.6' }] },
  ],
});

function configuration(text: string): Configuration {
  const p = proposalOf(parseConfigText(text, 'lvs.cf'), 'lvs.cf');
  assert.ok(p.ok);
  return p.config;
}

const UP: RealState = { key: '', state: 'up', since: 0, lastResult: 'ok', lastCheck: 0, lastError: null, upSince: 0, reentered: false, wasUp: true, flaps: 0, reason: null, lastLatencyMs: null };

/** The agent running `config` with every checked server up: its live table is the director's. */
function running(config: Configuration, over: Partial<PlannerDeps> = {}, states: Record<string, RealState['state']> = {}): PlannerDeps {
  const checked = new Set(config.plan.checks.keys());
  const stateOf = (key: string): RealState | undefined => (checked.has(key) ? { ...UP, key, state: states[key] ?? 'up', upSince: states[key] === 'down' ? null : 0 } : undefined);
  const up: CheckerView = { state: 'up', upSince: 0, reentered: false, wasUp: true };
  const table = desired(config.plan, (k) => (checked.has(k) ? up : undefined), 1000).table;
  return {
    current: () => config,
    path: '/etc/sysconfig/ha/lvs.cf',
    checker: stateOf,
    live: async (keys) => stats(table, keys),
    directing: () => true,
    role: () => 'standalone',
    now: () => 1000,
    ...over,
  };
}

function stats(table: Table, keys: ReadonlySet<string> | null): ServiceStats[] {
  const out: ServiceStats[] = [];
  for (const [key, s] of table) {
    if (keys && !keys.has(key)) continue;
    out.push({ ...s.spec, problem: null, reals: [...s.reals.values()].map((r) => ({ ...r, activeConns: 0, inactiveConns: 0, connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 })) });
  }
  return out;
}

/** The change of `edits` (with the serial bump every console save makes) as text and hunks. */
function change(edits: Edit[]) {
  const r = edit(BASE, [...edits, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 11 }]);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  return r;
}

const sorted = (p: PlanResult) => p.operations.map((o) => o.text).sort();

const EDITS: [string, Edit[], string[]][] = [
  ['one weight', [{ op: 'set', target: { scope: 'server', virtual: 0, server: 0 }, key: 'weight', value: 0 }], ['set real server a 10.0.0.2:80 of web to weight 0 (from 3)']],
  ['deactivate a real server', [{ op: 'setActive', target: { scope: 'server', virtual: 1, server: 0 }, active: false }], ['remove real server m1 10.0.0.4:25 from mail']],
  ['activate a real server', [{ op: 'setActive', target: { scope: 'server', virtual: 1, server: 1 }, active: true }], ['add real server m2 10.0.0.5:25 to mail, weight 1 (once its first health check passes)']],
  ['the scheduler', [{ op: 'set', target: { scope: 'virtual', virtual: 0 }, key: 'scheduler', value: 'rr' }], ['change service TCP 192.168.1.250:80 (web) from wlc to rr']],
  ['persistence', [{ op: 'set', target: { scope: 'virtual', virtual: 1 }, key: 'persistent', value: 300 }], ['change service TCP 192.168.1.250:25 (mail) from wlc to wlc, persistent 300 s']],
  ['the port: a new service', [{ op: 'set', target: { scope: 'virtual', virtual: 1 }, key: 'port', value: 2525 }], [
    // m1 has no port of its own: it follows the virtual server's.
    'add real server m1 10.0.0.4:2525 to mail, weight 1 (once its first health check passes)',
    'add service TCP 192.168.1.250:2525 (mail), wlc',
    'remove service TCP 192.168.1.250:25 (mail) and its 1 real server',
  ]],
  ['remove a virtual server: its duplicate takes the service', [{ op: 'removeVirtual', virtual: 0 }], [
    'add real server c 10.0.0.9:80 to web_copy, weight 1 (once its first health check passes)',
    'change service TCP 192.168.1.250:80 (web_copy) from wlc to wlc',
    'remove real server a 10.0.0.2:80 from web',
    'remove real server b 10.0.0.3:80 from web',
  ]],
  ['activate a virtual server', [{ op: 'setActive', target: { scope: 'virtual', virtual: 3 }, active: true }], [
    'add real server d 10.0.0.6:53 to dns, weight 1 (once its first health check passes)',
    'add service UDP 192.168.1.251:53 (dns), wlc',
  ]],
  ['add a virtual server (inactive: nothing changes)', [{ op: 'addVirtual', name: 'new_virtual' }], []],
  ['add a real server (inactive: nothing changes)', [{ op: 'addServer', virtual: 0, name: 'new_server' }], []],
  ['rename a real server: the same table', [{ op: 'renameServer', virtual: 0, server: 1, name: 'bee' }], []],
  ['two virtual servers at once', [
    { op: 'set', target: { scope: 'server', virtual: 0, server: 1 }, key: 'weight', value: 5 },
    { op: 'set', target: { scope: 'server', virtual: 1, server: 0 }, key: 'weight', value: 7 },
  ], ['set real server b 10.0.0.3:80 of web to weight 5 (from 1)', 'set real server m1 10.0.0.4:25 of mail to weight 7 (from 1)']],
];

for (const [what, edits, expected] of EDITS) {
  test(`plan of a change from its hunks = plan of the whole new file: ${what}`, async () => {
    const config = configuration(BASE);
    const r = change(edits);
    const scoped = await planChange(running(config), { base: versionOf(config), hunks: r.patch });
    const whole = await planChange(running(config), { text: r.text });
    assert.equal(scoped.scope, 'changed');
    assert.equal(whole.scope, 'whole');
    assert.deepEqual(sorted(scoped), expected);
    assert.deepEqual(sorted(scoped), sorted(whole));
    assert.equal(scoped.serial, 11);
    assert.ok(scoped.services <= 2, `compared ${scoped.services} services`);
  });
}

test('a global change is planned from the whole file: network direct → nat changes every real server\'s forwarding', async () => {
  const config = configuration(BASE);
  const r = change([{ op: 'set', target: { scope: 'global' }, key: 'network', value: 'nat' }, { op: 'set', target: { scope: 'global' }, key: 'nat_router', value: '10.0.0.254 eth1:1' }]);
  const p = await planChange(running(config), { base: versionOf(config), hunks: r.patch });
  assert.equal(p.scope, 'whole');
  assert.deepEqual(p.notes, ['Planned from the whole file: the change sets the global "network".']);
  assert.equal(p.operations.length, 3);
  assert.ok(p.operations.every((o) => o.op === 'editReal'));
});

test('a base the agent does not have is E_STALE; hunks that do not fit are refused; an invalid proposal is E_CONFIG_INVALID', async () => {
  const config = configuration(BASE);
  const r = change([{ op: 'set', target: { scope: 'server', virtual: 0, server: 0 }, key: 'weight', value: 2 }]);
  await assert.rejects(planChange(running(config, { path: '/nonexistent/lvs.cf' }), { base: 'f'.repeat(64), hunks: r.patch }), (e) => e instanceof StaleBaseError && /a version of lvs\.cf this agent does not have \(it runs serial 10/.test(e.message));
  const bad = [{ ...r.patch[0]!, removed: 'something else' }];
  await assert.rejects(planChange(running(config), { base: versionOf(config), hunks: bad }), (e) => e instanceof BadChangeError && /hunk 1 does not remove what the file holds there/.test(e.message));
  const past = [{ start: BASE.length + 5, end: BASE.length + 5, removed: '', inserted: 'x\n' }];
  await assert.rejects(planChange(running(config), { base: versionOf(config), hunks: past }), /reaches past the end/);
  // A change that breaks the file: the block no longer parses alone, and the whole file says why.
  const start = BASE.indexOf('     port = 80\n');
  const broken = [{ start, end: start + 15, removed: '     port = 80\n', inserted: '     port = eighty\n' }];
  await assert.rejects(planChange(running(config), { base: versionOf(config), hunks: broken }), (e) => e instanceof ConfigInvalidError && /eighty/.test(e.message));
});

test('down real servers are named; a router that does not direct changes nothing', async () => {
  const config = configuration(BASE);
  const r = change([{ op: 'set', target: { scope: 'server', virtual: 0, server: 1 }, key: 'weight', value: 4 }]);
  const downKey = [...targetsOf(config.plan)].find((t) => t.server === 'b')!.check;
  // b is down: not in the table, so its new weight changes nothing now.
  const deps = running(config, {}, { [downKey]: 'down' });
  const live = await deps.live(null);
  const withoutB = live.map((s) => ({ ...s, reals: s.reals.filter((x) => x.address !== '10.0.0.3') }));
  const p = await planChange({ ...deps, live: async (keys) => withoutB.filter((s) => !keys || keys.has(s.key)) }, { base: versionOf(config), hunks: r.patch });
  assert.deepEqual(p.operations, []);
  assert.deepEqual(p.notes, ['Real server b (10.0.0.3:80) of web is down: it stays out of the table until its health check passes.']);
  const stopped = await planChange(running(config, { directing: () => false, live: async () => [] }), { base: versionOf(config), hunks: r.patch });
  assert.deepEqual(stopped.operations, []);
  assert.match(stopped.notes.join(' '), /does not direct traffic now \(LVS is stopped\)/);
  // web_copy shares the service the change touches: its problem is part of the plan.
  assert.deepEqual(stopped.problems.map((x) => x.service), ['web_copy']);
});

test('the operations carry the names, the weights before and after, and the wait for a first check', async () => {
  const config = configuration(BASE);
  const r = change([
    { op: 'set', target: { scope: 'server', virtual: 0, server: 0 }, key: 'weight', value: 0 },
    { op: 'addServer', virtual: 0, name: 'c2', fields: { address: '10.0.0.8', active: true, weight: 2 } },
  ]);
  const p = await planChange(running(config), { base: versionOf(config), hunks: r.patch });
  assert.deepEqual(p.operations.map(({ op, service, virtual, real, server, weight, afterCheck }) => ({ op, service, virtual, real, server, weight, afterCheck })), [
    { op: 'editReal', service: 'tcp|192.168.1.250|80', virtual: 'web', real: '10.0.0.2:80', server: 'a', weight: { from: 3, to: 0 }, afterCheck: false },
    { op: 'addReal', service: 'tcp|192.168.1.250|80', virtual: 'web', real: '10.0.0.8:80', server: 'c2', weight: { from: null, to: 2 }, afterCheck: true },
  ]);
  assert.deepEqual(p.problems, [{ service: 'web_copy', message: 'virtual server web_copy maps to the same service (tcp|192.168.1.250|80) as web; only web is served' }]);
});

test('a change of the file on disk the agent has not loaded is planned from the whole file, and says so', async (t) => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'lvs.cf');
  const config = configuration(BASE);
  // Saved but not loaded: web's b at weight 6.
  const saved = edit(BASE, [{ op: 'set', target: { scope: 'server', virtual: 0, server: 1 }, key: 'weight', value: 6 }]);
  assert.ok(saved.ok);
  await writeFile(path, saved.text);
  const next = edit(saved.text, [{ op: 'set', target: { scope: 'server', virtual: 1, server: 0 }, key: 'weight', value: 9 }]);
  assert.ok(next.ok);
  const { createHash } = await import('node:crypto');
  const base = createHash('sha256').update(saved.text).digest('hex');
  const p = await planChange(running(config, { path }), { base, hunks: next.patch });
  assert.equal(p.scope, 'whole');
  assert.deepEqual(sorted(p), ['set real server b 10.0.0.3:80 of web to weight 6 (from 1)', 'set real server m1 10.0.0.4:25 of mail to weight 9 (from 1)']);
  assert.match(p.notes[0]!, /has not loaded .*lvs\.cf as it is now \(it runs serial 10\)/);
});

test('property: for random edits (one to three) of random virtual servers, the plan from the hunks lists what the whole-file plan lists', async () => {
  const config = configuration(BASE);
  const model = config.model!;
  const server = fc.integer({ min: 0, max: model.virtuals.length - 1 }).chain((v) =>
    fc.record({ v: fc.constant(v), s: fc.integer({ min: 0, max: Math.max(0, model.virtuals[v]!.servers.length - 1) }) }),
  );
  const anEdit: fc.Arbitrary<Edit> = fc.oneof(
    server.chain(({ v, s }) => fc.integer({ min: 0, max: 9 }).map((w): Edit => ({ op: 'set', target: { scope: 'server', virtual: v, server: s }, key: 'weight', value: w }))),
    server.chain(({ v, s }) => fc.boolean().map((a): Edit => ({ op: 'setActive', target: { scope: 'server', virtual: v, server: s }, active: a }))),
    server.map(({ v }): Edit => ({ op: 'setActive', target: { scope: 'virtual', virtual: v }, active: !model.virtuals[v]!.active })),
    server.chain(({ v }) => fc.constantFrom('rr', 'wlc', 'lc', 'sh').map((x): Edit => ({ op: 'set', target: { scope: 'virtual', virtual: v }, key: 'scheduler', value: x }))),
    server.chain(({ v }) => fc.constantFrom(25, 80, 2525).map((x): Edit => ({ op: 'set', target: { scope: 'virtual', virtual: v }, key: 'port', value: x }))),
    server.map(({ v }): Edit => ({ op: 'addServer', virtual: v, name: 'added', fields: { address: '10.0.1.1', active: true } })),
    server.map(({ v, s }): Edit => ({ op: 'removeServer', virtual: v, server: s })),
    server.map(({ v }): Edit => ({ op: 'removeVirtual', virtual: v })),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(anEdit, { minLength: 1, maxLength: 3 }), async (e) => {
      const r = edit(BASE, [...e, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 11 }]);
      if (!r.ok) return; // an edit the file refuses (e.g. removing a server that does not exist) plans nothing
      const scoped = await planChange(running(config), { base: versionOf(config), hunks: r.patch });
      const whole = await planChange(running(config), { text: r.text });
      assert.equal(scoped.scope, 'changed');
      assert.deepEqual(sorted(scoped), sorted(whole), JSON.stringify(e));
    }),
    { numRuns: 150 },
  );
});
