// When the table is evaluated: run() one evaluation at a time, each against what the previous one
// applied; soon() once for a burst of checker changes, and not at all while the agent is not directing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReconcileLoop } from './reconcile-loop.ts';
import { Applier } from './applier.ts';
import { proposalOf } from './config-state.ts';
import { parseConfigText } from './config.ts';
import type { CheckerView } from './director.ts';
import type { Dataplane, DataplaneOp } from './dataplane/types.ts';
import { lvsCf } from '../testing/lvs-cf.ts';
import { waitFor } from '../testing/wait.ts';

const p = proposalOf(parseConfigText(lvsCf({ virtuals: [{ name: 'web', vip: '192.168.1.250', port: 80, servers: [{ name: 'a', address: '10.0.0.2', port: 80, weight: 3 }] }] }), 'lvs.cf'), 'lvs.cf');
assert.ok(p.ok);
const config = p.config;
const up: CheckerView = { state: 'up', upSince: 0, reentered: false, wasUp: true };

function loop() {
  const batches: DataplaneOp[][] = [];
  let inFlight = 0;
  let overlapped = false;
  let started: () => void = () => {};
  const applying = () => new Promise<void>((r) => (started = r));
  const dp: Dataplane = {
    kind: 'userspace',
    start: async () => {},
    stop: async () => {},
    table: async () => [],
    apply: async (ops) => {
      overlapped ||= inFlight > 0;
      inFlight++;
      started();
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      batches.push(ops);
      return { failures: [] };
    },
  };
  const state = { directing: true, checkers: new Map<string, CheckerView>() };
  const weights: Map<string, number>[] = [];
  let applied = 0;
  const l = new ReconcileLoop({
    applier: new Applier(dp, () => {}),
    input: () => ({ config, directing: state.directing, checkers: state.checkers, now: 0 }),
    onWeights: (next) => weights.push(new Map(next)),
    onApplied: () => applied++,
    log: () => {},
  });
  return { l, batches, state, weights, applying, overlapped: () => overlapped, applied: () => applied };
}

test('run: evaluations never overlap; each starts from what the previous applied', async () => {
  const { l, batches, state, weights, applying, overlapped, applied } = loop();
  const inFirst = applying();
  const first = l.run();
  await inFirst; // the first evaluation is applying: the checkers change meanwhile
  state.checkers = new Map(config.plan.targets.map((t) => [t.key, up]));
  const second = l.run();
  assert.deepEqual(await Promise.all([first, second]), [1, 1]);
  assert.equal(overlapped(), false);
  assert.deepEqual(batches.map((b) => b.map((o) => o.op)), [['addService'], ['addReal']]);
  assert.equal(applied(), 2);
  assert.deepEqual(weights.at(-1), new Map([[config.plan.targets[0]!.key, 3]]));
  assert.equal(await l.run(), 0, 'nothing left to do');
  assert.deepEqual(l.weights, new Map([[config.plan.targets[0]!.key, 3]]));
});

test('soon: a burst of calls is one evaluation; none while not directing', async () => {
  const { l, batches, state } = loop();
  await l.run();
  state.checkers = new Map(config.plan.targets.map((t) => [t.key, up]));
  for (let i = 0; i < 10; i++) l.soon();
  await waitFor(() => batches.length === 2, { message: 'one evaluation after the burst' });
  await l.idle();
  assert.equal(batches.length, 2);

  state.directing = false;
  state.checkers = new Map();
  l.soon();
  await new Promise((r) => setTimeout(r, 50));
  await l.idle();
  assert.equal(batches.length, 2, 'not directing: soon() does nothing (run() is how stopping removes the services)');
  assert.equal(await l.run(), 1);
  assert.deepEqual(batches.at(-1)!.map((o) => o.op), ['deleteService']);
});

test('a refused operation is retried on its own after a backoff, with no other event, until the dataplane accepts it', async () => {
  let refusals = 2;
  const batches: DataplaneOp[][] = [];
  const dp: Dataplane = {
    kind: 'userspace',
    start: async () => {},
    stop: async () => {},
    table: async () => [],
    apply: async (ops) => {
      batches.push(ops);
      if (refusals > 0) {
        refusals--;
        return { failures: [{ index: 0, message: 'Scheduler or persistence engine not found' }] };
      }
      return { failures: [] };
    },
  };
  const applier = new Applier(dp, () => {});
  const l = new ReconcileLoop({
    applier,
    input: () => ({ config, directing: true, checkers: new Map(), now: 0 }),
    onWeights: () => {},
    onApplied: () => {},
    log: () => {},
  });
  await l.run();
  assert.equal(applier.failures().length, 1, 'the refusal stands after the first evaluation');
  await waitFor(() => batches.length === 3 && applier.failures().length === 0, { timeoutMs: 10_000, message: 'two retries, the second accepted' });
  assert.deepEqual(batches.map((b) => b.map((o) => o.op)), [['addService'], ['addService'], ['addService']]);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(batches.length, 3, 'no retry once nothing is refused');
  l.clearTimers();
});
