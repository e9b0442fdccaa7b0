// REAL SERVER subsection: the list of a virtual server's real servers with ADD / DELETE / EDIT /
// (DE)ACTIVATE, and the EDIT REAL SERVER form.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LvsConfig } from '../../lvs-cf/index.ts';
import { formBase, modelPage, sendPage, type AppContext } from '../context.ts';
import { realForm } from '../forms/real.ts';
import { validateForm, type Values } from '../forms/form.ts';
import type { FieldErrors } from '../forms/fields.ts';
import { baseVersion, requireModel, runSave } from '../save-flow.ts';
import type { Snapshot } from '../config-store.ts';
import { freshName, listAction, nameNote, selectedRow, serverIndex, virtualIndex } from './params.ts';
import { checkHistoryView } from './checks.ts';

export function registerReal(app: FastifyInstance, ctx: AppContext): void {
  const listUrl = (n: number) => `/secure/virtual/${n}/real`;

  const showList = (req: FastifyRequest, reply: FastifyReply, snap: Snapshot, model: LvsConfig, n: number, errors: FieldErrors, status: number, selected: number | null) => {
    const v = model.virtuals[n];
    const drains = ctx.drains.of(v.name);
    // A real server drained from the console (active, at weight 0) says so in its STATUS.
    const draining = (name: string) => drains.some((d) => (d.server === name || d.server === null) && name in d.weights);
    const rows = v.servers.map((s, index) => ({ index, name: s.name, active: s.active, address: s.address, port: s.port, weight: s.weight, draining: s.active && s.weight === 0 && draining(s.name) }));
    return sendPage(ctx, req, reply, 'real-list', { ...formBase(snap, ''), index: n, name: v.name, rows, errors, selected },
      { title: `REAL SERVER - ${v.name}`, tab: 'virtual', status, helpAnchor: 'real', serial: model.serial_no, flash: status === 200 ? undefined : null });
  };

  app.get('/secure/virtual/:n/real', modelPage(ctx, 'virtual', async (req, reply, snap, model) => {
    const n = virtualIndex(req.params, model);
    const sel = Number((req.query as Record<string, string>).selected);
    return showList(req, reply, snap, model, n, {}, 200, Number.isInteger(sel) ? sel : null);
  }));

  app.post('/secure/virtual/:n/real', async (req, reply) => {
    const version = baseVersion(req.body);
    const action = listAction(req.body);
    const snap = await ctx.store.read();
    const model = requireModel(snap);
    const n = virtualIndex(req.params, model);
    const v = model.virtuals[n];
    const common = { ctx, req, reply, tab: 'virtual', reloadUrl: listUrl(n) };
    if (action === 'add') {
      const name = freshName('new_server', v.servers.map((s) => s.name));
      return runSave({
        ...common, action: `add real server ${name} to ${v.name}`, successUrl: `${listUrl(n)}/${v.servers.length}/edit`,
        notes: [`Added the real server ${name} (inactive) to ${v.name}. Fill in its address and click ACCEPT.`],
        build: (cur) => {
          const m = requireModel(cur);
          return [{ op: 'addServer', virtual: virtualIndex(req.params, m), name: freshName('new_server', m.virtuals[n].servers.map((s) => s.name)) }];
        },
      });
    }
    const selected = selectedRow(req.body, v.servers.length);
    if (selected === null) return showList(req, reply, { ...snap, version }, model, n, { selected: 'Select a real server first (the round button at the start of its row).' }, 422, null);
    if (action === 'edit') return reply.redirect(`${listUrl(n)}/${selected}/edit`, 303);
    if (action === 'drain') return reply.redirect(`${listUrl(n)}/${selected}/drain`, 303);
    const s = v.servers[selected];
    if (action === 'delete') {
      return runSave({ ...common, action: `delete real server ${s.name} of ${v.name}`, successUrl: listUrl(n), build: () => [{ op: 'removeServer', virtual: n, server: selected }] });
    }
    const target = { scope: 'server', virtual: n, server: selected } as const;
    return runSave({
      ...common, action: `${s.active ? 'deactivate' : 'activate'} real server ${s.name} of ${v.name}`, successUrl: `${listUrl(n)}?selected=${selected}`,
      target, keyToField: {},
      build: (cur) => [{ op: 'setActive', target, active: !requireModel(cur).virtuals[n].servers[selected].active }],
    });
  });

  const showEdit = async (req: FastifyRequest, reply: FastifyReply, snap: Snapshot, model: LvsConfig, n: number, m: number, values: Values, errors: FieldErrors, messages: string[], status: number) =>
    sendPage(ctx, req, reply, 'real-edit', {
      ...formBase(snap, '/secure/validate/real'), index: n, server: m, vname: model.virtuals[n].name, vport: model.virtuals[n].port, values, errors, messages,
      checks: await checkHistoryView(ctx, model.virtuals[n].name, model.virtuals[n].servers[m].name),
    }, { title: `EDIT REAL SERVER ${model.virtuals[n].servers[m].name}`, tab: 'virtual', status, helpAnchor: 'real', serial: model.serial_no, flash: status === 200 ? undefined : null });

  app.get('/secure/virtual/:n/real/:m/edit', modelPage(ctx, 'virtual', async (req, reply, snap, model) => {
    const n = virtualIndex(req.params, model);
    const m = serverIndex(req.params, model, n);
    return showEdit(req, reply, snap, model, n, m, realForm.initial({ model, virtual: n, server: m }), {}, [], 200);
  }));

  app.post('/secure/virtual/:n/real/:m/edit', async (req, reply) => {
    const version = baseVersion(req.body);
    const snap = await ctx.store.read();
    const model = requireModel(snap);
    const n = virtualIndex(req.params, model);
    const m = serverIndex(req.params, model, n);
    const checked = validateForm(realForm, req.body, realForm.initial({ model, virtual: n, server: m }));
    if (!checked.ok) return showEdit(req, reply, { ...snap, version }, model, n, m, checked.raw, checked.errors, [], 422);
    return runSave({
      ctx, req, reply, tab: 'virtual', reloadUrl: `${listUrl(n)}/${m}/edit`, successUrl: listUrl(n),
      action: `edit real server ${checked.values.name} of ${model.virtuals[n].name}`, submitted: checked.raw,
      notes: nameNote(checked.raw.name, checked.values.name, 'real server'),
      target: { scope: 'server', virtual: n, server: m }, keyToField: realForm.keyToField,
      build: (cur) => {
        const cm = requireModel(cur);
        const ctxR = { model: cm, virtual: virtualIndex(req.params, cm), server: serverIndex(req.params, cm, n) };
        return realForm.edits(checked.values, realForm.initial(ctxR), ctxR);
      },
      onInvalid: (errors, messages, cur) => showEdit(req, reply, cur, requireModel(cur), n, m, checked.raw, errors, messages, 422),
    });
  });
}
