// What the agent answers, as the console and any other client read it. These are the wire's own
// types: the agent's internals (dataplane tables, checker states) map to them, so a change inside
// the agent cannot change what a console receives without a change here.
import { z } from 'zod';
import { listSummarySchema, pageSchema } from './listing.ts';

const isoTime = z.string();
const count = z.number().int().min(0);

export const helloResultSchema = z.object({
  agent: z.literal('piranha-agent'),
  version: z.string(),
  protocol: z.number().int(),
});
export type HelloResult = z.infer<typeof helloResultSchema>;

export const ROLES = ['active', 'standby', 'standalone'] as const;
export type Role = (typeof ROLES)[number];

export const DATAPLANE_KINDS = ['userspace', 'ipvs'] as const;
export type DataplaneKind = (typeof DATAPLANE_KINDS)[number];

export const problemSchema = z.object({ service: z.string(), message: z.string() });
export type Problem = z.infer<typeof problemSchema>;

export const statusResultSchema = z.object({
  running: z.boolean(),
  /** `standalone` without redundancy; `active`/`standby` as the pair's role machine decided. */
  role: z.enum(ROLES),
  /** ISO time of the last change of `running` or `role`. */
  since: isoTime,
  /** serial_no of the configuration in use, null when none is loaded. */
  serial: z.number().int().nullable(),
  configPath: z.string(),
  dataplane: z.enum(DATAPLANE_KINDS),
  pid: z.number().int(),
  startedAt: isoTime,
  /** The last reload problem (e.g. an invalid lvs.cf kept out), null when the last reload succeeded. */
  lastReloadError: z.string().nullable(),
  /** Services the dataplane could not serve, with the reason. */
  problems: z.array(problemSchema),
});
export type StatusResult = z.infer<typeof statusResultSchema>;

/** Forwarding method as ipvsadm spells it: m (NAT), g (direct routing), i (tunnel). */
export const FORWARD_METHODS = ['m', 'g', 'i'] as const;

export const realStatsSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  method: z.enum(FORWARD_METHODS),
  weight: z.number().int(),
  activeConns: count,
  inactiveConns: count,
  connections: count,
  packetsIn: count,
  packetsOut: count,
  bytesIn: count,
  bytesOut: count,
});
export type RealStats = z.infer<typeof realStatsSchema>;

/** One service of the agent's, as the dataplane reports it. */
export const serviceStatsSchema = z.object({
  /** `tcp|VIP|PORT`, `udp|VIP|PORT` or `fwm|MARK`. */
  key: z.string(),
  /** The lvs.cf virtual server it comes from. */
  name: z.string(),
  protocol: z.enum(['tcp', 'udp']),
  address: z.string(),
  port: z.number().int(),
  fwmark: z.number().int(),
  /** As the dataplane reports it (the kernel may show a scheduler set outside Piranha). */
  scheduler: z.string(),
  persistent: z.number().int(),
  pmask: z.string().nullable(),
  reals: z.array(realStatsSchema),
  /** Why this service carries no traffic (e.g. the VIP is not an address of this machine), else null. */
  problem: z.string().nullable(),
});
export type ServiceStats = z.infer<typeof serviceStatsSchema>;

/** `summary` and `page` are absent in the replies of agents that did not page (older ones). */
export const tableResultSchema = z.object({ services: z.array(serviceStatsSchema), summary: listSummarySchema.optional(), page: pageSchema.optional() });
export type TableResult = z.infer<typeof tableResultSchema>;

export const CHECKER_STATES = ['pending', 'up', 'down'] as const;
export type CheckerStateName = (typeof CHECKER_STATES)[number];

export const checkerInfoSchema = z.object({
  virtual: z.string(),
  server: z.string(),
  address: z.string(),
  port: z.number().int(),
  /** What is checked, in words: "connect tcp", "send/expect", "program /usr/bin/x %h", "HTTP GET /". */
  check: z.string(),
  state: z.enum(CHECKER_STATES),
  /** ISO time the state began. */
  since: isoTime,
  lastResult: z.enum(['ok', 'fail']).nullable(),
  lastCheck: isoTime.nullable(),
  lastError: z.string().nullable(),
  /** Weight currently given to the dataplane (quiesce sets 0, the re-entry ramp raises it step by step). */
  weight: z.number().int(),
  /** How long the last check took, ms (null before the first); absent from older agents. */
  lastLatencyMs: z.number().min(0).nullable().optional(),
});
export type CheckerInfo = z.infer<typeof checkerInfoSchema>;

export const checkersResultSchema = z.object({ checkers: z.array(checkerInfoSchema), summary: listSummarySchema.optional(), page: pageSchema.optional() });
export type CheckersResult = z.infer<typeof checkersResultSchema>;

export const checkNowResultSchema = z.object({
  virtual: z.string(),
  server: z.string(),
  sent: z.string(),
  received: z.string(),
  verdict: z.enum(['up', 'down']),
  error: z.string().nullable(),
  durationMs: z.number().min(0),
});
export type CheckNowResult = z.infer<typeof checkNowResultSchema>;

export const reloadResultSchema = z.object({
  serial: z.number().int().nullable(),
  /** Number of dataplane operations the reload applied. */
  operations: count,
});
export type ReloadResult = z.infer<typeof reloadResultSchema>;

export const subscribeResultSchema = z.object({ subscribed: z.literal(true) });

export const PLAN_OPS = ['addService', 'editService', 'deleteService', 'addReal', 'editReal', 'deleteReal'] as const;

/** One dataplane operation a proposed lvs.cf would cause, with what it changes from the live table. */
export const planOperationSchema = z.object({
  op: z.enum(PLAN_OPS),
  /** `tcp|VIP|PORT`, `udp|VIP|PORT` or `fwm|MARK`. */
  service: z.string(),
  /** The lvs.cf virtual server it concerns (the live table's name for a removed service). */
  virtual: z.string(),
  /** `ADDRESS:PORT` of the real server, null for service operations. */
  real: z.string().nullable(),
  /** The real server's lvs.cf name when known. */
  server: z.string().nullable(),
  /** The weight before (live table) and after, for real server operations. */
  weight: z.object({ from: z.number().int().nullable(), to: z.number().int().nullable() }).nullable(),
  /** An addition that waits for the real server's first passing health check. */
  afterCheck: z.boolean(),
  /** The operation in one sentence. */
  text: z.string(),
});
export type PlanOperation = z.infer<typeof planOperationSchema>;

export const planResultSchema = z.object({
  /** serial_no of the proposal. */
  serial: z.number().int().nullable(),
  /** false when this router does not direct (stopped, standby): nothing would change in its table now. */
  directing: z.boolean(),
  role: z.enum(ROLES),
  /** What was compared: the services the change touches, or every service of the file. */
  scope: z.enum(['changed', 'whole']),
  /** How many services were compared. */
  services: count,
  operations: z.array(planOperationSchema),
  /** What the operator should know besides the operations (real servers down, a file not loaded yet…). */
  notes: z.array(z.string()),
  /** The director's problems with the proposal (a virtual server without address, two on one service). */
  problems: z.array(problemSchema),
});
export type PlanResult = z.infer<typeof planResultSchema>;
