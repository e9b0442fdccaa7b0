// nanny's state machine of one real server: given a state, a verdict and the time, what it becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pendingState, recordVerdict, type RealState, type Streak } from './real-state.ts';

const T0 = 1_700_000_000_000;
const ok = { ok: true, error: null, latencyMs: 1.2345678 };
const fail = { ok: false, error: 'connect ECONNREFUSED', latencyMs: 3 };

function given(over: Partial<RealState> = {}): { s: RealState; streak: Streak } {
  return { s: { ...pendingState('k', T0), ...over }, streak: { successSince: null } };
}

test('a new server is pending with nothing known', () => {
  assert.deepEqual(pendingState('vip>real', T0), {
    key: 'vip>real', state: 'pending', since: T0, lastResult: null, lastCheck: null, lastError: null,
    upSince: null, reentered: false, wasUp: false, flaps: 0, reason: null, lastLatencyMs: null,
  });
});

test('the first success adds a pending server at once, without a reentry ramp', () => {
  const { s, streak } = given();
  assert.equal(recordVerdict(s, streak, 30, ok, T0 + 10), true);
  assert.equal(s.state, 'up');
  assert.equal(s.upSince, T0 + 10);
  assert.equal(s.since, T0 + 10);
  assert.equal(s.reentered, false);
  assert.equal(s.wasUp, true);
  assert.equal(s.flaps, 0);
  assert.equal(s.reason, 'first check passed');
  assert.equal(s.lastResult, 'ok');
  assert.equal(s.lastLatencyMs, 1.235);
});

test('a failure takes a server down at once, with the error as the reason', () => {
  const { s, streak } = given({ state: 'up', upSince: T0, wasUp: true });
  assert.equal(recordVerdict(s, streak, 30, fail, T0 + 5), true);
  assert.deepEqual([s.state, s.upSince, s.flaps, s.reason, s.lastError, s.lastResult], ['down', null, 1, 'connect ECONNREFUSED', 'connect ECONNREFUSED', 'fail']);
  // A failure without an error names one.
  const again = given({ state: 'up' });
  recordVerdict(again.s, again.streak, 30, { ok: false, error: null, latencyMs: 0 }, T0);
  assert.equal(again.s.lastError, 'check failed');
});

test('a down server returns only after reentry seconds of continuous success', () => {
  const { s, streak } = given({ state: 'down', since: T0 });
  assert.equal(recordVerdict(s, streak, 3, ok, T0 + 1000), false);
  assert.equal(streak.successSince, T0 + 1000);
  assert.equal(recordVerdict(s, streak, 3, ok, T0 + 3000), false);
  // A failure restarts the count.
  assert.equal(recordVerdict(s, streak, 3, fail, T0 + 3500), false);
  assert.equal(streak.successSince, null);
  assert.equal(recordVerdict(s, streak, 3, ok, T0 + 4000), false);
  assert.equal(recordVerdict(s, streak, 3, ok, T0 + 7000), true);
  assert.deepEqual([s.state, s.reentered, s.upSince, s.flaps, s.reason, streak.successSince], ['up', true, T0 + 7000, 1, 'checks passed for 3 s (reentry)', null]);
});

test('reentry 0 (or not a number) brings a down server back at the first success', () => {
  for (const reentry of [0, Number.NaN]) {
    const { s, streak } = given({ state: 'down' });
    assert.equal(recordVerdict(s, streak, reentry, ok, T0), true);
    assert.equal(s.state, 'up');
    assert.equal(s.reason, 'check passed');
  }
});

test('a verdict that changes nothing only records the check', () => {
  const { s, streak } = given({ state: 'up', since: T0, upSince: T0 });
  assert.equal(recordVerdict(s, streak, 3, ok, T0 + 6000), false);
  assert.deepEqual([s.state, s.since, s.lastCheck], ['up', T0, T0 + 6000]);
});
