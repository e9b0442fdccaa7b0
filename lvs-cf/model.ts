// The typed model of an lvs.cf file: every key the original C parser (lvsconfig.c, piranha 0.8.6)
// accepts, with the defaults the daemons apply when a key is absent. The console shows it, the
// agent runs it. Values are the daemons' reading of the file (integers already converted, surrounding
// double quotes already stripped), not the raw text; the raw text lives in the syntax tree.
import { z } from 'zod';
import type { DiagnosticCode, Severity } from './codes.ts';

export type { DiagnosticCode, Severity } from './codes.ts';

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh'] as const;
export const schedulerSchema = z.enum(SCHEDULERS);
export type Scheduler = z.infer<typeof schedulerSchema>;

/** The manual's names for the schedulers (chapter 1.3.1), in the GUI's order. */
export const SCHEDULER_LABELS: Record<Scheduler, string> = {
  wlc: 'Weighted least-connections',
  rr: 'Round robin',
  wrr: 'Weighted round robin',
  lc: 'Least-connection',
  lblc: 'Locality-Based Least-Connection Scheduling',
  lblcr: 'Locality-Based Least-Connection Scheduling (R)',
  dh: 'Destination Hash Scheduling',
  sh: 'Source Hash Scheduling',
};

export const NETWORKS = ['nat', 'direct', 'tunnel'] as const;
export const networkSchema = z.enum(NETWORKS);
export type Network = z.infer<typeof networkSchema>;

export const protocolSchema = z.enum(['tcp', 'udp']);
export type Protocol = z.infer<typeof protocolSchema>;

export const realServerSchema = z.object({
  name: z.string(),
  /** As written: a dotted quad or, rarely, a hostname. `0.0.0.0` when absent. */
  address: z.string(),
  active: z.boolean(),
  weight: z.number().int(),
  /** Defaults to the virtual server's `port` as parsed *before* this block (quirk Q7). */
  port: z.number().int(),
  /** 1-based line of the `server NAME {` header. */
  line: z.number().int(),
});
export type RealServer = z.infer<typeof realServerSchema>;

export const virtualServerSchema = z.object({
  kind: z.enum(['virtual', 'failover']),
  name: z.string(),
  active: z.boolean(),
  /** The VIP as written (first token of `address`), null when absent. */
  address: z.string().nullable(),
  /** The interface (second token of `address`), e.g. `eth0:1`. */
  device: z.string().nullable(),
  /** null when absent or 0.0.0.0 ("Unused"). */
  vip_nmask: z.string().nullable(),
  sorry_server: z.string().nullable(),
  /** 0 = no firewall mark. Read as the daemons do: a negative value wraps to unsigned 32-bit. */
  fwmark: z.number().int(),
  protocol: protocolSchema,
  port: z.number().int(),
  scheduler: schedulerSchema,
  persistent: z.number().int(),
  /** null when absent, 0.0.0.0 or 255.255.255.255 (quirk Q8: the daemons drop that value). */
  pmask: z.string().nullable(),
  /** Surrounding double quotes removed; escapes (\r \n …) NOT interpreted (nanny does that). */
  send: z.string().nullable(),
  expect: z.string().nullable(),
  use_regex: z.boolean(),
  send_program: z.string().nullable(),
  load_monitor: z.string().nullable(),
  timeout: z.number().int(),
  reentry: z.number().int(),
  quiesce_server: z.boolean(),
  client_monitor: z.string().nullable(),
  start_cmd: z.string().nullable(),
  stop_cmd: z.string().nullable(),
  servers: z.array(realServerSchema),
  line: z.number().int(),
});
export type VirtualServer = z.infer<typeof virtualServerSchema>;

export const natRouterSchema = z.object({ address: z.string(), device: z.string() });

export const lvsConfigSchema = z.object({
  serial_no: z.number().int(),
  primary: z.string().nullable(),
  /** As written; the daemons copy `primary` when absent (use effectivePrivate()). */
  primary_private: z.string().nullable(),
  primary_shared: z.string().nullable(),
  backup: z.string().nullable(),
  backup_private: z.string().nullable(),
  backup_shared: z.string().nullable(),
  backup_active: z.boolean(),
  heartbeat: z.boolean(),
  heartbeat_port: z.number().int(),
  keepalive: z.number().int(),
  deadtime: z.number().int(),
  rsh_command: z.string(),
  network: networkSchema,
  nat_router: natRouterSchema.nullable(),
  nat_nmask: z.string().nullable(),
  service: z.enum(['lvs', 'fos']),
  reservation_conflict_action: z.enum(['nothing', 'preempt']).nullable(),
  debug_level: z.string(),
  monitor_links: z.number().int(),
  syncdaemon: z.boolean(),
  syncd_iface: z.string(),
  syncd_id: z.number().int(),
  tcp_timeout: z.number().int(),
  tcpfin_timeout: z.number().int(),
  udp_timeout: z.number().int(),
  hard_shutdown: z.boolean(),
  active_cmd: z.string().nullable(),
  inactive_cmd: z.string().nullable(),
  ipvsadm: z.string(),
  sync: z.boolean(),
  virtuals: z.array(virtualServerSchema),
  failovers: z.array(virtualServerSchema),
});
export type LvsConfig = z.infer<typeof lvsConfigSchema>;

/** Where in the model a diagnostic or an edit applies. Indexes are 0-based, in file order. */
export type Target =
  | { scope: 'global' }
  | { scope: 'virtual'; virtual: number }
  | { scope: 'server'; virtual: number; server: number };

export interface Diagnostic {
  severity: Severity;
  /** Stable code (codes.ts, one row each in docs/lvs-cf.md), e.g. `BADCOMMAND` for the daemons' rc 12, `V-PORT` for a semantic check. */
  code: DiagnosticCode;
  message: string;
  /** 1-based line and column; 0 when the problem concerns no line (an empty file, a missing key). */
  line: number;
  column: number;
  /** Length of the offending text on that line, for underlining. */
  length: number;
  /** The model element and key the problem belongs to, so the console can show it beside its field. */
  target?: Target;
  key?: string;
  /**
   * Set on a warning the daemons tolerate in a file but the console never writes: an edit whose
   * result adds this problem is refused (what the console writes is stricter than what it reads).
   */
  writeError?: true;
}
