import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rampedWeight, nextRampChange, RAMP_STEP_MS } from './weights.ts';

test('nanny slow start: weight >> 5 (at least 1), doubling every 20 s up to the weight', () => {
  const up = 1_000_000;
  assert.equal(rampedWeight(100, up, up), 3);
  assert.equal(rampedWeight(100, up, up + RAMP_STEP_MS - 1), 3);
  assert.equal(rampedWeight(100, up, up + RAMP_STEP_MS), 6);
  assert.equal(rampedWeight(100, up, up + 2 * RAMP_STEP_MS), 12);
  assert.equal(rampedWeight(100, up, up + 5 * RAMP_STEP_MS), 96);
  assert.equal(rampedWeight(100, up, up + 6 * RAMP_STEP_MS), 100);
  assert.equal(rampedWeight(100, up, up + 3600_000), 100);
  assert.equal(rampedWeight(1, up, up), 1);
  assert.equal(rampedWeight(10, up, up), 1);
  assert.equal(rampedWeight(10, up, up + RAMP_STEP_MS), 2);
  assert.equal(rampedWeight(65535, up, up), 2047);
});

test('weight 0 stays 0 (nanny made it 1); a clock going backwards gives the start weight', () => {
  assert.equal(rampedWeight(0, 0, 60_000), 0);
  assert.equal(rampedWeight(-4, 0, 60_000), 0);
  assert.equal(rampedWeight(64, 10_000, 0), 2);
});

test('nextRampChange says when to look again, null once at full weight', () => {
  assert.equal(nextRampChange(100, 0, 5_000), RAMP_STEP_MS);
  assert.equal(nextRampChange(100, 0, RAMP_STEP_MS), 2 * RAMP_STEP_MS);
  assert.equal(nextRampChange(100, 0, 10 * RAMP_STEP_MS), null);
  assert.equal(nextRampChange(0, 0, 0), null);
});
