// Who serves: the pair's state machine, pure (no timers, no sockets: the caller passes the time
// and carries out the actions), so every rule can be tested under a fake clock.
//
// pulse's semantics (original-piranha.md §4.1), kept:
// - the partner is dead after `deadtime` without a valid heartbeat; a standby router then activates;
// - no preemption: a router that sees its partner active stays standby, so a returning primary
//   does not take the VIPs back;
// - both active (after a partition heals, or a race at start): the primary keeps serving and
//   announces its VIPs again, the backup deactivates, on the first heartbeat each receives; an
//   active router that hears its partner again after a silence announces too (the partner may
//   have yielded before its "active" heartbeat arrived, leaving neighbours on its MAC), and once
//   more when the partner reports that it yielded (until then it answered ARP for the VIPs too);
// - `backup_active = 0`: the primary runs alone and activates `deadtime` after start, as pulse's
//   "need heartbeat" timer did; a backup with `backup_active = 0` never activates (pulse exited);
// - a link down (`monitor_links`) suppresses activation (and deactivates: its VIPs are unreachable).
// Changed from pulse, which let both routers activate when each saw the other "stopped": here the
// primary activates at once, the backup only after the partner has stayed standby for `deadtime`,
// so a healthy pair never passes through "both active" at start.
import type { HaNode, WireState } from './heartbeat-packet.ts';

export type HaState = 'active' | 'standby';

export interface RoleParams {
  node: HaNode;
  deadtimeMs: number;
  /** lvs.cf `backup_active`: false means no partner is expected. */
  backupActive: boolean;
}

export type RoleEvent =
  | { type: 'start'; now: number }
  | { type: 'heartbeat'; now: number; state: WireState; serial: number | null }
  | { type: 'tick'; now: number }
  | { type: 'link'; now: number; up: boolean; detail: string }
  | { type: 'activationFailed'; now: number; error: string }
  | { type: 'stop'; now: number };

export type RoleAction =
  | { type: 'activate'; reason: string }
  | { type: 'deactivate'; reason: string }
  /** Already active and staying so, but announce the VIPs again (gratuitous ARP) and rerun active_cmd. */
  | { type: 'reannounce'; reason: string }
  /** Gratuitous ARP for the VIPs again, nothing else (the partner stopped answering for them). */
  | { type: 'announce'; reason: string }
  /** Send a heartbeat now rather than at the next keepalive, so the partner learns the change at once. */
  | { type: 'sendHeartbeat' };

export type PartnerState = WireState | 'dead' | 'unknown';

export interface Transition {
  time: string;
  from: HaState;
  to: HaState;
  reason: string;
}

export interface RoleSnapshot {
  node: HaNode;
  state: HaState;
  partner: { state: PartnerState; lastHeartbeatMs: number | null; serial: number | null } | null;
  linkUp: boolean;
  history: Transition[];
}

const HISTORY_LIMIT = 100;

export class RoleMachine {
  private state: HaState = 'standby';
  private partnerState: PartnerState = 'unknown';
  private partnerSerial: number | null = null;
  private lastHeartbeatMs: number | null = null;
  /** Time after which, without a heartbeat, the partner counts as dead. */
  private deadline = 0;
  /** Since when the partner has reported standby while we were standby too. */
  private partnerStandbySince: number | null = null;
  private linkUp = true;
  /** After a failed activation, no new attempt before this time (pulse's child-failure flag). */
  private holdUntil = 0;
  /** Set while both routers report active, so the primary reannounces once per conflict. */
  private conflict = false;
  private stopped = false;
  private readonly history: Transition[] = [];

  constructor(private params: RoleParams) {}

  /** New deadtime / backup_active after a reload; the role (node) itself never changes at run time. */
  update(params: Omit<RoleParams, 'node'>): void {
    this.params = { ...this.params, ...params };
  }

  handle(ev: RoleEvent): RoleAction[] {
    if (this.stopped) return [];
    switch (ev.type) {
      case 'start':
        this.deadline = ev.now + this.params.deadtimeMs;
        return [{ type: 'sendHeartbeat' }];
      case 'heartbeat':
        return this.onHeartbeat(ev.now, ev.state, ev.serial);
      case 'tick':
        return this.onTick(ev.now);
      case 'link':
        return this.onLink(ev.now, ev.up, ev.detail);
      case 'activationFailed':
        this.holdUntil = ev.now + this.params.deadtimeMs;
        return this.to(ev.now, 'standby', `activation failed: ${ev.error}`, 'deactivate');
      case 'stop': {
        this.stopped = true;
        const actions = this.state === 'active' ? this.to(ev.now, 'standby', 'agent stopping', 'deactivate') : [];
        return actions.filter((a) => a.type !== 'sendHeartbeat');
      }
    }
  }

  snapshot(): RoleSnapshot {
    return {
      node: this.params.node,
      state: this.state,
      partner: this.partnerExpected()
        ? { state: this.partnerState, lastHeartbeatMs: this.lastHeartbeatMs, serial: this.partnerSerial }
        : null,
      linkUp: this.linkUp,
      history: [...this.history],
    };
  }

  private partnerExpected(): boolean {
    return this.params.backupActive;
  }

  private canActivate(now: number): boolean {
    if (!this.linkUp || now < this.holdUntil) return false;
    return this.params.node === 'primary' || this.params.backupActive;
  }

  private onHeartbeat(now: number, partner: WireState, serial: number | null): RoleAction[] {
    this.lastHeartbeatMs = now;
    this.partnerSerial = serial;
    this.deadline = now + this.params.deadtimeMs;
    const previous = this.partnerState;
    this.partnerState = partner;
    if (partner !== 'active') this.conflict = false;
    if (partner !== 'standby' || this.state !== 'standby') this.partnerStandbySince = null;
    else if (previous !== 'standby' || this.partnerStandbySince === null) this.partnerStandbySince = now;

    if (partner === 'stopping') {
      if (this.state === 'standby' && this.canActivate(now)) return this.to(now, 'active', 'partner stopping: taking over', 'activate');
      return [];
    }
    if (partner === 'active') {
      if (this.state === 'standby') return [];
      if (this.params.node === 'backup') {
        return this.to(now, 'standby', 'both routers active: the primary keeps the VIPs', 'deactivate');
      }
      if (this.conflict) return [];
      this.conflict = true;
      this.record(now, 'active', 'active', 'both routers active: the primary keeps the VIPs and announces them again');
      return [{ type: 'reannounce', reason: 'partner active: resending ARPs' }];
    }
    // Partner standby.
    if (this.state === 'active') {
      // Back after a silence: it may have taken over the VIPs meanwhile (a cut heartbeat path) and
      // given them up on hearing us before we heard it active; neighbours may still send to its
      // MAC. Announce ours again.
      if (previous === 'dead') return [{ type: 'reannounce', reason: 'partner heard again after a silence: resending ARPs' }];
      // Both were active and it has now yielded: until it removed the VIPs it answered ARP for
      // them too, possibly after our first announcement. Announce once more, now that only we do.
      if (previous === 'active') return [{ type: 'announce', reason: 'partner yielded the VIPs: resending ARPs' }];
      return [];
    }
    if (!this.canActivate(now)) return [];
    if (this.params.node === 'primary') return this.to(now, 'active', 'partner standby: the primary activates', 'activate');
    if (this.partnerStandbySince !== null && now - this.partnerStandbySince >= this.params.deadtimeMs) {
      return this.to(now, 'active', `partner standby for ${this.params.deadtimeMs / 1000} s without serving: the backup activates`, 'activate');
    }
    return [];
  }

  private onTick(now: number): RoleAction[] {
    if (now < this.deadline) return [];
    if (this.partnerExpected() && this.partnerState !== 'dead' && this.partnerState !== 'stopping') {
      this.partnerState = 'dead';
      this.partnerStandbySince = null;
      this.conflict = false;
    }
    if (this.state === 'active' || !this.canActivate(now)) return [];
    const reason = this.partnerExpected()
      ? `partner dead: no heartbeat for ${this.params.deadtimeMs / 1000} s`
      : `no backup router (backup_active = 0): running alone, activating ${this.params.deadtimeMs / 1000} s after start as pulse did`;
    return this.to(now, 'active', reason, 'activate');
  }

  private onLink(now: number, up: boolean, detail: string): RoleAction[] {
    if (up === this.linkUp) return [];
    this.linkUp = up;
    if (up) {
      // Heartbeats were neither sent nor received while the link was down: listen for a full
      // deadtime before judging the partner, instead of declaring it dead at once.
      this.deadline = now + this.params.deadtimeMs;
      return [{ type: 'sendHeartbeat' }];
    }
    if (this.state === 'active') return this.to(now, 'standby', `link down: ${detail}`, 'deactivate');
    return [];
  }

  private to(now: number, state: HaState, reason: string, action: 'activate' | 'deactivate'): RoleAction[] {
    if (this.state === state) return [];
    this.record(now, this.state, state, reason);
    this.state = state;
    this.partnerStandbySince = null;
    return [{ type: action, reason }, { type: 'sendHeartbeat' }];
  }

  private record(now: number, from: HaState, to: HaState, reason: string): void {
    this.history.push({ time: new Date(now).toISOString(), from, to, reason });
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
  }
}
