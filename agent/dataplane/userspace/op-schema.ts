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

const KEY_PATTERN = /^(?:(?:tcp|udp)\|\d{1,3}(?:\.\d{1,3}){3}\|\d{1,5}|fwm\|\d{1,10})$/;

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

const keySchema = z.string().regex(KEY_PATTERN, 'is not a service key');

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

const METHODS = new Set(['m', 'g', 'i']);

function isPort(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
}

/**
 * The real server operations of the usual kind (a dotted quad, plain numbers, no extra fields),
 * recognised without zod: a table of 200,000 real servers is as many operations at startup, and
 * the schema cost more per operation than the dataplane's own work. Accepts only what
 * dataplaneOpSchema accepts (op-schema.test.ts holds the two together); anything else, and every
 * refusal, goes through the schema.
 */
function plainRealOp(op: unknown): op is Extract<DataplaneOp, { op: 'addReal' | 'editReal' | 'deleteReal' }> {
  if (typeof op !== 'object' || op === null) return false;
  const o = op as Record<string, unknown>;
  if (typeof o.key !== 'string' || !KEY_PATTERN.test(o.key)) return false;
  if (o.op === 'deleteReal') return Object.keys(o).length === 4 && typeof o.address === 'string' && isIPv4(o.address) && isPort(o.port);
  if (o.op !== 'addReal' && o.op !== 'editReal') return false;
  const r = o.real as Record<string, unknown> | null;
  if (Object.keys(o).length !== 3 || typeof r !== 'object' || r === null || Object.keys(r).length !== 4) return false;
  return typeof r.address === 'string' && isIPv4(r.address) && isPort(r.port) && isPort(r.weight) && typeof r.method === 'string' && METHODS.has(r.method);
}

const SCHEDULER_NAMES = new Set<string>(SCHEDULERS);

function isWhole(n: unknown, max: number): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;
}

/** A service spec of exactly the schema's fields, each as the schema accepts it (see plainServiceOp). */
function plainServiceSpec(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  const o = s as Record<string, unknown>;
  if (Object.keys(o).length !== 9) return false;
  if (typeof o.key !== 'string' || typeof o.name !== 'string' || (o.protocol !== 'tcp' && o.protocol !== 'udp')) return false;
  if (typeof o.address !== 'string' || !isIPv4(o.address) || !isPort(o.port) || !isWhole(o.fwmark, 0xffffffff)) return false;
  if (typeof o.scheduler !== 'string' || !SCHEDULER_NAMES.has(o.scheduler) || !isWhole(o.persistent, 0x7fffffff)) return false;
  if (o.pmask !== null && (typeof o.pmask !== 'string' || !isIPv4(o.pmask))) return false;
  if (o.fwmark === 0 && o.port === 0) return false;
  return o.key === serviceKey(o as unknown as ServiceSpec);
}

/**
 * The service operations of the usual kind, recognised without zod as plainRealOp's are: a file of
 * 10,000 virtual servers is 10,000 addService at startup, before any of them listens. Accepts only
 * what dataplaneOpSchema accepts (op-schema.test.ts); anything else goes through the schema.
 */
function plainServiceOp(op: unknown): op is Extract<DataplaneOp, { op: 'addService' | 'editService' | 'deleteService' }> {
  if (typeof op !== 'object' || op === null) return false;
  const o = op as Record<string, unknown>;
  if (Object.keys(o).length !== 2) return false;
  if (o.op === 'deleteService') return typeof o.key === 'string' && KEY_PATTERN.test(o.key);
  return (o.op === 'addService' || o.op === 'editService') && plainServiceSpec(o.service);
}

/** Validates an op; returns it typed, or a one-line reason. */
export function checkOp(op: unknown): { ok: true; op: DataplaneOp } | { ok: false; message: string } {
  if (plainRealOp(op) || plainServiceOp(op)) return { ok: true, op };
  const r = dataplaneOpSchema.safeParse(op);
  if (r.success) return { ok: true, op: r.data as DataplaneOp };
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, message: `invalid operation: ${where}${issue.message}` };
}
