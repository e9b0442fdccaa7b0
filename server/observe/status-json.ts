// GET /status.json: the facts of /metrics as one JSON document, with the times they were read.
// The zod schema is the document's definition (docs/observability.md describes it); the route
// checks its own output against it in development and tests.
import { z } from 'zod';
import type { Facts } from './facts.ts';
import { checkerInfoSchema, realStatsSchema, serviceStatsSchema, statusResultSchema } from '../../agent/protocol/index.ts';

const isoTime = z.string();

// Built from the protocol's own schemas, so a field the agent reports is defined once; the
// document adds what only the console knows (the lvs.cf names, the joined check) and renames the
// service's `name`/`key` to `virtual`/`service`.
const countersSchema = realStatsSchema.pick({
  activeConns: true,
  inactiveConns: true,
  connections: true,
  packetsIn: true,
  packetsOut: true,
  bytesIn: true,
  bytesOut: true,
});

const realSchema = countersSchema.extend({
  /** The lvs.cf name, null for a real server the checks do not know (the sorry server). */
  server: z.string().nullable(),
  ...realStatsSchema.pick({ address: true, port: true, weight: true }).shape,
  check: checkerInfoSchema
    .pick({ state: true, since: true, lastCheck: true, lastError: true })
    // Always present here (null before the first check), though older agents leave it out.
    .extend({ lastLatencyMs: z.number().nullable() })
    .nullable(),
});

const serviceSchema = countersSchema.extend({
  virtual: serviceStatsSchema.shape.name,
  service: serviceStatsSchema.shape.key,
  ...serviceStatsSchema.pick({ protocol: true, address: true, port: true, fwmark: true, scheduler: true, problem: true }).shape,
  reals: z.array(realSchema),
});

export const statusJsonSchema = z.object({
  /** When the console answered. */
  generatedAt: isoTime,
  agent: z.object({
    socket: z.string().nullable(),
    /** Whether the agent answered this request. */
    answering: z.boolean(),
    /** Since when it has not answered, null while it answers. */
    silentSince: isoTime.nullable(),
    reason: z.string().nullable(),
    /** When the facts below were read from the agent: older than generatedAt when it did not answer now. */
    readAt: isoTime.nullable(),
  }),
  config: z.object({ fileSerial: z.number().int().nullable(), lastSave: isoTime.nullable() }),
  /** The agent's facts as last read; null before it ever answered. */
  router: statusResultSchema
    .pick({ running: true, role: true, serial: true, lastReloadError: true })
    .extend({
      roleSince: statusResultSchema.shape.since,
      dataplane: z.string(),
      partner: z.object({ state: z.string(), lastHeartbeat: isoTime.nullable() }).nullable(),
      services: z.array(serviceSchema),
    })
    .nullable(),
});
export type StatusJson = z.infer<typeof statusJsonSchema>;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function counters(x: z.infer<typeof countersSchema>) {
  const { activeConns, inactiveConns, connections, packetsIn, packetsOut, bytesIn, bytesOut } = x;
  return { activeConns, inactiveConns, connections, packetsIn, packetsOut, bytesIn, bytesOut };
}

function sum(rows: readonly z.infer<typeof countersSchema>[]) {
  const total = { activeConns: 0, inactiveConns: 0, connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
  for (const r of rows) for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
  return total;
}

export function statusJson(f: Facts): StatusJson {
  const r = f.report;
  let router: StatusJson['router'] = null;
  if (r) {
    const { status, services, checkers, ha } = r.data;
    const checks = new Map(checkers.map((c) => [`${c.virtual}|${c.address}:${c.port}`, c]));
    const partner = ha.ok && ha.data?.partner ? { state: ha.data.partner.state, lastHeartbeat: ha.data.partner.lastHeartbeat } : null;
    router = {
      running: status.running,
      role: status.role,
      roleSince: status.since,
      serial: status.serial,
      dataplane: status.dataplane,
      lastReloadError: status.lastReloadError,
      partner,
      services: services.map((s) => ({
        virtual: s.name,
        service: s.key,
        protocol: s.protocol,
        address: s.address,
        port: s.port,
        fwmark: s.fwmark,
        scheduler: s.scheduler,
        problem: s.problem,
        ...sum(s.reals),
        reals: s.reals.map((x) => {
          const c = checks.get(`${s.name}|${x.address}:${x.port}`);
          return {
            server: c?.server ?? null,
            address: x.address,
            port: x.port,
            weight: x.weight,
            ...counters(x),
            check: c ? { state: c.state, since: c.since, lastCheck: c.lastCheck, lastLatencyMs: c.lastLatencyMs ?? null, lastError: c.lastError } : null,
          };
        }),
      })),
    };
  }
  return {
    generatedAt: new Date(f.generatedAt).toISOString(),
    agent: { socket: f.agent.socket, answering: f.agent.answering, silentSince: iso(f.agent.silentSince), reason: f.agent.reason, readAt: iso(r?.readAt ?? null) },
    config: { fileSerial: f.console.fileSerial, lastSave: iso(f.console.lastSave) },
    router,
  };
}
