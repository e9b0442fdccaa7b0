// The frame of every message on the agent's socket: one JSON object per line, a request with an id
// and a method, a reply echoing the id with a result or an error, or an event without id. What each
// method's params and result hold is in methods.ts; what the events carry is in events.ts.
import { z } from 'zod';

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
  'E_STALE', // plan against a base version that is neither the configuration in use nor lvs.cf on disk
  'E_INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const requestIdSchema = z.union([z.number().int(), z.string().max(64)]);
export type RequestId = z.infer<typeof requestIdSchema>;

export const requestSchema = z.object({
  id: requestIdSchema,
  method: z.string().max(64),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type Request = z.infer<typeof requestSchema>;

export const errorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });
export type ErrorBody = z.infer<typeof errorSchema>;

/**
 * A reply as it arrives, before its result is checked against the method's schema (the envelope
 * does not know which method an id belongs to). `id` is null for a line the agent could not read.
 * The error's code is read as any string here so that a client can name a code it does not know.
 */
export const replyEnvelopeSchema = z.union([
  z.object({ id: requestIdSchema.nullable(), error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ id: requestIdSchema.nullable(), result: z.unknown() }),
]);

export type Response =
  | { id: RequestId | null; result: unknown }
  | { id: RequestId | null; error: ErrorBody };

/** The outcome of checking a message against its schema: the parsed value, or why it does not fit. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** The first few problems of a failed zod check, on one line ("field.path: message; …"). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`)
    .join('; ');
}
