// The confirmation window's state, given the time: a save with a window opens it, later saves join
// it (a window of their own restarts the clock), the deadline passes, and the saves' patches undo
// back to the version before the first, byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edit, type Edit } from '../../lvs-cf/index.ts';
import { SAMPLE } from '../../testing/lvs-cf.ts';
import { close, EMPTY, isDue, msLeft, recordSave, undoPatches, type SavedChange } from './pending.ts';

function save(text: string, edits: Edit[], action: string): { text: string; change: SavedChange } {
  const r = edit(text, edits);
  assert.ok(r.ok);
  return { text: r.text, change: { client: '10.0.0.9', action, from: { version: 'a'.repeat(64), serial: 7 }, to: { version: 'b'.repeat(64), serial: 8 }, patch: r.patch } };
}
const weight = (server: number, value: number): Edit => ({ op: 'set', target: { scope: 'server', virtual: 0, server }, key: 'weight', value });

test('a window opens, later saves join it, the deadline passes', () => {
  const one = save(SAMPLE, [weight(0, 5)], 'one');
  const s1 = recordSave(EMPTY, one.change, 60, 1000, () => 'id-00000001');
  assert.equal(s1.pending?.deadline, new Date(61_000).toISOString());
  assert.equal(recordSave(EMPTY, one.change, null, 1000, () => 'x'), EMPTY, 'a plain save opens nothing');
  const two = save(one.text, [weight(1, 6)], 'two');
  const s2 = recordSave(s1, two.change, null, 30_000, () => 'unused');
  assert.deepEqual(s2.pending?.actions, ['one', 'two']);
  assert.equal(s2.pending?.deadline, s1.pending?.deadline, 'a plain save keeps the deadline');
  const s3 = recordSave(s2, two.change, 120, 40_000, () => 'unused');
  assert.equal(s3.pending?.deadline, new Date(160_000).toISOString(), 'a save with a window restarts the clock');
  assert.equal(s3.pending?.id, 'id-00000001');
  assert.equal(isDue(s3, 159_999), false);
  assert.equal(isDue(s3, 160_000), true);
  assert.equal(msLeft(s3, 150_000), 10_000);
  const closed = close(s3, 'rolled-back', 'console', 'done', 160_000);
  assert.equal(closed.pending, null);
  assert.deepEqual(closed.outcome?.actions, ['one', 'two', 'two']);
});

test('undoing the saves\' patches gives back the text before the first, byte for byte', () => {
  const one = save(SAMPLE, [weight(0, 5), { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 8 }], 'one');
  const two = save(one.text, [{ op: 'addServer', virtual: 0, name: 'r3', fields: { address: '192.168.1.13' } }, { op: 'removeServer', virtual: 0, server: 1 }], 'two');
  const three = save(two.text, [{ op: 'addVirtual', name: 'mail' }, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 10 }], 'three');
  assert.equal(undoPatches(three.text, [one.change.patch, two.change.patch, three.change.patch]), SAMPLE);
  assert.equal(undoPatches(three.text, [three.change.patch]), two.text);
  // A file changed otherwise: the patches do not fit, and it says so.
  assert.throws(() => undoPatches(three.text.replace('virtual mail', 'virtual post'), [three.change.patch]), /lvs\.cf does not hold what save 1 wrote/);
});
