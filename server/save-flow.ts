// The one way a panel saves: check the form's version, let the store apply the edits under its
// mutex, then answer the way a browser without JavaScript understands:
//   saved / unchanged → 303 to the panel with a flash message (POST-redirect-GET)
//   invalid           → 422, the form again with each problem beside its field, nothing written
//   conflict          → 409, what changed in lvs.cf since the form was read, and a reload link
// After a save the agent (if one is configured) is asked to reload, and its answer is shown.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Edit, Target } from '../lvs-cf/index.ts';
import type { Snapshot } from './config-store.ts';
import { sendPage, type AppContext } from './context.ts';
import { changedWithContext, lineDiff } from './line-diff.ts';
import { placeDiagnostics, type Values } from './forms/form.ts';
import type { FieldErrors } from './forms/fields.ts';
import { clientIp } from './security/access.ts';
import { HttpError } from './http-error.ts';
import type { Flash } from './flash.ts';

const versionSchema = z.string().regex(/^[0-9a-f]{64}$/);

export function baseVersion(body: unknown): string {
  const raw = (body as Record<string, unknown> | undefined)?.version;
  const parsed = versionSchema.safeParse(raw);
  if (!parsed.success) {
    // A write without the version it is based on could silently undo someone else's change.
    throw new HttpError(428, 'This form does not say which version of lvs.cf it was based on. Reload the page and try again.');
  }
  return parsed.data;
}

/** The model of the file being saved over; a file with syntax errors is never edited. */
export function requireModel(snap: Snapshot) {
  if (!snap.parsed.model) throw new HttpError(409, 'lvs.cf has syntax errors; fix it by hand before saving from the console.');
  return snap.parsed.model;
}

export interface SaveFlow {
  ctx: AppContext;
  req: FastifyRequest;
  reply: FastifyReply;
  action: string;
  build: (snap: Snapshot) => Edit[];
  successUrl: string;
  notes?: string[];
  /** Re-renders the form with errors (status 422). */
  onInvalid?: (errors: FieldErrors, messages: string[], snap: Snapshot) => FastifyReply | Promise<FastifyReply>;
  target?: Target;
  keyToField?: Record<string, string>;
  submitted?: Values;
  reloadUrl: string;
  tab: string;
}

export async function runSave(flow: SaveFlow): Promise<FastifyReply> {
  const { ctx, req, reply } = flow;
  const version = baseVersion(req.body);
  const result = await ctx.store.save({ baseVersion: version, client: clientIp(req), action: flow.action, build: flow.build });
  if (result.kind === 'conflict') {
    const diff = result.baseText === null ? null : changedWithContext(lineDiff(result.baseText, result.current.text));
    const submitted = Object.entries(flow.submitted ?? {}).map(([name, value]) => ({ name, value }));
    return sendPage(ctx, req, reply, 'conflict', { diff, submitted, reload: flow.reloadUrl }, { title: 'Conflict', tab: flow.tab, status: 409, flash: null });
  }
  if (result.kind === 'invalid') {
    const placed = placeDiagnostics(result.diagnostics, flow.keyToField ?? {}, flow.target);
    if (flow.onInvalid) return flow.onInvalid(placed.errors, placed.messages, result.snapshot);
    const messages = [...Object.values(placed.errors), ...placed.messages];
    return reply.redirect(ctx.flash.redirectUrl(flow.successUrl, { kind: 'error', messages: ['Nothing was saved:', ...messages] }), 303);
  }
  const flash: Flash = { kind: 'ok', messages: [...(flow.notes ?? [])] };
  if (result.kind === 'unchanged') {
    flash.kind = 'info';
    flash.messages.unshift('Nothing changed: lvs.cf was not written.');
  } else {
    flash.messages.unshift(`Saved: ${flow.action} (lvs.cf serial ${result.serialTo}).`);
    const agentNote = await reloadAgent(ctx);
    if (agentNote) {
      flash.messages.push(agentNote.message);
      if (!agentNote.ok) flash.kind = 'error';
    }
  }
  return reply.redirect(ctx.flash.redirectUrl(flow.successUrl, flash), 303);
}

/** Asks the agent to re-read lvs.cf; the message says what happened, in the agent's words. */
export async function reloadAgent(ctx: AppContext): Promise<{ ok: boolean; message: string } | null> {
  if (!ctx.agent.socketPath) return null;
  const answer = await ctx.agent.reload();
  await ctx.store.audit({ action: 'agent reload after save', ok: answer.ok, result: answer.ok ? answer.data : answer.reason });
  if (answer.ok) {
    return { ok: true, message: `The agent reloaded lvs.cf (serial ${answer.data.serial ?? 'none'}, ${answer.data.operations} table change${answer.data.operations === 1 ? '' : 's'}).` };
  }
  if (answer.code === 'E_CONFIG_INVALID') return { ok: false, message: `The agent kept its previous configuration: ${answer.reason}` };
  if (answer.code === 'E_BAD_REPLY') return { ok: false, message: `The agent's answer to the reload could not be read: ${answer.reason}` };
  if (answer.code === 'E_NOT_RUNNING') return { ok: true, message: `LVS is stopped; the agent will use the new lvs.cf when it is started. (${answer.reason})` };
  return { ok: false, message: `The agent is not reachable at ${ctx.agent.socketPath}: ${answer.reason}. It will read lvs.cf when it starts.` };
}
