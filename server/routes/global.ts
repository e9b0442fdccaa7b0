// GLOBAL SETTINGS: GET shows the form, POST validates and saves (PRG).
import type { FastifyInstance } from 'fastify';
import { formBase, modelPage, sendPage, type AppContext } from '../context.ts';
import { globalForm } from '../forms/global.ts';
import { validateForm, type Values } from '../forms/form.ts';
import type { FieldErrors } from '../forms/fields.ts';
import { baseVersion, requireModel, runSave } from '../save-flow.ts';
import type { Snapshot } from '../config-store.ts';
import { netmaskOptions, networkOptions } from './options.ts';

const URL = '/secure/global';

export function registerGlobal(app: FastifyInstance, ctx: AppContext): void {
  const show = (req: Parameters<typeof sendPage>[1], reply: Parameters<typeof sendPage>[2], snap: Snapshot, values: Values, errors: FieldErrors, messages: string[], status: number) =>
    sendPage(ctx, req, reply, 'global', { ...formBase(snap, '/secure/validate/global'), values, errors, messages, networks: networkOptions, netmasks: netmaskOptions },
      { title: 'GLOBAL SETTINGS', tab: 'global', status, helpAnchor: 'global', serial: snap.parsed.model?.serial_no ?? null, flash: status === 200 ? undefined : null });

  app.get(URL, modelPage(ctx, 'global', async (req, reply, snap, model) => {
    return show(req, reply, snap, globalForm.initial(model), {}, [], 200);
  }));

  app.post(URL, async (req, reply) => {
    const version = baseVersion(req.body);
    const current = (await ctx.store.read()).parsed.model;
    const checked = validateForm(globalForm, req.body, current ? globalForm.initial(current) : undefined);
    if (!checked.ok) return show(req, reply, { ...(await ctx.store.read()), version }, checked.raw, checked.errors, [], 422);
    return runSave({
      ctx, req, reply, tab: 'global', action: 'global settings', successUrl: URL, reloadUrl: URL,
      submitted: checked.raw, target: { scope: 'global' }, keyToField: globalForm.keyToField,
      build: (cur) => {
        const model = requireModel(cur);
        return globalForm.edits(checked.values, globalForm.initial(model), model);
      },
      onInvalid: (errors, messages, cur) => show(req, reply, cur, checked.raw, errors, messages, 422),
    });
  });
}
