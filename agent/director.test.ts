import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LvsConfig, VirtualServer } from '../lvs-cf/model.ts';
import { cloneTable, desired, diff, record, type CheckerView, type Table } from './director.ts';
import { plan as planOf, targetsOf, type CheckTarget, type Plan } from './service-plan.ts';
import { RAMP_STEP_MS } from './checkers/weights.ts';

import { cfg, rs, vs } from '../testing/model.ts';

const up = (extra: Partial<CheckerView> = {}): CheckerView => ({ state: 'up', upSince: 0, reentered: false, wasUp: true, ...extra });
const down = (wasUp = true): CheckerView => ({ state: 'down', upSince: null, reentered: false, wasUp });
const plan = (model: LvsConfig): Plan & { targets: CheckTarget[] } => {
  const p = planOf(model).plan;
  return { ...p, targets: [...targetsOf(p)] };
};
/** The states of the checks of `model`'s plan, each `view`. */
function allUp(model: LvsConfig): Map<string, CheckerView> {
  return new Map(plan(model).targets.map((t) => [t.check, up()]));
}
function tableOf(model: LvsConfig, states = allUp(model), now = 0): Table {
  return desired(plan(model), (k) => states.get(k), now).table;
}
function reals(t: Table, key: string): [string, number][] {
  return [...(t.get(key)?.reals.values() ?? [])].map((r) => [`${r.address}:${r.port}`, r.weight]);
}

test('pmask is dropped without persistence, forwarding method follows network', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80)], { pmask: '255.255.0.0', persistent: 0 })], { network: 'direct' });
  const t = tableOf(m);
  assert.equal(t.get('tcp|1.1.1.1|80')!.spec.pmask, null);
  assert.equal(t.get('tcp|1.1.1.1|80')!.reals.get('2.2.2.2:80')!.method, 'g');
  assert.equal(tableOf(cfg(m.virtuals, { network: 'tunnel' })).get('tcp|1.1.1.1|80')!.reals.get('2.2.2.2:80')!.method, 'i');
});

test('only servers that are up are in the table; pending and down ones are not', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80), rs('b', '2.2.2.3', 80), rs('c', '2.2.2.4', 80)])]);
  const keys = plan(m).targets.map((t) => t.check);
  const states = new Map([[keys[0], up()], [keys[1], down()], [keys[2], { state: 'pending', upSince: null, reentered: false, wasUp: false } as CheckerView]]);
  assert.deepEqual(reals(tableOf(m, states), 'tcp|1.1.1.1|80'), [['2.2.2.2:80', 1]]);
});

test('quiesce_server keeps a failed server at weight 0, but only one that was up before', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80, 5), rs('b', '2.2.2.3', 80, 5)], { quiesce_server: true })]);
  const keys = plan(m).targets.map((t) => t.check);
  const states = new Map([[keys[0]!, down(true)], [keys[1]!, down(false)]]);
  const d = desired(plan(m), (k) => states.get(k), 0);
  assert.deepEqual(reals(d.table, 'tcp|1.1.1.1|80'), [['2.2.2.2:80', 0]]);
});

test('sorry server takes over at the VIP port with weight 1 when no real server is up, and leaves when one returns', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 8080, 4)], { sorry_server: '9.9.9.9', quiesce_server: true })]);
  const [key] = plan(m).targets.map((t) => t.check);
  // Quiesced at weight 0 still counts as "none up": the sorry server joins it.
  assert.deepEqual(reals(tableOf(m, new Map([[key, down()]])), 'tcp|1.1.1.1|80'), [['2.2.2.2:8080', 0], ['9.9.9.9:80', 1]]);
  assert.deepEqual(reals(tableOf(m, new Map()), 'tcp|1.1.1.1|80'), [['9.9.9.9:80', 1]]);
  assert.deepEqual(reals(tableOf(m, new Map([[key, up()]])), 'tcp|1.1.1.1|80'), [['2.2.2.2:8080', 4]]);
});

test('a re-entered server ramps like nanny: weight>>5 doubling every step; a first entry does not', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80, 100)])]);
  const p = plan(m);
  const weight = (d: ReturnType<typeof desired>) => d.table.get('tcp|1.1.1.1|80')!.reals.get('2.2.2.2:80')!.weight;
  const at = (now: number) => desired(p, () => up({ reentered: true, upSince: 1000 }), now);
  assert.equal(weight(at(1000)), 3);
  assert.deepEqual([...at(1000).ramping], ['tcp|1.1.1.1|80']);
  assert.equal(weight(at(1000 + RAMP_STEP_MS)), 6);
  assert.equal(weight(at(1000 + 6 * RAMP_STEP_MS)), 100);
  assert.equal(at(1000 + 6 * RAMP_STEP_MS).ramping.size, 0);
  assert.equal(weight(desired(p, () => up({ upSince: 1000 }), 1000)), 100);
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
