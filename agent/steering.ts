// Whether this agent directs (its services in the dataplane) and whether its checkers run, decided
// from the console's START/STOP, the router pair's decisions and shutdown. Pure, in the style of
// ha/role.ts: the caller passes each event and the time, and carries out what changed.
//
// - Standalone: directs between START and STOP (an agent starts started).
// - One router of a pair: directs while the pair's role machine has it active. START and STOP join
//   and leave the pair instead (as `service pulse start|stop` did); a router that left never directs.
//   While in the pair a standby router keeps checking its real servers, as keepalived's backup
//   does: at a failover it knows at once which servers are up.
// - After shutdown nothing directs or checks.
import type { Role } from './protocol/index.ts';

export interface Steering {
  /** The console's START (true) / STOP (false) of a standalone agent. */
  started: boolean;
  /** Set when this agent is one router of a pair. */
  pair: { joined: boolean; active: boolean } | null;
  closed: boolean;
  role: Role;
  /** Whether the agent directs now; follows from the fields above, kept to see it change. */
  directing: boolean;
  /** When `directing` or `role` last changed (ms since the epoch). */
  since: number;
}

export type SteeringEvent =
  /** A standalone agent serves (at startup, or the console's START). */
  | { type: 'start' }
  /** A standalone agent stops serving (the console's STOP). */
  | { type: 'stop' }
  /** This agent is one router of a pair (decided at startup); it starts standby. */
  | { type: 'pair' }
  | { type: 'joined' }
  | { type: 'left' }
  /** The pair's role machine activated or deactivated this router. */
  | { type: 'activate' }
  | { type: 'deactivate' }
  | { type: 'role'; role: 'active' | 'standby' }
  | { type: 'shutdown' };

export interface Steered {
  state: Steering;
  /** The agent began or ceased directing with this event. */
  directing: 'began' | 'ceased' | null;
  /** The role changed with this event (from the role in the state before it). */
  roleChanged: boolean;
}

/** A new agent: standalone, not started (startup decides whether it serves or joins a pair). */
export function initialSteering(now: number): Steering {
  return { started: false, pair: null, closed: false, role: 'standalone', directing: false, since: now };
}

function wantsDirecting(s: Steering): boolean {
  if (s.closed) return false;
  return s.pair === null ? s.started : s.pair.active;
}

/** Whether the checkers run: while directing, and on a standby router that is in its pair. */
export function checkersRun(s: Steering): boolean {
  return !s.closed && (s.directing || s.pair?.joined === true);
}

/** What the console's START does: nothing (already serving, or in the pair), rejoin the pair, or serve. */
export function startAction(s: Steering): 'none' | 'rejoin' | 'serve' {
  if (s.closed) return 'none';
  if (s.pair !== null) return s.pair.joined ? 'none' : 'rejoin';
  return s.directing ? 'none' : 'serve';
}

/** What the console's STOP does: leave the pair, stop serving, or nothing (already stopped). */
export function stopAction(s: Steering): 'none' | 'leave' | 'withdraw' {
  if (s.pair?.joined) return 'leave';
  return s.directing ? 'withdraw' : 'none';
}

export function steer(s: Steering, e: SteeringEvent, now: number): Steered {
  const next: Steering = { ...s, pair: s.pair && { ...s.pair } };
  switch (e.type) {
    case 'start':
      next.started = true;
      break;
    case 'stop':
      next.started = false;
      break;
    case 'pair':
      next.pair ??= { joined: false, active: false };
      next.role = 'standby';
      break;
    case 'joined':
      if (next.pair) next.pair.joined = true;
      break;
    case 'left':
      // Out of the pair a router never serves, whatever the role machine said last.
      if (next.pair) next.pair = { joined: false, active: false };
      break;
    case 'activate':
      if (next.pair) next.pair.active = true;
      break;
    case 'deactivate':
      if (next.pair) next.pair.active = false;
      break;
    case 'role':
      next.role = e.role;
      break;
    case 'shutdown':
      next.closed = true;
      break;
  }
  next.directing = wantsDirecting(next);
  const directing = next.directing === s.directing ? null : next.directing ? 'began' : 'ceased';
  const roleChanged = next.role !== s.role;
  if (directing !== null || roleChanged) next.since = now;
  return { state: next, directing, roleChanged };
}
