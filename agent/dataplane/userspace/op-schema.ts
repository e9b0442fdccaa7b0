// Zod schemas for the operations a dataplane accepts: the boundary between the director and the
// dataplanes. Both dataplanes validate every op before acting, and the ipvs dataplane writes the
// values into an ipvsadm batch, so nothing here may carry a space, newline or quote.
import { z } from 'zod';
import { isIPv4 } from '../../../common/ipv4.ts';
import { SCHEDULERS } from '../../../lvs-cf/model.ts';
import type { DataplaneOp, ServiceSpec } from '../types.ts';

const dotted = z
  .string()
  .refine(isIPv4, 'must be a dotted IPv4 address');

/** lvs.cf allows a hostname for a real server (rarely used); letters, digits, dots and dashes only. */
const host = z
  .string()
  .refine(
    (s) =>
      isIPv4(s) ||
      /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(s),
    'must be an IPv4 address or a host name',
  );

const port = z.number().int().min(0).max(65535);

export const serviceSpecSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    protocol: z.enum(['tcp', 'udp']),
    address: dotted,
    port,
    fwmark: z.number().int().min(0).max(0xffffffff),
    scheduler: z.enum(SCHEDULERS),
    persistent: z.number().int().min(0).max(0x7fffffff),
    pmask: dotted.nullable(),
  })
  .superRefine((s, ctx) => {
    const expected = serviceKey(s);
    if (s.key !== expected) {
      ctx.addIssue({ code: 'custom', message: `key "${s.key}" does not match the service (expected "${expected}")` });
    }
    if (s.fwmark === 0 && s.port === 0) {
      ctx.addIssue({ code: 'custom', message: 'a service without a firewall mark needs a port' });
    }
  });

export const realSpecSchema = z.object({
  address: host,
  port,
  weight: z.number().int().min(0).max(65535),
  method: z.enum(['m', 'g', 'i']),
});

const keySchema = z
  .string()
  .regex(/^(?:(?:tcp|udp)\|\d{1,3}(?:\.\d{1,3}){3}\|\d{1,5}|fwm\|\d{1,10})$/, 'is not a service key');

export const dataplaneOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('addService'), service: serviceSpecSchema }),
  z.object({ op: z.literal('editService'), service: serviceSpecSchema }),
  z.object({ op: z.literal('deleteService'), key: keySchema }),
  z.object({ op: z.literal('addReal'), key: keySchema, real: realSpecSchema }),
  z.object({ op: z.literal('editReal'), key: keySchema, real: realSpecSchema }),
  z.object({ op: z.literal('deleteReal'), key: keySchema, address: host, port }),
]);

/** The key the contract defines: `tcp|VIP|PORT`, `udp|VIP|PORT` or `fwm|MARK`. */
export function serviceKey(s: Pick<ServiceSpec, 'protocol' | 'address' | 'port' | 'fwmark'>): string {
  return s.fwmark !== 0 ? `fwm|${s.fwmark}` : `${s.protocol}|${s.address}|${s.port}`;
}

/** Validates an op; returns it typed, or a one-line reason. */
export function checkOp(op: unknown): { ok: true; op: DataplaneOp } | { ok: false; message: string } {
  const r = dataplaneOpSchema.safeParse(op);
  if (r.success) return { ok: true, op: r.data as DataplaneOp };
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, message: `invalid operation: ${where}${issue.message}` };
}
