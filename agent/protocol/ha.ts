// The redundancy status a router reports (haStatus, the `ha` event), as the wire carries it. The
// redundancy module (agent/ha/) keeps its own types; the agent maps them to this at the socket.
import { z } from 'zod';

const isoTime = z.string();
const timedMessage = z.object({ time: isoTime, message: z.string() });

export const HA_NODES = ['primary', 'backup'] as const;
export const HA_STATES = ['active', 'standby'] as const;
/** The partner as last heard: its own state, or `dead` (silent for deadtime) / `unknown` (never heard). */
export const PARTNER_STATES = ['active', 'standby', 'stopping', 'dead', 'unknown'] as const;

export const haTransitionSchema = z.object({
  time: isoTime,
  from: z.enum(HA_STATES),
  to: z.enum(HA_STATES),
  reason: z.string(),
});

export const haSyncSchema = z.object({
  localSerial: z.number().int().nullable(),
  partnerSerial: z.number().int().nullable(),
  /** false when both serials are known and differ: the console warns. */
  inSync: z.boolean().nullable(),
  lastSync: z.object({ time: isoTime, direction: z.enum(['sent', 'received']), serial: z.number().int().nullable() }).nullable(),
  lastError: timedMessage.nullable(),
});

export const haStatusSchema = z.object({
  role: z.enum(HA_NODES),
  state: z.enum(HA_STATES),
  partner: z
    .object({
      lastHeartbeat: isoTime.nullable(),
      state: z.enum(PARTNER_STATES),
      serial: z.number().int().nullable(),
      addresses: z.array(z.string()),
    })
    .nullable(),
  /**
   * Heartbeats dropped, by reason (wrong-sender, malformed, unauthenticated, bad-tag, replay,
   * wrong-node). Keyed by any string so that a new reason does not make older consoles refuse it.
   */
  dropped: z.record(z.string(), z.number().int().min(0)),
  history: z.array(haTransitionSchema),
  keyConfigured: z.boolean(),
  sync: haSyncSchema,
  /** Addresses held now (while active). */
  vips: z.array(z.object({ address: z.string(), prefix: z.number().int(), device: z.string(), label: z.string().nullable() })),
  linkUp: z.boolean(),
  /** Failures of the last transition (ip, arping, active_cmd, the dataplane), newest last. */
  problems: z.array(timedMessage),
  /** Things the console should show as warnings (no key, serials differ, redundancy stopped). */
  warnings: z.array(z.string()),
  /**
   * Split brain seen from this router: it is active, its partner has been silent for deadtime,
   * and another machine (`mac`) answers ARP for `address`, one of the addresses it holds.
   */
  splitBrain: z.object({ since: isoTime, address: z.string(), mac: z.string() }).nullable(),
});
export type HaStatus = z.infer<typeof haStatusSchema>;
