// The checks' slots: the default limit from the open-file limit, and the queue of checks waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FD_RESERVE, maxInFlightFor, openFileLimitOf, WaitQueue } from './slots.ts';

test('the open-file limit is read from the soft column of /proc/self/limits', () => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
  assert.equal(openFileLimitOf(limits), 1024);
  assert.equal(openFileLimitOf('Max processes 10 10 processes\n'), null);
});

test('half of what the reserve leaves, at least 16; 4096 when the limit is unknown', () => {
  assert.equal(maxInFlightFor(1024), (1024 - FD_RESERVE) / 2);
  assert.equal(maxInFlightFor(524288), Math.floor((524288 - FD_RESERVE) / 2));
  assert.equal(maxInFlightFor(100), 16);
  assert.equal(maxInFlightFor(null), 4096);
});

test('waiting checks leave oldest first, and the queue empties once read through', () => {
  const q = new WaitQueue<number>();
  assert.equal(q.shift(), undefined);
  q.push(1);
  q.push(2);
  assert.equal(q.shift(), 1);
  q.push(3);
  assert.equal(q.length, 2);
  assert.deepEqual([q.shift(), q.shift(), q.shift()], [2, 3, undefined]);
  assert.equal(q.length, 0);
  q.push(4);
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.shift(), undefined);
});
