// MONITORING SCRIPTS subsection: the check nanny (now the agent's checkers) runs on each real server.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LvsConfig } from '../../lvs-cf/index.ts';
import { formBase, modelPage, sendPage, type AppContext } from '../context.ts';
import { applyScriptButton, SCRIPT_BUTTONS, scriptsForm, type ScriptButton } from '../forms/scripts.ts';
import { validateForm, type Values } from '../forms/form.ts';
import type { FieldErrors } from '../forms/fields.ts';
import { baseVersion, requireModel, runSave } from '../save-flow.ts';
import type { Snapshot } from '../config-store.ts';
import { HttpError } from '../http-error.ts';
import { virtualIndex } from './params.ts';

export function registerScripts(app: FastifyInstance, ctx: AppContext): void {
  const url = (n: number) => `/secure/virtual/${n}/scripts`;
  const show = (req: FastifyRequest, reply: FastifyReply, snap: Snapshot, model: LvsConfig, n: number, values: Values, errors: FieldErrors, messages: string[], status: number) =>
    sendPage(ctx, req, reply, 'scripts', { ...formBase(snap, '/secure/validate/scripts'), index: n, name: model.virtuals[n].name, values, errors, messages },
      { title: `MONITORING SCRIPTS - ${model.virtuals[n].name}`, tab: 'virtual', status, helpAnchor: 'scripts', serial: model.serial_no, flash: status === 200 ? undefined : null });

  app.get('/secure/virtual/:n/scripts', modelPage(ctx, 'virtual', async (req, reply, snap, model) => {
    const n = virtualIndex(req.params, model);
    return show(req, reply, snap, model, n, scriptsForm.initial({ model, virtual: n }), {}, [], 200);
  }));

  app.post('/secure/virtual/:n/scripts', async (req, reply) => {
    const version = baseVersion(req.body);
    const button = ((req.body as Record<string, unknown>)?.action ?? 'accept') as ScriptButton;
    if (!SCRIPT_BUTTONS.includes(button)) throw new HttpError(400, 'Unknown button.');
    const snap = await ctx.store.read();
    const model = requireModel(snap);
    const n = virtualIndex(req.params, model);
    const first = validateForm(scriptsForm, req.body);
    const checked = validateForm(scriptsForm, applyScriptButton(first.raw, button), scriptsForm.initial({ model, virtual: n }));
    if (!checked.ok) return show(req, reply, { ...snap, version }, model, n, checked.raw, checked.errors, [], 422);
    return runSave({
      ctx, req, reply, tab: 'virtual', reloadUrl: url(n), successUrl: url(n),
      action: `monitoring scripts of ${model.virtuals[n].name}`, submitted: checked.raw,
      target: { scope: 'virtual', virtual: n }, keyToField: scriptsForm.keyToField,
      build: (cur) => {
        const m = requireModel(cur);
        const v = virtualIndex(req.params, m);
        return scriptsForm.edits(checked.values, scriptsForm.initial({ model: m, virtual: v }), { model: m, virtual: v });
      },
      onInvalid: (errors, messages, cur) => show(req, reply, cur, requireModel(cur), n, checked.raw, errors, messages, 422),
    });
  });
}
