// nanny's state machine for one real server, fixed where it was broken: a failure takes a server
// out at once, the first success of a new server adds it at once, and a failed server returns only
// after `reentry` seconds of continuous success. Given the verdict and the time, it only changes
// the state it is handed (in place: the pool's views read it without copies); the pool runs the
// checks and tells the listeners (pool.ts).
import { changeReason } from './history.ts';

export interface RealState {
  key: string;
  state: 'pending' | 'up' | 'down';
  /** When `state` last changed (ms since the epoch). */
  since: number;
  lastResult: 'ok' | 'fail' | null;
  lastCheck: number | null;
  lastError: string | null;
  /** Start of the current up period, null unless up. */
  upSince: number | null;
  /** True when the current up period followed a failure: the director applies nanny's weight ramp only then. */
  reentered: boolean;
  /** True once this server has been up since its checker started (quiesce only applies to such a server). */
  wasUp: boolean;
  /** Times the state went between up and down since the checker started. */
  flaps: number;
  /** Why the state last changed, in words (the failure, or the passes that brought it up). */
  reason: string | null;
  /** How long the last check took, ms; null before the first. */
  lastLatencyMs: number | null;
}

/** A real server whose checker has just started: nothing known yet. */
export function pendingState(key: string, now: number): RealState {
  return { key, state: 'pending', since: now, lastResult: null, lastCheck: null, lastError: null, upSince: null, reentered: false, wasUp: false, flaps: 0, reason: null, lastLatencyMs: null };
}

/** What the machine remembers beside the state: when the current run of successes of a down server began. */
export interface Streak {
  successSince: number | null;
}

export interface Verdict {
  ok: boolean;
  error: string | null;
  latencyMs: number;
}

/**
 * Records one check's verdict at `now` in `s` (and `streak`); returns true when `s.state` changed.
 * `reentrySec` is the virtual server's `reentry` (0, or not a finite number: at once).
 */
export function recordVerdict(s: RealState, streak: Streak, reentrySec: number, v: Verdict, now: number): boolean {
  s.lastCheck = now;
  s.lastResult = v.ok ? 'ok' : 'fail';
  s.lastError = v.ok ? null : v.error ?? 'check failed';
  s.lastLatencyMs = Math.round(v.latencyMs * 1000) / 1000;
  let next: RealState['state'] = s.state;
  let reentered = false;
  if (!v.ok) {
    streak.successSince = null;
    next = 'down';
  } else if (s.state === 'pending') {
    // nanny's success count starts at the threshold: the first success adds the server at once.
    next = 'up';
  } else if (s.state === 'down') {
    streak.successSince ??= now;
    const reentryMs = Number.isFinite(reentrySec) && reentrySec > 0 ? reentrySec * 1000 : 0;
    if (now - streak.successSince >= reentryMs) {
      next = 'up';
      reentered = true;
    }
  }
  if (next === s.state) return false;
  if (s.state !== 'pending') s.flaps++;
  s.reason = changeReason(next, s.state, s.lastError, reentrySec, reentered);
  s.state = next;
  s.since = now;
  if (next === 'up') {
    s.upSince = now;
    s.reentered = reentered;
    s.wasUp = true;
    streak.successSince = null;
  } else {
    s.upSince = null;
    s.reentered = false;
  }
  return true;
}
