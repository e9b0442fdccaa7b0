import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LvsConfig, VirtualServer, RealServer } from '../lvs-cf/model.ts';
import { cloneTable, desired, diff, plan, record, type CheckerView, type Table } from './director.ts';
import { RAMP_STEP_MS } from './checkers/weights.ts';

// Models are built directly (defaults as lvs-cf/model.ts documents them) so these tests exercise the
// director alone; the integration tests go through real lvs.cf files.
function rs(name: string, address: string, port: number, weight = 1, extra: Partial<RealServer> = {}): RealServer {
  return { name, address, port, weight, active: true, line: 0, ...extra };
}
function vs(name: string, address: string, port: number, servers: RealServer[], extra: Partial<VirtualServer> = {}): VirtualServer {
  return {
    kind: 'virtual', name, active: true, address, device: 'eth0:1', vip_nmask: null, sorry_server: null, fwmark: 0,
    protocol: 'tcp', port, scheduler: 'wlc', persistent: 0, pmask: null, send: null, expect: null, use_regex: false,
    send_program: null, load_monitor: null, timeout: 6, reentry: 15, quiesce_server: false, client_monitor: null,
    start_cmd: null, stop_cmd: null, servers, line: 0, ...extra,
  };
}
function cfg(virtuals: VirtualServer[], extra: Partial<LvsConfig> = {}): LvsConfig {
  return {
    serial_no: 1, primary: '10.0.0.1', primary_private: null, primary_shared: null, backup: null, backup_private: null,
    backup_shared: null, backup_active: false, heartbeat: true, heartbeat_port: 539, keepalive: 6, deadtime: 18,
    rsh_command: 'rsh', network: 'nat', nat_router: null, nat_nmask: null, service: 'lvs', reservation_conflict_action: null,
    debug_level: 'NONE', monitor_links: 0, syncdaemon: false, syncd_iface: 'eth0', syncd_id: 0, tcp_timeout: 0,
    tcpfin_timeout: 0, udp_timeout: 0, hard_shutdown: true, active_cmd: null, inactive_cmd: null, ipvsadm: '/sbin/ipvsadm',
    sync: false, virtuals, failovers: [], ...extra,
  };
}
const up = (extra: Partial<CheckerView> = {}): CheckerView => ({ state: 'up', upSince: 0, reentered: false, wasUp: true, ...extra });
const down = (wasUp = true): CheckerView => ({ state: 'down', upSince: null, reentered: false, wasUp });
function allUp(model: LvsConfig): Map<string, CheckerView> {
  return new Map(plan(model).targets.map((t) => [t.key, up()]));
}
function tableOf(model: LvsConfig, states = allUp(model), now = 0): Table {
  return desired(model, plan(model), states, now).table;
}
function reals(t: Table, key: string): [string, number][] {
  return [...(t.get(key)?.reals.values() ?? [])].map((r) => [`${r.address}:${r.port}`, r.weight]);
}

test('one service per active virtual with an address, keyed like IPVS', () => {
  const m = cfg([
    vs('web', '192.168.1.10', 80, [rs('a', '10.0.0.2', 80, 3), rs('b', '10.0.0.3', 8080, 1)]),
    vs('dns', '192.168.1.10', 53, [rs('d', '10.0.0.4', 53)], { protocol: 'udp', scheduler: 'rr' }),
    vs('marked', '192.168.1.11', 443, [rs('m', '10.0.0.5', 443)], { fwmark: 7, persistent: 300, pmask: '255.255.255.0' }),
    vs('off', '192.168.1.12', 80, [rs('o', '10.0.0.6', 80)], { active: false }),
    vs('noaddr', '0.0.0.0', 80, []),
  ]);
  const p = plan(m);
  assert.deepEqual(p.services.map((s) => s.spec.key), ['tcp|192.168.1.10|80', 'udp|192.168.1.10|53', 'fwm|7']);
  assert.deepEqual(p.services[2].spec, {
    key: 'fwm|7', name: 'marked', protocol: 'tcp', address: '192.168.1.11', port: 443, fwmark: 7, scheduler: 'wlc', persistent: 300, pmask: '255.255.255.0',
  });
  assert.equal(p.services[0].spec.pmask, null);
  assert.match(p.problems.map((x) => x.message).join('\n'), /noaddr has no address/);
  const t = tableOf(m);
  assert.deepEqual(reals(t, 'tcp|192.168.1.10|80'), [['10.0.0.2:80', 3], ['10.0.0.3:8080', 1]]);
  assert.equal(t.get('tcp|192.168.1.10|80')!.reals.get('10.0.0.2:80')!.method, 'm');
});

test('pmask is dropped without persistence, forwarding method follows network', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80)], { pmask: '255.255.0.0', persistent: 0 })], { network: 'direct' });
  const t = tableOf(m);
  assert.equal(t.get('tcp|1.1.1.1|80')!.spec.pmask, null);
  assert.equal(t.get('tcp|1.1.1.1|80')!.reals.get('2.2.2.2:80')!.method, 'g');
  assert.equal(tableOf(cfg(m.virtuals, { network: 'tunnel' })).get('tcp|1.1.1.1|80')!.reals.get('2.2.2.2:80')!.method, 'i');
});

test('two virtuals on the same key: the first wins, the second is a problem', () => {
  const m = cfg([vs('first', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80)]), vs('second', '1.1.1.1', 80, [rs('b', '3.3.3.3', 80)])]);
  const p = plan(m);
  assert.equal(p.services.length, 1);
  assert.equal(p.services[0].spec.name, 'first');
  assert.deepEqual(p.problems, [{ service: 'second', message: 'virtual server second maps to the same service (tcp|1.1.1.1|80) as first; only first is served' }]);
  assert.deepEqual(p.targets.map((t) => t.server), ['a']);
});

test('inactive real servers and duplicates get no checker', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80), rs('b', '2.2.2.3', 80, 1, { active: false }), rs('c', '2.2.2.2', 80)])]);
  const p = plan(m);
  assert.deepEqual(p.targets.map((t) => t.server), ['a']);
  assert.match(p.problems[0].message, /c of v repeats 2\.2\.2\.2:80/);
  assert.equal(p.targets[0].spec.timeoutSec, 6);
  assert.equal(p.targets[0].spec.reentrySec, 15);
});

test('only servers that are up are in the table; pending and down ones are not', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80), rs('b', '2.2.2.3', 80), rs('c', '2.2.2.4', 80)])]);
  const keys = plan(m).targets.map((t) => t.key);
  const states = new Map([[keys[0], up()], [keys[1], down()], [keys[2], { state: 'pending', upSince: null, reentered: false, wasUp: false } as CheckerView]]);
  assert.deepEqual(reals(tableOf(m, states), 'tcp|1.1.1.1|80'), [['2.2.2.2:80', 1]]);
});

test('quiesce_server keeps a failed server at weight 0, but only one that was up before', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80, 5), rs('b', '2.2.2.3', 80, 5)], { quiesce_server: true })]);
  const keys = plan(m).targets.map((t) => t.key);
  const d = desired(m, plan(m), new Map([[keys[0], down(true)], [keys[1], down(false)]]), 0);
  assert.deepEqual(reals(d.table, 'tcp|1.1.1.1|80'), [['2.2.2.2:80', 0]]);
  assert.equal(d.weights.get(keys[0]), 0);
  assert.equal(d.weights.has(keys[1]), false);
});

test('sorry server takes over at the VIP port with weight 1 when no real server is up, and leaves when one returns', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 8080, 4)], { sorry_server: '9.9.9.9', quiesce_server: true })]);
  const [key] = plan(m).targets.map((t) => t.key);
  // Quiesced at weight 0 still counts as "none up": the sorry server joins it.
  assert.deepEqual(reals(tableOf(m, new Map([[key, down()]])), 'tcp|1.1.1.1|80'), [['2.2.2.2:8080', 0], ['9.9.9.9:80', 1]]);
  assert.deepEqual(reals(tableOf(m, new Map()), 'tcp|1.1.1.1|80'), [['9.9.9.9:80', 1]]);
  assert.deepEqual(reals(tableOf(m, new Map([[key, up()]])), 'tcp|1.1.1.1|80'), [['2.2.2.2:8080', 4]]);
});

test('a re-entered server ramps like nanny: weight>>5 doubling every step; a first entry does not', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80, 100)])]);
  const p = plan(m);
  const [key] = p.targets.map((t) => t.key);
  const at = (now: number) => desired(m, p, new Map([[key, up({ reentered: true, upSince: 1000 })]]), now);
  assert.equal(at(1000).weights.get(key), 3);
  assert.equal(at(1000).rampInProgress, true);
  assert.equal(at(1000 + RAMP_STEP_MS).weights.get(key), 6);
  assert.equal(at(1000 + 6 * RAMP_STEP_MS).weights.get(key), 100);
  assert.equal(at(1000 + 6 * RAMP_STEP_MS).rampInProgress, false);
  assert.equal(desired(m, p, new Map([[key, up({ upSince: 1000 })]]), 1000).weights.get(key), 100);
});

test('diff: new table is services then their reals; removal is one deleteService', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80, 2)])]);
  const t = tableOf(m);
  const ops = diff(new Map(), t);
  assert.deepEqual(ops.map((o) => o.op), ['addService', 'addReal']);
  assert.deepEqual(diff(t, new Map()), [{ op: 'deleteService', key: 'tcp|1.1.1.1|80' }]);
  assert.deepEqual(diff(t, cloneTable(t)), []);
});

test('diff: scheduler, persistence and pmask changes are one editService, not delete+add', () => {
  const v = vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80)]);
  const before = tableOf(cfg([v]));
  for (const change of [{ scheduler: 'rr' as const }, { persistent: 60 }, { persistent: 60, pmask: '255.255.255.0' }]) {
    const ops = diff(before, tableOf(cfg([{ ...v, ...change }])));
    assert.equal(ops.length, 1, JSON.stringify(change));
    assert.equal(ops[0].op, 'editService');
  }
});

test('diff: real server added, removed, weight edited, method edited', () => {
  const v = vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80, 1), rs('b', '2.2.2.3', 80, 1)]);
  const before = tableOf(cfg([v]));
  const after = tableOf(cfg([{ ...v, servers: [rs('a', '2.2.2.2', 80, 7), rs('c', '2.2.2.4', 80, 1)] }]));
  assert.deepEqual(diff(before, after), [
    { op: 'deleteReal', key: 'tcp|1.1.1.1|80', address: '2.2.2.3', port: 80 },
    { op: 'editReal', key: 'tcp|1.1.1.1|80', real: { address: '2.2.2.2', port: 80, weight: 7, method: 'm' } },
    { op: 'addReal', key: 'tcp|1.1.1.1|80', real: { address: '2.2.2.4', port: 80, weight: 1, method: 'm' } },
  ]);
  const direct = tableOf(cfg([v], { network: 'direct' }));
  assert.deepEqual(diff(before, direct).map((o) => o.op), ['editReal', 'editReal']);
});

test('diff: one weight change among 1,000 virtual servers × 20 reals is exactly one operation', () => {
  const virtuals: VirtualServer[] = [];
  for (let i = 0; i < 1000; i++) {
    const servers = Array.from({ length: 20 }, (_, j) => rs(`r${j}`, `10.${i >> 8}.${i & 255}.${j + 1}`, 80, 10));
    virtuals.push(vs(`v${i}`, `192.168.${i >> 8}.${i & 255}`, 80, servers));
  }
  const m1 = cfg(virtuals);
  const states = allUp(m1);
  const before = tableOf(m1, states);
  const changed = virtuals.map((v, i) => (i === 617 ? { ...v, servers: v.servers.map((s, j) => (j === 13 ? { ...s, weight: 11 } : s)) } : v));
  const ops = diff(before, tableOf(cfg(changed), states));
  assert.deepEqual(ops, [{ op: 'editReal', key: 'tcp|192.168.2.105|80', real: { address: '10.2.105.14', port: 80, weight: 11, method: 'm' } }]);
});

test('record applies operations so that diffing again is empty', () => {
  const v = vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80, 1), rs('b', '2.2.2.3', 80, 1)]);
  const target = tableOf(cfg([{ ...v, scheduler: 'sh', servers: [rs('a', '2.2.2.2', 80, 9), rs('c', '2.2.2.4', 80)] }, vs('w', '1.1.1.2', 80, [])]));
  const current = tableOf(cfg([v, vs('gone', '1.1.1.9', 80, [])]));
  for (const op of diff(current, target)) record(current, op);
  assert.deepEqual(diff(current, target), []);
  assert.deepEqual([...current.keys()].sort(), [...target.keys()].sort());
});
