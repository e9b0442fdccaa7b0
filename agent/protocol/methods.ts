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
  reloadResultSchema,
  statusResultSchema,
  subscribeResultSchema,
  tableResultSchema,
} from './results.ts';
import { haStatusSchema } from './ha.ts';
import { checkersParamsSchema, tableParamsSchema } from './listing.ts';

export const helloParamsSchema = z.object({ version: z.number().int(), client: z.string().max(100).optional() });
export const checkNowParamsSchema = z.object({ virtual: z.string().min(1).max(200), server: z.string().min(1).max(200) });
/** Methods without parameters refuse unknown ones. */
const noParams = z.object({}).strict();

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
  /** The pair's status; null when this agent runs standalone (no redundancy configured). */
  haStatus: { params: noParams, result: haStatusSchema.nullable() },
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
