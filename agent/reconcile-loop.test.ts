// When the table is evaluated and what each evaluation looks at: run() one evaluation at a time,
// each against what the previous one applied; soon() once for a burst of check changes, and not at
// all while the agent is not directing; only the touched services (and the refused and ramping
// ones) are looked at, unless touchAll().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReconcileLoop } from './reconcile-loop.ts';
import { Applier } from './applier.ts';
import { proposalOf } from './config-state.ts';
import { parseConfigText } from './config.ts';
import { targetsOf } from './service-plan.ts';
import type { CheckerView } from './director.ts';
import type { DataplaneOp } from './dataplane/types.ts';
import { scriptedDataplane } from '../testing/dataplane.ts';
import { lvsCf } from '../testing/lvs-cf.ts';
import { waitFor } from '../testing/wait.ts';

const p = proposalOf(
  parseConfigText(
    lvsCf({
      virtuals: [
        { name: 'web', vip: '192.168.1.250', port: 80, servers: [{ name: 'a', address: '10.0.0.2', port: 80, weight: 3 }] },
        { name: 'mail', vip: '192.168.1.251', port: 25, servers: [{ name: 'm', address: '10.0.0.5', port: 25, weight: 1 }] },
      ],
    }),
    'lvs.cf',
  ),
  'lvs.cf',
);
assert.ok(p.ok);
const config = p.config;
const [a, m] = [...targetsOf(config.plan)];
const up: CheckerView = { state: 'up', upSince: 0, reentered: false, wasUp: true };

function loop() {
  const batches: DataplaneOp[][] = [];
  let inFlight = 0;
  let overlapped = false;
  let started: () => void = () => {};
  const applying = () => new Promise<void>((r) => (started = r));
  const dp = scriptedDataplane('userspace', async (ops) => {
    overlapped ||= inFlight > 0;
    inFlight++;
    started();
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    batches.push(ops);
    return { failures: ops.flatMap((op, index) => (refuse(op) ? [{ index, message: 'refused' }] : [])) };
  });
  let refuse: (op: DataplaneOp) => boolean = () => false;
  const state = { directing: true, checks: new Map<string, CheckerView>() };
  const applied: DataplaneOp[][] = [];
  const l = new ReconcileLoop({
    applier: new Applier(dp, () => {}),
    input: () => ({ config, directing: state.directing, states: (k) => state.checks.get(k), now: 0 }),
    onApplied: (ops) => applied.push(ops),
    log: () => {},
  });
  return { l, batches, state, applying, overlapped: () => overlapped, applied, refuse: (f: (op: DataplaneOp) => boolean) => (refuse = f) };
}

const ops = (batch: DataplaneOp[] | undefined) => (batch ?? []).map((o) => `${o.op} ${'service' in o ? o.service.key : o.key}`);

test('run: evaluations never overlap; each starts from what the previous applied', async () => {
  const { l, batches, state, applying, overlapped, applied } = loop();
  const inFirst = applying();
  const first = l.run();
  await inFirst; // the first evaluation is applying: a check changes meanwhile
  state.checks.set(a!.check, up);
  l.touch([a!.serviceKey]);
  const second = l.run();
  assert.deepEqual(await Promise.all([first, second]), [2, 1]);
  assert.equal(overlapped(), false);
  assert.deepEqual(batches.map((b) => b.map((o) => o.op)), [['addService', 'addService'], ['addReal']]);
  assert.deepEqual(applied.map((b) => b.length), [2, 1], 'told what was applied');
  assert.equal(await l.run(), 0, 'nothing left to do');
});

test('only the touched services are looked at; touchAll looks at everything', async () => {
  const { l, batches, state } = loop();
  await l.run();
  // Both checks came up, but only mail's change was reported: web is not looked at.
  state.checks.set(a!.check, up);
  state.checks.set(m!.check, up);
  l.touch([m!.serviceKey]);
  assert.equal(await l.run(), 1);
  assert.deepEqual(ops(batches.at(-1)), ['addReal tcp|192.168.1.251|25']);
  l.touchAll();
  assert.equal(await l.run(), 1);
  assert.deepEqual(ops(batches.at(-1)), ['addReal tcp|192.168.1.250|80']);
});

test('lookAt takes what a newly adopted configuration changed: some services, or all', async () => {
  const { l, batches, state } = loop();
  await l.run();
  state.checks.set(a!.check, up);
  state.checks.set(m!.check, up);
  l.lookAt(new Set([m!.serviceKey]));
  assert.equal(await l.run(), 1);
  assert.deepEqual(ops(batches.at(-1)), ['addReal tcp|192.168.1.251|25']);
  l.lookAt('all');
  assert.equal(await l.run(), 1);
  assert.deepEqual(ops(batches.at(-1)), ['addReal tcp|192.168.1.250|80']);
});

test('a refused operation is retried at every evaluation until it is applied', async () => {
  const { l, batches, state, refuse } = loop();
  refuse((op) => op.op === 'addReal' && op.key === 'tcp|192.168.1.250|80');
  state.checks.set(a!.check, up);
  await l.run();
  assert.deepEqual(ops(batches.at(-1)), ['addService tcp|192.168.1.250|80', 'addReal tcp|192.168.1.250|80', 'addService tcp|192.168.1.251|25']);
  refuse(() => false);
  // Another service's change: web is retried with it.
  state.checks.set(m!.check, up);
  l.touch([m!.serviceKey]);
  await l.run();
  assert.deepEqual(ops(batches.at(-1)).sort(), ['addReal tcp|192.168.1.250|80', 'addReal tcp|192.168.1.251|25']);
  assert.equal(await l.run(), 0);
});

test('soon: a burst of calls is one evaluation; none while not directing', async () => {
  const { l, batches, state } = loop();
  await l.run();
  state.checks.set(a!.check, up);
  for (let i = 0; i < 10; i++) {
    l.touch([a!.serviceKey]);
    l.soon();
  }
  await waitFor(() => batches.length === 2, { message: 'one evaluation after the burst' });
  await l.idle();
  assert.equal(batches.length, 2);

  state.directing = false;
  state.checks.clear();
  l.soon();
  await new Promise((r) => setTimeout(r, 50));
  await l.idle();
  assert.equal(batches.length, 2, 'not directing: soon() does nothing (run() is how stopping removes the services)');
  l.touchAll();
  assert.equal(await l.run(), 2);
  assert.deepEqual(batches.at(-1)!.map((o) => o.op), ['deleteService', 'deleteService']);
});

test('a refused operation is retried on its own after a backoff, with no other event, until the dataplane accepts it', async () => {
  const { l, batches, refuse } = loop();
  let refusals = 2;
  refuse((op) => op.op === 'addService' && op.service.key === 'tcp|192.168.1.250|80' && refusals-- > 0);
  await l.run();
  assert.deepEqual(ops(batches.at(-1)), ['addService tcp|192.168.1.250|80', 'addService tcp|192.168.1.251|25']);
  await waitFor(() => batches.length === 3, { timeoutMs: 10_000, message: 'two retries, the second accepted' });
  await l.idle();
  // Only the refused service is looked at again.
  assert.deepEqual(batches.slice(1).map(ops), [['addService tcp|192.168.1.250|80'], ['addService tcp|192.168.1.250|80']]);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(batches.length, 3, 'no retry once nothing is refused');
  l.clearTimers();
});
