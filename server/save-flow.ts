// The one way a panel saves: check the form's version, let the store apply the edits under its
// mutex, then answer the way a browser without JavaScript understands:
//   saved / unchanged → 303 to the panel with a flash message (POST-redirect-GET)
//   invalid           → 422, the form again with each problem beside its field, nothing written
//   conflict          → 409, what changed in lvs.cf since the form was read, and a reload link
// After a save the agent (if one is configured) is asked to reload, and its answer is shown on the
// page the 303 leads to: the 303 is sent as soon as lvs.cf is renamed into place, not after the
// agent has applied it (reloadLater), and the GET of that page waits for the agent's answer.
// The same form's PLAN button (`plan`) shows what the save would do instead (plan-flow.ts); its
// ACCEPT there carries `planned`, and only that change is written. `confirm` (seconds) applies the
// change with a confirmation window (confirm/keeper.ts), through which every save passes.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Snapshot } from './config-store.ts';
import type { AppContext } from './context.ts';
import { sendConflict, sendInvalid } from './save-answers.ts';
import { showPlan } from './plan-flow.ts';
import { describeSeconds } from './confirm/pending.ts';
import { clientIp, USER } from './security/access.ts';
import { HttpError } from './http-error.ts';
import type { Flash } from './flash.ts';
import type { SaveFlow } from './save-request.ts';

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

/**
 * The confirmation window the form asked for (`confirm`, seconds): null for "apply now"; a value
 * the console does not offer is refused (400) rather than silently saved without a way back.
 */
export function confirmWindow(ctx: AppContext, body: unknown): number | null {
  const raw = (body as Record<string, unknown> | undefined)?.confirm;
  if (raw === undefined || raw === '' || raw === '0') return null;
  const n = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!ctx.confirm.offers(n)) throw new HttpError(400, `"${String(raw).slice(0, 20)}" is not one of the confirmation windows offered (${ctx.confirm.windows.join(', ')} seconds).`);
  return n;
}

/** The plan a save is tied to (the plan page's ACCEPT), or undefined. */
function plannedDigest(body: unknown): string | undefined {
  const raw = (body as Record<string, unknown> | undefined)?.planned;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[0-9a-f]{64}$/.test(raw)) throw new HttpError(400, 'The plan this form refers to is not readable. Plan the change again.');
  return raw;
}

export async function runSave(flow: SaveFlow): Promise<FastifyReply> {
  const { ctx, req, reply } = flow;
  const version = baseVersion(req.body);
  const seconds = confirmWindow(ctx, req.body);
  const request = { baseVersion: version, client: clientIp(req), user: USER, action: flow.action, build: flow.build };
  if ((req.body as Record<string, unknown>).plan !== undefined) return showPlan(flow, request, seconds);
  const expectPlan = plannedDigest(req.body);
  const { result, pending } = await ctx.confirm.save({ ...request, ...(expectPlan ? { expectPlan } : {}) }, seconds);
  if (result.kind === 'conflict') return sendConflict(flow, result.baseText, result.current);
  if (result.kind === 'invalid') return sendInvalid(flow, result.diagnostics, result.snapshot);
  if (result.kind === 'not-planned') throw new HttpError(409, 'Nothing was saved: this change is not the one the plan showed. Plan it again.');
  const flash: Flash = { kind: 'ok', messages: [...(flow.notes ?? [])] };
  if (result.kind === 'unchanged') {
    flash.kind = 'info';
    flash.messages.unshift('Nothing changed: lvs.cf was not written.');
  } else {
    flash.messages.unshift(`Saved: ${flow.action} (lvs.cf serial ${result.serialTo}).`);
    if (flow.onSaved) await flow.onSaved(result);
    if (pending && seconds !== null) {
      flash.messages.push(`Applied with confirmation: CONFIRM within ${describeSeconds(seconds)} (before ${pending.deadline.slice(11, 19)} UTC), or lvs.cf and the agent return to serial ${pending.restore.serial} by themselves.`);
    } else if (pending) {
      flash.messages.push(`This save is part of the change waiting for confirmation: ROLL BACK (or the deadline) undoes it too.`);
    }
    return reply.redirect(ctx.flash.redirectUrl(flow.successUrl, flash, reloadLater(ctx, flash)), 303);
  }
  return reply.redirect(ctx.flash.redirectUrl(flow.successUrl, flash), 303);
}

/**
 * Asks the agent to reload without waiting for it: the returned promise adds the agent's answer to
 * `flash` when it comes (an error makes the message an error), and never rejects. Null when no
 * agent is configured.
 */
export function reloadLater(ctx: AppContext, flash: Flash): Promise<void> | null {
  if (!ctx.agent.socketPath) return null;
  return reloadAgent(ctx).then(
    (note) => {
      if (!note) return;
      flash.messages.push(note.message);
      if (!note.ok) flash.kind = 'error';
    },
    (err: Error) => {
      flash.messages.push(`The agent was asked to reload, but its answer could not be recorded: ${err.message}`);
      flash.kind = 'error';
    },
  );
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
