// Every method the agent answers: the schema of its params and of its result. Both sides check
// against this table: the agent its requests (and, in development and tests, its own replies), the
// client every reply, so a mismatch is a clear error naming the field instead of a console that
// renders `undefined`.
import { z } from 'zod';
import { describeIssues, type Checked } from './envelope.ts';
import {
  checkNowResultSchema,
  checkersResultSchema,
  helloResultSchema,
  planResultSchema,
  reloadResultSchema,
  statusResultSchema,
  subscribeResultSchema,
  tableResultSchema,
} from './results.ts';
import { haStatusSchema } from './ha.ts';
import { driftResultSchema, reconcileResultSchema, routerSettingsResultSchema } from './kernel.ts';
import { checkHistoryParamsSchema, checkHistoryResultSchema, seriesParamsSchema, seriesResultSchema } from './observe.ts';
import { checkersParamsSchema, tableParamsSchema } from './listing.ts';

export const helloParamsSchema = z.object({ version: z.number().int(), client: z.string().max(100).optional() });
export const checkNowParamsSchema = z.object({ virtual: z.string().min(1).max(200), server: z.string().min(1).max(200) });
/** Methods without parameters refuse unknown ones. */
const noParams = z.object({}).strict();

/** One replaced range of the base text, as the lvs-cf library's edit returns it (UTF-16 offsets). */
export const planHunkSchema = z
  .object({ start: z.number().int().min(0), end: z.number().int().min(0), removed: z.string(), inserted: z.string() })
  .refine((h) => h.end >= h.start, { message: 'end is before start' });

/**
 * A proposed lvs.cf: its whole text (small files, tools), or the change as hunks against the version
 * `base` (sha256 of the text, as the console names versions), which keeps a one-line change of a
 * large file one line on the wire. The request line is limited to MAX_LINE_BYTES either way.
 */
export const planParamsSchema = z.union([
  z.object({ text: z.string() }).strict(),
  z.object({ base: z.string().regex(/^[0-9a-f]{64}$/, 'base must be a sha256 in hex'), hunks: z.array(planHunkSchema).max(10_000) }).strict(),
]);
export type PlanParams = z.infer<typeof planParamsSchema>;


export const METHODS = {
  hello: { params: helloParamsSchema, result: helloResultSchema },
  status: { params: noParams, result: statusResultSchema },
  table: { params: tableParamsSchema, result: tableResultSchema },
  checkers: { params: checkersParamsSchema, result: checkersResultSchema },
  reload: { params: noParams, result: reloadResultSchema },
  start: { params: noParams, result: statusResultSchema },
  stop: { params: noParams, result: statusResultSchema },
  checkNow: { params: checkNowParamsSchema, result: checkNowResultSchema },
  subscribe: { params: noParams, result: subscribeResultSchema },
  /** The dataplane operations a proposed lvs.cf would cause against the live table; applies nothing. */
  plan: { params: planParamsSchema, result: planResultSchema },
  /** The pair's status; null when this agent runs standalone (no redundancy configured). */
  haStatus: { params: noParams, result: haStatusSchema.nullable() },
  /** Compares the dataplane's live table with what the agent applied, now (one poll). */
  drift: { params: noParams, result: driftResultSchema },
  /** Restores the table the agent applied, with the minimal operations; never done on its own. */
  reconcile: { params: noParams, result: reconcileResultSchema },
  /** The kernel settings the agent manages on the ipvs dataplane: wanted, read back, and why not. */
  routerSettings: { params: noParams, result: routerSettingsResultSchema },
  /** A real server's last check results, flap count and last change (agent/protocol/observe.ts). */
  checkHistory: { params: checkHistoryParamsSchema, result: checkHistoryResultSchema },
  /** The last ten minutes of traffic of some virtual servers, sampled by the agent (observe.ts). */
  series: { params: seriesParamsSchema, result: seriesResultSchema },
} as const;

export type MethodName = keyof typeof METHODS;

/** Method name → params and result types; the client and the agent's handlers are typed by this map. */
export type Methods = {
  [M in MethodName]: { params: z.infer<(typeof METHODS)[M]['params']>; result: z.infer<(typeof METHODS)[M]['result']> };
};

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}

/** Checks a method's params; the message names the field. */
export function checkParams<M extends MethodName>(method: M, params: unknown): Checked<Methods[M]['params']> {
  const r = METHODS[method].params.safeParse(params);
  return r.success ? { ok: true, value: r.data as Methods[M]['params'] } : { ok: false, message: `bad params for ${method}: ${describeIssues(r.error)}` };
}

/** Checks a method's result; the message names the method and the field. */
export function checkResult<M extends MethodName>(method: M, result: unknown): Checked<Methods[M]['result']> {
  const r = METHODS[method].result.safeParse(result);
  return r.success ? { ok: true, value: r.data as Methods[M]['result'] } : { ok: false, message: `the reply to ${method} does not match the protocol: ${describeIssues(r.error)}` };
}
