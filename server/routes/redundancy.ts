// REDUNDANCY: the "Router status" section (what the agent's redundancy is doing, polled by htmx),
// ENABLE / DISABLE / RESET buttons and, when the backup is enabled, its form.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LvsConfig } from '../../lvs-cf/index.ts';
import { formBase, modelPage, sendFragment, sendPage, type AppContext } from '../context.ts';
import { redundancyActionEdits, redundancyForm } from '../forms/redundancy.ts';
import { validateForm, type Values } from '../forms/form.ts';
import type { FieldErrors } from '../forms/fields.ts';
import { baseVersion, requireModel, runSave } from '../save-flow.ts';
import type { Snapshot } from '../config-store.ts';
import { HttpError } from '../http-error.ts';
import { haStatusData } from '../ha-status.ts';

const URL = '/secure/redundancy';
const ACTIONS = ['accept', 'enable', 'disable', 'reset'] as const;

export function registerRedundancy(app: FastifyInstance, ctx: AppContext): void {
  const show = async (req: FastifyRequest, reply: FastifyReply, snap: Snapshot, model: LvsConfig, values: Values, errors: FieldErrors, messages: string[], status: number, enabling = false) =>
    sendPage(ctx, req, reply, 'redundancy', { ...formBase(snap, '/secure/validate/redundancy'), values, errors, messages, active: model.backup_active || enabling, enabling, showPrivate: Boolean(model.primary_private), haStatus: await haStatusData(ctx, model.backup_active) },
      { title: 'REDUNDANCY', tab: 'redundancy', status, helpAnchor: 'redundancy', serial: model.serial_no, flash: status === 200 ? undefined : null });

  app.get(URL, modelPage(ctx, 'redundancy', async (req, reply, snap, model) => {
    const enabling = !model.backup_active && (req.query as Record<string, unknown>).enable === '1';
    const values = redundancyForm.initial(model);
    if (enabling && values.backup === '0.0.0.0') values.backup = '';
    return show(req, reply, snap, model, values, {}, [], 200, enabling);
  }));

  // The "Router status" section alone, for htmx polling. It does not need a readable lvs.cf.
  app.get(`${URL}/status`, async (req, reply) => {
    const model = (await ctx.store.read()).parsed.model;
    return sendFragment(ctx, req, reply, 'partials/ha-status', await haStatusData(ctx, Boolean(model?.backup_active)));
  });

  app.post(URL, async (req, reply) => {
    const version = baseVersion(req.body);
    const action = (req.body as Record<string, unknown>)?.action ?? 'accept';
    if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) throw new HttpError(400, 'Unknown button.');
    const common = { ctx, req, reply, tab: 'redundancy', successUrl: URL, reloadUrl: URL, target: { scope: 'global' } as const, keyToField: redundancyForm.keyToField };
    const enabling = (req.body as Record<string, unknown>)?.enable === '1';
    if (action === 'enable') {
      const model = requireModel(await ctx.store.read());
      // pulse silently drops a backup without an address: ask for it first, enable on ACCEPT.
      if (!model.backup || model.backup === '0.0.0.0' || (model.primary_private && !model.backup_private)) {
        return reply.redirect(ctx.flash.redirectUrl(`${URL}?enable=1`, { kind: 'info', messages: ["Enter the redundant server's address, then click ACCEPT to enable the backup."] }), 303);
      }
    }
    if (action !== 'accept') {
      const a = action as 'enable' | 'disable' | 'reset';
      return runSave({ ...common, action: `${a} backup`, build: (cur) => redundancyActionEdits(a, requireModel(cur)) });
    }
    const current = (await ctx.store.read()).parsed.model;
    const checked = validateForm(redundancyForm, req.body, current ? redundancyForm.initial(current) : undefined);
    if (!checked.ok) {
      const snap = await ctx.store.read();
      const model = requireModel(snap);
      return show(req, reply, { ...snap, version }, model, checked.raw, checked.errors, [], 422, enabling);
    }
    return runSave({
      ...common, action: enabling ? 'enable backup' : 'redundancy settings', submitted: checked.raw,
      build: (cur) => {
        const model = requireModel(cur);
        const edits = redundancyForm.edits(checked.values, redundancyForm.initial(model), model);
        return enabling && !model.backup_active ? [...redundancyActionEdits('enable', model), ...edits] : edits;
      },
      onInvalid: (errors, messages, cur) => show(req, reply, cur, requireModel(cur), checked.raw, errors, messages, 422, enabling),
    });
  });
}
