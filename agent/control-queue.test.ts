// The control queue: actions one at a time, in order, a failure not blocking the next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlQueue } from './control-queue.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

test('an action starts only when the one before it has ended, in the order asked', async () => {
  const q = new ControlQueue();
  const seen: string[] = [];
  let release!: () => void;
  const first = q.run(async () => {
    seen.push('first starts');
    await new Promise<void>((r) => (release = r));
    seen.push('first ends');
    return 1;
  });
  const second = q.run(async () => {
    seen.push('second starts');
    return 2;
  });
  await tick();
  assert.deepEqual(seen, ['first starts']);
  release();
  assert.deepEqual(await Promise.all([first, second]), [1, 2]);
  assert.deepEqual(seen, ['first starts', 'first ends', 'second starts']);
});

test('a failed action rejects its caller and the next one still runs', async () => {
  const q = new ControlQueue();
  const failed = q.run(async () => {
    throw new Error('reload refused');
  });
  const next = q.run(async () => 'ran');
  await assert.rejects(failed, /reload refused/);
  assert.equal(await next, 'ran');
});
