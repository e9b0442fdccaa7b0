// Every keyword the C parser accepts at each level, the kind of value it takes, and the order in
// which the original GUI writes it (lvs-cf-format.md §2.3–2.8).
import { SCHEDULERS, NETWORKS } from './model.ts';

export type ValueKind =
  | { kind: 'int' }
  | { kind: 'bool' }
  | { kind: 'port'; services: boolean }
  | { kind: 'host'; zeroAllowed: boolean }
  | { kind: 'dotted'; mask: boolean }
  | { kind: 'enum'; values: readonly string[] }
  /**
   * `quoted`: the GUI writes it between double quotes. `keepsQuotes`: the daemons keep the quote
   * characters of a quoted word (send, expect, …) and what runs it strips only double quotes.
   */
  | { kind: 'string'; quoted: boolean; keepsQuotes: boolean }
  | { kind: 'hostDevice' }
  | { kind: 'list' };

export type Level = 'global' | 'virtual' | 'failover' | 'server';

const int = { kind: 'int' } as const;
const bool = { kind: 'bool' } as const;
const str = { kind: 'string', quoted: false, keepsQuotes: false } as const;
const quoted = { kind: 'string', quoted: true, keepsQuotes: true } as const;
/** active_cmd / inactive_cmd: written quoted, but stored by the daemons without their quotes. */
const command = { kind: 'string', quoted: true, keepsQuotes: false } as const;
const host = { kind: 'host', zeroAllowed: false } as const;
const mask = { kind: 'dotted', mask: true } as const;

export const GLOBAL_KEYS: Record<string, ValueKind> = {
  serial_no: int,
  primary: host,
  primary_private: host,
  primary_shared: str,
  backup: { kind: 'host', zeroAllowed: true },
  backup_private: host,
  backup_shared: str,
  backup_active: bool,
  heartbeat: bool,
  heartbeat_port: { kind: 'port', services: true },
  keepalive: int,
  deadtime: int,
  rsh_command: str,
  network: { kind: 'enum', values: NETWORKS },
  nat_router: { kind: 'hostDevice' },
  nat_nmask: mask,
  service: { kind: 'enum', values: ['lvs', 'fos'] },
  reservation_conflict_action: { kind: 'enum', values: ['nothing', 'preempt'] },
  debug_level: str,
  monitor_links: int,
  syncdaemon: bool,
  syncd_iface: str,
  syncd_id: int,
  tcp_timeout: int,
  tcpfin_timeout: int,
  udp_timeout: int,
  hard_shutdown: bool,
  active_cmd: command,
  inactive_cmd: command,
  ipvsadm: str,
  sync: bool,
};

export const VIRTUAL_KEYS: Record<string, ValueKind> = {
  active: bool,
  address: { kind: 'hostDevice' },
  vip_nmask: mask,
  sorry_server: { kind: 'dotted', mask: false },
  fwmark: int,
  protocol: { kind: 'enum', values: ['tcp', 'udp'] },
  port: { kind: 'port', services: true },
  scheduler: { kind: 'enum', values: SCHEDULERS },
  persistent: int,
  pmask: mask,
  send: quoted,
  expect: quoted,
  use_regex: bool,
  send_program: quoted,
  load_monitor: str,
  timeout: int,
  reentry: int,
  quiesce_server: bool,
  client_monitor: str,
  start_cmd: quoted,
  stop_cmd: quoted,
  master: { kind: 'host', zeroAllowed: true },
  dirs: { kind: 'list' },
};

export const SERVER_KEYS: Record<string, ValueKind> = {
  address: { kind: 'host', zeroAllowed: true },
  active: bool,
  weight: int,
  port: { kind: 'port', services: false },
};

export function keysFor(level: Level): Record<string, ValueKind> {
  if (level === 'global') return GLOBAL_KEYS;
  if (level === 'server') return SERVER_KEYS;
  return VIRTUAL_KEYS;
}

/** The kind of value `word` takes at `level`, or undefined when the daemons do not know it there. */
export function kindOf(level: Level, word: string): ValueKind | undefined {
  const keys = keysFor(level);
  // Own keys only: a word like `constructor` must not find Object.prototype.
  return Object.hasOwn(keys, word) ? keys[word] : undefined;
}

/** The GUI writer's key order (§2.8); keys it never wrote follow, in the order listed here. */
export const CANONICAL_ORDER: Record<Level, string[]> = {
  global: [
    'serial_no', 'primary', 'primary_private', 'primary_shared', 'service', 'rsh_command', 'backup_active', 'backup',
    'backup_private', 'backup_shared', 'heartbeat', 'heartbeat_port', 'keepalive', 'deadtime', 'network', 'nat_router',
    'nat_nmask', 'reservation_conflict_action', 'debug_level', 'monitor_links', 'syncdaemon', 'syncd_iface', 'syncd_id',
    'tcp_timeout', 'tcpfin_timeout', 'udp_timeout',
    'hard_shutdown', 'active_cmd', 'inactive_cmd', 'ipvsadm', 'sync',
  ],
  virtual: [
    'active', 'address', 'sorry_server', 'vip_nmask', 'fwmark', 'port', 'persistent', 'pmask', 'send', 'expect', 'use_regex',
    'send_program', 'load_monitor', 'scheduler', 'protocol', 'timeout', 'reentry', 'quiesce_server',
    'client_monitor', 'start_cmd', 'stop_cmd', 'master', 'dirs',
  ],
  failover: [
    'address', 'vip_nmask', 'active', 'port', 'timeout', 'send', 'expect', 'send_program', 'start_cmd', 'stop_cmd',
    'protocol', 'reentry', 'client_monitor', 'sorry_server', 'fwmark', 'persistent', 'pmask', 'use_regex', 'load_monitor',
    'scheduler', 'quiesce_server', 'master', 'dirs',
  ],
  server: ['address', 'active', 'port', 'weight'],
};

/** Keys whose value takes two tokens (`address = VIP DEVICE`, `nat_router = IP DEVICE`). */
export function arity(kind: ValueKind): number {
  return kind.kind === 'hostDevice' ? 2 : 1;
}
