// The answers a save or a plan gives when it cannot go on, in the way a browser without JavaScript
// understands: 409 with what changed in lvs.cf since the form was read, or the form again with
// each problem beside its field (422).
import type { FastifyReply } from 'fastify';
import type { Diagnostic } from '../lvs-cf/index.ts';
import type { Snapshot } from './config-store.ts';
import { sendPage } from './context.ts';
import { changedWithContext, lineDiff } from './line-diff.ts';
import { placeDiagnostics } from './forms/form.ts';
import type { SaveFlow } from './save-request.ts';

export function sendConflict(flow: SaveFlow, baseText: string | null, current: Snapshot): FastifyReply {
  const diff = baseText === null ? null : changedWithContext(lineDiff(baseText, current.text));
  const submitted = Object.entries(flow.submitted ?? {}).map(([name, value]) => ({ name, value }));
  return sendPage(flow.ctx, flow.req, flow.reply, 'conflict', { diff, submitted, reload: flow.reloadUrl }, { title: 'Conflict', tab: flow.tab, status: 409, flash: null });
}

export function sendInvalid(flow: SaveFlow, diagnostics: Diagnostic[], snapshot: Snapshot): FastifyReply | Promise<FastifyReply> {
  const placed = placeDiagnostics(diagnostics, flow.keyToField ?? {}, flow.target);
  if (flow.onInvalid) return flow.onInvalid(placed.errors, placed.messages, snapshot);
  const messages = [...Object.values(placed.errors), ...placed.messages];
  return flow.reply.redirect(flow.ctx.flash.redirectUrl(flow.successUrl, { kind: 'error', messages: ['Nothing was saved:', ...messages] }), 303);
}
