// Turns the agent's HaStatus into what the REDUNDANCY panel's "Router status" section and the
// CONTROL/MONITORING summary line show: plain sentences, times as "YYYY-MM-DD HH:MM:SS UTC (N s ago)",
// newest history first. Pure (the caller passes the time), so every wording is tested without an agent.
import type { HaStatus } from '../agent/protocol/index.ts';

/** What each heartbeat drop reason means, in an administrator's words (docs/redundancy.md). */
const DROP_LABELS: Record<string, string> = {
  'wrong-sender': 'from an address that is not the partner',
  malformed: 'not a heartbeat packet',
  unauthenticated: 'without an authentication tag',
  'bad-tag': 'with a wrong authentication tag (different key, or forged)',
  replay: 'replayed (seen before)',
  'wrong-node': 'claiming this router\'s own role (both routers configured as the same node)',
};

/** The role machine's reasons for the split-brain case start with this (agent/ha/role.ts). */
const BOTH_ACTIVE = /^both routers active/;

export function formatTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19) + ' UTC';
}

/** "N s ago", "N min ago", "N h ago"; "just now" under a second; "in the future" on clock skew. */
export function ago(iso: string, nowMs: number): string {
  const ms = nowMs - Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  if (ms < -1000) return 'in the future (clock skew)';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 1) return 'just now';
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

const when = (iso: string, nowMs: number) => `${formatTime(iso)} (${ago(iso, nowMs)})`;

export interface HaSummary {
  /** "primary, ACTIVE" / "backup, standby (primary 10.0.0.1 is active)" / "standalone (…)" */
  text: string;
  /** 'active' | 'standby' | 'unserved' (standby and so is everyone else) | 'standalone', for the CSS class. */
  state: string;
}

function partnerName(ha: HaStatus): string {
  const other = ha.role === 'primary' ? 'backup' : 'primary';
  const address = ha.partner?.addresses[0];
  return address ? `${other} ${address}` : other;
}

/** What the partner is doing, as the end of a sentence: "is active", "has not been heard from". */
function partnerDoing(ha: HaStatus): string {
  switch (ha.partner?.state) {
    case 'active':
      return 'is active';
    case 'standby':
      return 'is standby';
    case 'stopping':
      return 'is stopping';
    case 'dead':
      return 'is not answering (no heartbeat within deadtime)';
    default:
      return 'has not been heard from yet';
  }
}

/** The one line CONTROL/MONITORING shows next to the daemon status. */
export function haSummary(ha: HaStatus | null): HaSummary {
  if (!ha) return { text: 'standalone (no backup router configured, or the backup is disabled)', state: 'standalone' };
  const state = ha.state === 'active' ? 'ACTIVE' : 'standby';
  if (!ha.partner) {
    const alone = ha.role === 'primary' ? 'no backup router: this router serves alone' : 'backup_active = 0: this backup stays inactive';
    return { text: `${ha.role}, ${state} (${alone})`, state: ha.state };
  }
  // The active router needs only its own state; a standby one says who serves instead (or that nobody does).
  if (ha.state === 'active') {
    const extra = ha.partner.state === 'active' ? ` (the ${partnerName(ha)} is active too: resolving)` : '';
    return { text: `${ha.role}, ACTIVE${extra}`, state: 'active' };
  }
  // Both standby (the partner dead, stopping or standby too): nobody holds the addresses, say so.
  const unserved = ha.partner.state !== 'active';
  return { text: `${ha.role}, standby (${partnerName(ha)} ${partnerDoing(ha)}${unserved ? '; no router is serving' : ''})`, state: unserved ? 'unserved' : 'standby' };
}

/**
 * The split-brain alert CONTROL/MONITORING shows (null when there is none): this router is active,
 * its partner silent, and another machine answers ARP for an address it holds.
 */
export function splitBrainAlert(ha: HaStatus | null): string | null {
  const sb = ha?.splitBrain;
  if (!ha || !sb) return null;
  return (
    `This router (the ${ha.role}) is active and has not heard its partner for deadtime, yet ${sb.mac} also answers for ${sb.address} ` +
    `(since ${formatTime(sb.since)}): both routers are active. Restore the heartbeat path between them (cable, firewall, heartbeat port); ` +
    'once they hear each other the primary keeps the addresses and the backup stands by.'
  );
}

export interface HaView {
  summary: HaSummary;
  role: string;
  state: string;
  partner: null | {
    name: string;
    addresses: string;
    state: string;
    stateClass: string;
    lastHeartbeat: string;
    serial: string;
  };
  serials: { here: string; partner: string; differ: boolean };
  sync: { enabled: boolean; last: string; error: string | null };
  dropped: { reason: string; label: string; count: number }[];
  droppedTotal: number;
  history: { time: string; from: string; to: string; reason: string; bothActive: boolean; resolution: string | null }[];
  problems: { time: string; message: string }[];
  vips: string[];
  linkUp: boolean;
  noKey: boolean;
  /** Warnings from the agent that this view does not already show in its own words. */
  otherWarnings: string[];
}

const PARTNER_STATE: Record<string, [string, string]> = {
  active: ['active', 'state-up'],
  standby: ['standby', 'state-pending'],
  stopping: ['stopping (leaving the pair)', 'state-down'],
  dead: ['dead: no heartbeat within deadtime', 'state-down'],
  unknown: ['unknown: no heartbeat received yet', 'state-pending'],
};

export function haView(ha: HaStatus, nowMs: number): HaView {
  const p = ha.partner;
  const sync = ha.sync;
  const here = sync.localSerial ?? null;
  const there = sync.partnerSerial ?? p?.serial ?? null;
  const differ = sync.inSync === false || (here !== null && there !== null && here !== there);
  const last = sync.lastSync
    ? `${when(sync.lastSync.time, nowMs)}: ${sync.lastSync.direction === 'sent' ? 'sent' : 'received'} serial_no ${sync.lastSync.serial ?? '(none)'} ${sync.lastSync.direction === 'sent' ? 'to' : 'from'} the partner`
    : ha.keyConfigured
      ? 'none since the agent started'
      : 'off: configuration sync needs the heartbeat key';
  const dropped = Object.entries(ha.dropped).map(([reason, count]) => ({ reason, label: DROP_LABELS[reason] ?? reason, count }));
  const history = [...ha.history].reverse().map((t) => {
    const bothActive = BOTH_ACTIVE.test(t.reason);
    // The primary keeps serving (active → active), the backup steps down (active → standby).
    const resolution = !bothActive ? null : t.to === 'active' ? 'resolved: this router kept the addresses' : 'resolved: this router stepped down';
    return { time: when(t.time, nowMs), from: t.from, to: t.to, reason: t.reason, bothActive, resolution };
  });
  return {
    summary: haSummary(ha),
    role: ha.role,
    state: ha.state,
    partner: p && {
      name: ha.role === 'primary' ? 'backup' : 'primary',
      addresses: p.addresses.join(', ') || '(none configured)',
      state: (PARTNER_STATE[p.state] ?? [p.state, ''])[0],
      stateClass: (PARTNER_STATE[p.state] ?? [p.state, ''])[1],
      lastHeartbeat: p.lastHeartbeat ? when(p.lastHeartbeat, nowMs) : 'never (since this agent started)',
      serial: p.serial === null ? 'not known yet' : String(p.serial),
    },
    serials: { here: here === null ? 'none loaded' : String(here), partner: there === null ? 'not known yet' : String(there), differ },
    sync: { enabled: ha.keyConfigured, last, error: sync.lastError ? `${when(sync.lastError.time, nowMs)}: ${sync.lastError.message}` : null },
    dropped,
    droppedTotal: dropped.reduce((n, d) => n + d.count, 0),
    history,
    problems: [...ha.problems].reverse().map((x) => ({ time: when(x.time, nowMs), message: x.message })),
    vips: ha.vips.map((v) => `${v.address}/${v.prefix} on ${v.label ?? v.device}`),
    linkUp: ha.linkUp,
    noKey: !ha.keyConfigured,
    // The agent words the key and serial warnings for its log; the panel shows its own, with the
    // command to run, so those two are left out here and anything else is passed through.
    otherWarnings: ha.warnings.filter((w) => !/^No heartbeat key|^The routers run different configurations/.test(w)),
  };
}
