// The agent's control protocol over its unix socket: one JSON object per line (LF), both ways.
// Shared by the agent (server side) and the console (agent client). Documented in docs/agent-protocol.md.
import { z } from 'zod';
import type { ServiceStats } from './dataplane/types.ts';
import type { HaStatus } from './ha/index.ts';

export type { HaStatus } from './ha/index.ts';

export const PROTOCOL_VERSION = 1;
/** A request line longer than this is refused with E_TOO_LARGE and the connection is closed. */
export const MAX_LINE_BYTES = 64 * 1024;

export const ERROR_CODES = [
  'E_PARSE', // the line is not a JSON object
  'E_TOO_LARGE', // the line exceeds MAX_LINE_BYTES
  'E_VERSION', // hello with a protocol version this agent does not speak
  'E_HANDSHAKE', // a request before hello
  'E_UNKNOWN_METHOD',
  'E_BAD_PARAMS',
  'E_NOT_FOUND', // checkNow on a virtual/real server that does not exist
  'E_CONFIG_INVALID', // reload/start with an lvs.cf that does not validate (message carries the positioned error)
  'E_NOT_RUNNING', // an action that needs the director running
  'E_INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const requestSchema = z.object({
  id: z.union([z.number().int(), z.string().max(64)]),
  method: z.string().max(64),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type Request = z.infer<typeof requestSchema>;

export const helloParamsSchema = z.object({ version: z.number().int(), client: z.string().max(100).optional() });
export const checkNowParamsSchema = z.object({ virtual: z.string().min(1).max(200), server: z.string().min(1).max(200) });

export interface HelloResult {
  agent: 'piranha-agent';
  version: string;
  protocol: number;
}

export type Role = 'active' | 'standby' | 'standalone';

export interface StatusResult {
  running: boolean;
  /** `standalone` without redundancy; `active`/`standby` as the pair's role machine decided. */
  role: Role;
  /** ISO time of the last change of `running` or `role`. */
  since: string;
  /** serial_no of the configuration in use, null when none is loaded. */
  serial: number | null;
  configPath: string;
  dataplane: 'userspace' | 'ipvs';
  pid: number;
  startedAt: string;
  /** The last reload problem (e.g. an invalid lvs.cf kept out), null when the last reload succeeded. */
  lastReloadError: string | null;
  /** Services the dataplane could not serve, with the reason. */
  problems: { service: string; message: string }[];
}

export interface TableResult {
  services: ServiceStats[];
}

export type CheckerStateName = 'pending' | 'up' | 'down';

export interface CheckerInfo {
  virtual: string;
  server: string;
  address: string;
  port: number;
  /** What is checked, in words: "connect tcp", "send/expect", "program /usr/bin/x %h", "HTTP GET /". */
  check: string;
  state: CheckerStateName;
  /** ISO time the state began. */
  since: string;
  lastResult: 'ok' | 'fail' | null;
  lastCheck: string | null;
  lastError: string | null;
  /** Weight currently given to the dataplane (quiesce sets 0, the re-entry ramp raises it step by step). */
  weight: number;
}

export interface CheckersResult {
  checkers: CheckerInfo[];
}

export interface CheckNowResult {
  virtual: string;
  server: string;
  sent: string;
  received: string;
  verdict: 'up' | 'down';
  error: string | null;
  durationMs: number;
}

export interface ReloadResult {
  serial: number | null;
  /** Number of dataplane operations the reload applied. */
  operations: number;
}

export type AgentEvent =
  | { event: 'state'; data: StatusResult }
  | { event: 'checker'; data: CheckerInfo }
  | { event: 'reload'; data: ReloadResult }
  | { event: 'log'; data: { time: string; message: string } }
  /** Redundancy changed: a transition, the partner's state or serial, a sync, a problem. */
  | { event: 'ha'; data: HaStatus };

/** Method name → params and result types; the console's client is typed by this map. */
export interface Methods {
  hello: { params: z.infer<typeof helloParamsSchema>; result: HelloResult };
  status: { params: Record<string, never>; result: StatusResult };
  table: { params: Record<string, never>; result: TableResult };
  checkers: { params: Record<string, never>; result: CheckersResult };
  reload: { params: Record<string, never>; result: ReloadResult };
  start: { params: Record<string, never>; result: StatusResult };
  stop: { params: Record<string, never>; result: StatusResult };
  checkNow: { params: z.infer<typeof checkNowParamsSchema>; result: CheckNowResult };
  subscribe: { params: Record<string, never>; result: { subscribed: true } };
  /** The pair's status; null when this agent runs standalone (no redundancy configured). */
  haStatus: { params: Record<string, never>; result: HaStatus | null };
}
export type MethodName = keyof Methods;

export type Response =
  | { id: Request['id'] | null; result: unknown }
  | { id: Request['id'] | null; error: { code: ErrorCode; message: string } };
