// The events a subscribed connection receives: lines with `event` and `data`, no id.
import { z } from 'zod';
import { describeIssues, type Checked } from './envelope.ts';
import { checkerInfoSchema, reloadResultSchema, statusResultSchema } from './results.ts';
import { haStatusSchema } from './ha.ts';
import { driftResultSchema } from './kernel.ts';

export const logEntrySchema = z.object({ time: z.string(), message: z.string() });
export type LogEntry = z.infer<typeof logEntrySchema>;

export const agentEventSchema = z.discriminatedUnion('event', [
  /** `running`, `role` or `lastReloadError` changed. */
  z.object({ event: z.literal('state'), data: statusResultSchema }),
  /** A real server changed state, or its weight in the dataplane changed. */
  z.object({ event: z.literal('checker'), data: checkerInfoSchema }),
  /** A reload succeeded. */
  z.object({ event: z.literal('reload'), data: reloadResultSchema }),
  /** Every log line. */
  z.object({ event: z.literal('log'), data: logEntrySchema }),
  /** Redundancy changed: a transition, the partner's state or serial, a sync, a problem. */
  z.object({ event: z.literal('ha'), data: haStatusSchema }),
  /** The drift of the dataplane's table changed (found, changed, gone, or the table unreadable). */
  z.object({ event: z.literal('drift'), data: driftResultSchema }),
]);
export type AgentEvent = z.infer<typeof agentEventSchema>;
export type EventName = AgentEvent['event'];

/**
 * Checks an event line's object. An event name this side does not know is `unknown` rather than
 * malformed: a newer agent may add events, and a client skips what it does not know.
 */
export function checkEvent(value: unknown): Checked<AgentEvent> | { ok: 'unknown'; event: string } {
  const name = (value as { event?: unknown } | null)?.event;
  if (typeof name === 'string' && !EVENT_NAMES.has(name)) return { ok: 'unknown', event: name };
  const r = agentEventSchema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, message: `the ${String(name)} event does not match the protocol: ${describeIssues(r.error)}` };
}

const EVENT_NAMES = new Set<string>(agentEventSchema.options.map((o) => o.shape.event.value));
