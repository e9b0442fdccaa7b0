// The kernel side of the ipvs dataplane: drift of the table (changes made outside Piranha, e.g.
// ipvsadm by hand), the explicit `reconcile` that restores what the agent applied, and the router
// settings (sysctls) the agent manages. See docs/agent-protocol.md.
import { z } from 'zod';

const count = z.number().int().min(0);

export const DRIFT_KINDS = ['service-missing', 'scheduling-changed', 'real-missing', 'real-added', 'real-changed'] as const;

export const driftEntrySchema = z.object({
  /** `tcp|VIP|PORT`, `udp|VIP|PORT` or `fwm|MARK`. */
  service: z.string(),
  /** The lvs.cf virtual server the service comes from. */
  virtual: z.string(),
  kind: z.enum(DRIFT_KINDS),
  /** One sentence naming both values, e.g. "real server 192.0.2.12:80 of tcp|… has weight 5 in the table, Piranha applied 1". */
  text: z.string(),
});
export type DriftEntry = z.infer<typeof driftEntrySchema>;

export const driftResultSchema = z.object({
  /** false when the dataplane's table cannot change outside Piranha (userspace): drift is then always empty. */
  watched: z.boolean(),
  /** ISO time of the comparison, null before the first one. */
  checkedAt: z.string().nullable(),
  differences: z.array(driftEntrySchema),
  /** How many dataplane operations `reconcile` would apply. */
  operations: count,
  /** Why the live table could not be read, else null. */
  error: z.string().nullable(),
});
export type DriftResult = z.infer<typeof driftResultSchema>;

export const reconcileResultSchema = z.object({
  /** Operations applied to restore the table (0: there was no drift). */
  operations: count,
  /** Operations the dataplane refused, with its reason. */
  failed: z.array(z.object({ service: z.string(), message: z.string() })),
  /** The drift left afterwards (none when every operation was applied). */
  drift: driftResultSchema,
});
export type ReconcileResult = z.infer<typeof reconcileResultSchema>;

export const routerSettingSchema = z.object({
  /** Dotted, as sysctl(8) names it, e.g. `net.ipv4.ip_forward`. */
  name: z.string(),
  wanted: z.string(),
  /** The value read back now, null when it cannot be read. */
  actual: z.string().nullable(),
  /** Why the agent sets it. */
  reason: z.string(),
  /** Why actual is not wanted (the file is missing: a module not loaded; the kernel refused the write), else null. */
  error: z.string().nullable(),
});
export type RouterSetting = z.infer<typeof routerSettingSchema>;

export const routerSettingsResultSchema = z.object({
  /** false on the userspace dataplane: the agent then manages no kernel setting. */
  managed: z.boolean(),
  settings: z.array(routerSettingSchema),
});
export type RouterSettingsResult = z.infer<typeof routerSettingsResultSchema>;
