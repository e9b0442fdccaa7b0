// A drain's edits, given the model: start (weight 0, the weights remembered), undrain (weights
// back), deactivate (inactive, weights back, one save), and when a drain no longer holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edit, parse, type Edit } from '../../lvs-cf/index.ts';
import { SAMPLE } from '../../testing/lvs-cf.ts';
import { endDrain, inEffect, startDrain, type Drain } from './drains.ts';

const model = (text: string) => parse(text).model!;
function apply(text: string, edits: Edit[]): string {
  const r = edit(text, edits);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  return r.text;
}
const drain = (server: string | null, weights: Record<string, number>): Drain => ({ virtual: 'web', server, startedAt: '', deactivateAt: null, client: '', weights });

test('a real server: weight 0 with its weight remembered; deactivate gives it back in the same save', () => {
  const started = startDrain(model(SAMPLE), 'web', 'r2');
  assert.ok(!('problem' in started));
  assert.deepEqual(started.weights, { r2: 2 });
  const drained = apply(SAMPLE, started.edits);
  assert.match(drained, /port = 8080\n\s+weight = 0\n/);
  const d = drain('r2', started.weights);
  assert.equal(inEffect(d, model(drained)), true);
  assert.deepEqual(startDrain(model(drained), 'web', 'r2'), { problem: 'r2 is already at weight 0: there is nothing to drain.' });
  const off = apply(drained, endDrain(model(drained), d, 'deactivate'));
  assert.match(off, /server r2 \{\n\s+address = 192\.168\.1\.12\n\s+active = 0\n\s+port = 8080\n\s+weight = 2\n/);
  assert.equal(apply(drained, endDrain(model(drained), d, 'undrain')), SAMPLE);
  // Someone set a weight meanwhile: the drain is over.
  assert.equal(inEffect(d, model(SAMPLE)), false);
});

test('a virtual server: every active real server at weight 0; deactivate makes the virtual server inactive', () => {
  const started = startDrain(model(SAMPLE), 'web', null);
  assert.ok(!('problem' in started));
  assert.deepEqual(started.weights, { r1: 1, r2: 2 });
  const drained = apply(SAMPLE, started.edits);
  const off = apply(drained, endDrain(model(drained), drain(null, started.weights), 'deactivate'));
  assert.match(off, /virtual web \{\n\s+active = 0\n/);
  assert.equal(off.replace('virtual web {\n     active = 0', 'virtual web {\n     active = 1'), SAMPLE);
  const inactive = apply(SAMPLE, [{ op: 'setActive', target: { scope: 'virtual', virtual: 0 }, active: false }]);
  assert.deepEqual(startDrain(model(inactive), 'web', 'r1'), { problem: 'Virtual server web is not active: it serves no connections to drain.' });
  assert.deepEqual(startDrain(model(SAMPLE), 'nope', null), { problem: 'There is no virtual server nope (it may have been renamed or deleted).' });
});
