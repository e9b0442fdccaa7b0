// The plan page: what ACCEPT would do, before it does it. The lvs.cf side is the store's preview of
// the very save (its lines, from the edit's hunks, so it costs the change, not the file); the
// dataplane side is the agent's `plan` of those hunks against its live table. The page's ACCEPT
// posts the same form again with the plan's digest, and the store writes only that change, on that
// base version (409 when lvs.cf changed since). With no agent, the page says why and still shows
// the lines.
import type { FastifyReply } from 'fastify';
import { MAX_LINE_BYTES, type PlanParams } from '../agent/protocol/index.ts';
import type { AgentAnswer } from './agent-link.ts';
import type { PlanResult } from '../agent/protocol/index.ts';
import type { SaveRequest } from './config-store.ts';
import { sendPage } from './context.ts';
import { hunkDiff } from './line-diff.ts';
import { sendConflict, sendInvalid } from './save-answers.ts';
import type { SaveFlow } from './save-request.ts';

/** Form fields the plan page carries itself rather than echoes. */
const OWN_FIELDS = new Set(['_csrf', 'plan', 'planned', 'confirm', 'version']);

/** The submitted form as hidden fields, so the plan page's ACCEPT posts exactly what was planned. */
function echoed(body: unknown): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const [name, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (OWN_FIELDS.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') out.push({ name, value: v });
  }
  return out;
}

export async function showPlan(flow: SaveFlow, request: SaveRequest, seconds: number | null): Promise<FastifyReply> {
  const { ctx, req, reply } = flow;
  const preview = await ctx.store.preview(request);
  if (preview.kind === 'conflict') return sendConflict(flow, preview.baseText, preview.current);
  if (preview.kind === 'invalid') return sendInvalid(flow, preview.diagnostics, preview.snapshot);
  if (preview.kind === 'unchanged') {
    return reply.redirect(ctx.flash.redirectUrl(flow.reloadUrl, { kind: 'info', messages: ['PLAN: nothing would change; ACCEPT would not write lvs.cf.'] }), 303);
  }
  const params: PlanParams = { base: preview.base.version, hunks: preview.patch.map(({ start, end, removed, inserted }) => ({ start, end, removed, inserted })) };
  const size = Buffer.byteLength(JSON.stringify(params));
  let agent: AgentAnswer<PlanResult>;
  if (!ctx.agent.socketPath) agent = { ok: false, reason: 'no agent socket was given (--agent-socket)', code: 'E_CONNECT' };
  else if (size > MAX_LINE_BYTES - 1024) agent = { ok: false, reason: `the change is too large to send to the agent for a plan (${Math.ceil(size / 1024)} KiB; its socket takes requests of up to ${MAX_LINE_BYTES / 1024} KiB)`, code: 'E_TOO_LARGE' };
  else agent = await ctx.agent.plan(params);
  const snapMessage = agent.ok ? null : agent.code === 'E_STALE' ? `The agent runs another version of lvs.cf than the console edits: ${agent.reason}` : null;
  return sendPage(ctx, req, reply, 'plan', {
    action: flow.action,
    url: req.url.split('?')[0],
    cancel: flow.reloadUrl,
    serialFrom: preview.serialFrom,
    serialTo: preview.serialTo,
    diff: hunkDiff(preview.base.text, preview.patch),
    agent,
    staleMessage: snapMessage,
    socket: ctx.agent.socketPath ?? '(none)',
    fields: echoed(req.body),
    version: preview.base.version,
    planned: preview.digest,
    confirm: seconds,
  }, { title: `PLAN - ${flow.action}`, tab: flow.tab, serial: preview.serialFrom, flash: null });
}
