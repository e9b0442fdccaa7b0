// The check history's ring: newest first, at most HISTORY_DEPTH results, details capped, rings
// freed and reused without mixing their results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckHistory, DETAIL_MAX, HISTORY_DEPTH, capDetail, changeReason } from './history.ts';

test('keeps the last HISTORY_DEPTH results, newest first', () => {
  const h = new CheckHistory();
  const id = h.open();
  for (let i = 0; i < 25; i++) h.add(id, { at: 1000 + i, ok: i % 2 === 0, latencyMs: i / 4, received: `r${i}`, error: i % 2 ? `e${i}` : null });
  const r = h.read(id);
  assert.equal(r.length, HISTORY_DEPTH);
  assert.deepEqual(r[0], { at: 1024, ok: true, latencyMs: 6, exitCode: null, received: 'r24', error: null });
  assert.deepEqual(r[1], { at: 1023, ok: false, latencyMs: 5.75, exitCode: null, received: 'r23', error: 'e23' });
  assert.equal(r.at(-1)!.at, 1005);
  assert.equal(h.lastLatencyMs(id), 6);
});

test('exit codes and details; a long detail is cut to DETAIL_MAX characters', () => {
  const h = new CheckHistory();
  const id = h.open();
  h.add(id, { at: 1, ok: false, latencyMs: 1, exitCode: 3, received: 'x'.repeat(500), error: 'y'.repeat(100) });
  const [r] = h.read(id);
  assert.equal(r!.exitCode, 3);
  assert.equal(r!.received.length, DETAIL_MAX);
  assert.ok(r!.received.endsWith('…'));
  assert.equal(r!.error!.length, DETAIL_MAX);
  assert.equal(capDetail('short'), 'short');
});

test('a released ring is reused empty; rings do not share results; growth keeps them', () => {
  const h = new CheckHistory();
  const ids = Array.from({ length: 200 }, () => h.open());
  ids.forEach((id, i) => h.add(id, { at: i, ok: true, latencyMs: 0, received: `n${i}` }));
  assert.equal(h.read(ids[3]!)[0]!.received, 'n3');
  assert.equal(h.read(ids[199]!)[0]!.received, 'n199');
  h.release(ids[3]!);
  const again = h.open();
  assert.equal(again, ids[3]);
  assert.deepEqual(h.read(again), []);
  assert.equal(h.lastLatencyMs(again), null);
  h.add(ids[5]!, { at: 9, ok: false, latencyMs: 0 });
  h.clear(ids[5]!);
  assert.deepEqual(h.read(ids[5]!), []);
});

test('the reason of a state change', () => {
  assert.equal(changeReason('up', 'pending', null, 10, false), 'first check passed');
  assert.equal(changeReason('down', 'up', 'connect ECONNREFUSED 127.0.0.2:80', 10, false), 'connect ECONNREFUSED 127.0.0.2:80');
  assert.equal(changeReason('up', 'down', null, 10, true), 'checks passed for 10 s (reentry)');
  assert.equal(changeReason('up', 'down', null, 0, true), 'check passed');
});
