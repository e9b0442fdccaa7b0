// VIRTUAL SERVERS table (ADD / DELETE / EDIT / (DE)ACTIVATE on the selected row), found and paged
// by virtual-list.ts, and the VIRTUAL SERVER subsection form.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LvsConfig } from '../../lvs-cf/index.ts';
import { formBase, modelPage, renderPage, sendHtml, sendPage, type AppContext } from '../context.ts';
import { listQuery, queryString, virtualPage, PAGE_SIZES, type ListQuery } from '../virtual-list.ts';
import { pager } from '../pager.ts';
import { hostHref, hostServes } from '../host-list.ts';
import { isIPv4 } from '../../common/ipv4.ts';
import { csrfToken } from '../security/csrf.ts';
import { PageCache } from '../page-cache.ts';
import { virtualForm } from '../forms/virtual.ts';
import { validateForm, type Values } from '../forms/form.ts';
import type { FieldErrors } from '../forms/fields.ts';
import { baseVersion, requireModel, runSave } from '../save-flow.ts';
import type { Snapshot } from '../config-store.ts';
import { HttpError } from '../http-error.ts';
import { freshName, listAction, nameNote, selectedRow, virtualIndex } from './params.ts';
import { loadMonitorOptions, netmaskOptions, schedulerOptions } from './options.ts';

const LIST = '/secure/virtual';

const SORTS: { value: ListQuery['sort']; label: string }[] = [
  { value: 'file', label: 'lvs.cf order' },
  { value: 'name', label: 'name' },
  { value: 'vip', label: 'virtual IP' },
  { value: 'port', label: 'port' },
  { value: 'status', label: 'status (down first)' },
];

/** The region htmx swaps when the search or a page link changes. */
const LIST_REGION = 'vs-list';

function listData(model: LvsConfig, query: ListQuery, selected: number | null, pageAsked: boolean) {
  const list = virtualPage(model, query, selected, pageAsked);
  const address = query.q.trim();
  const count = isIPv4(address) ? hostServes(model, address) : 0;
  return {
    query,
    list,
    selected,
    sorts: SORTS,
    sizes: PAGE_SIZES,
    pager: pager(list.page, list.pages, (n) => `${LIST}${queryString(query, { page: n })}`, LIST_REGION),
    host: count > 0 ? { address, count, href: hostHref(address) } : null,
  };
}

/** The list's query from a form body (the hidden fields of the list's POST form). */
function bodyQuery(body: unknown): ListQuery {
  return listQuery(body);
}

/** Where to show the list after an action: the same view, the acted-on row selected. */
function listUrl(query: ListQuery, selected: number | null): string {
  const qs = queryString(query);
  if (selected === null) return `${LIST}${qs}`;
  return `${LIST}${qs}${qs ? '&' : '?'}selected=${selected}`;
}

export function registerVirtuals(app: FastifyInstance, ctx: AppContext): void {
  const showList = (req: FastifyRequest, reply: FastifyReply, snap: Snapshot, model: LvsConfig, errors: FieldErrors, status: number, selected: number | null) =>
    sendPage(ctx, req, reply, 'virtuals', { ...formBase(snap, ''), errors, ...listData(model, bodyQuery(req.body), selected, true) },
      { title: 'VIRTUAL SERVERS', tab: 'virtual', status, helpAnchor: 'virtual', serial: model.serial_no, flash: status === 200 ? undefined : null });

  // A page of a large file's table depends only on the file's version, the credential (CSRF
  // token), the view (search, order, page) and the selected row, so it is kept for re-use until the
  // file changes (page-cache.ts). Pages carrying a one-time flash message are never cached.
  const pages = new PageCache();
  app.get(LIST, modelPage(ctx, 'virtual', async (req, reply, snap, model) => {
    const raw = req.query as Record<string, unknown>;
    const query = listQuery(raw);
    const sel = Number(raw.selected);
    const selected = Number.isInteger(sel) ? sel : null;
    const pageAsked = raw.page !== undefined;
    // htmx asking for the list region only (a search, a page link): the region, not the page.
    const fragment = req.headers['hx-target'] === LIST_REGION && req.headers['hx-history-restore-request'] === undefined;
    const data = () => ({ ...formBase(snap, ''), errors: {}, ...listData(model, query, selected, pageAsked) });
    // A flash, or the watchdog's notice (its seconds move), is not cached. The list region alone
    // carries neither: htmx asking for it still gets the region.
    if (!fragment && (raw.flash !== undefined || ctx.watch.view())) {
      return sendPage(ctx, req, reply, 'virtuals', data(), { title: 'VIRTUAL SERVERS', tab: 'virtual', helpAnchor: 'virtual', serial: model.serial_no });
    }
    const key = `${csrfToken(ctx.secret, req)}|${selected}|${pageAsked}|${queryString(query)}|${fragment}`;
    const html = pages.get(snap.version, key, () =>
      fragment
        ? ctx.render('partials/virtual-list', { ...data(), csrf: csrfToken(ctx.secret, req) })
        : renderPage(ctx, req, 'virtuals', data(), { title: 'VIRTUAL SERVERS', tab: 'virtual', helpAnchor: 'virtual', serial: model.serial_no, flash: null }),
    );
    return sendHtml(reply, html);
  }));

  app.post(LIST, async (req, reply) => {
    const version = baseVersion(req.body);
    const action = listAction(req.body);
    const snap = await ctx.store.read();
    const model = requireModel(snap);
    const query = bodyQuery(req.body);
    const common = { ctx, req, reply, tab: 'virtual', reloadUrl: listUrl(query, null) };
    if (action === 'add') {
      const name = freshName('new_virtual', model.virtuals.map((v) => v.name));
      return runSave({
        ...common, action: `add virtual server ${name}`, successUrl: `/secure/virtual/${model.virtuals.length}/edit`,
        notes: [`Added the virtual server ${name} (inactive). Fill in its fields and click ACCEPT.`],
        build: (cur) => [{ op: 'addVirtual', name: freshName('new_virtual', requireModel(cur).virtuals.map((v) => v.name)) }],
      });
    }
    const selected = selectedRow(req.body, model.virtuals.length);
    if (selected === null) return showList(req, reply, { ...snap, version }, model, { selected: 'Select a virtual server first (the round button at the start of its row).' }, 422, null);
    if (action === 'edit') return reply.redirect(`/secure/virtual/${selected}/edit`, 303);
    if (action === 'drain') return reply.redirect(`/secure/virtual/${selected}/drain`, 303);
    const name = model.virtuals[selected].name;
    if (action === 'delete') {
      return runSave({ ...common, action: `delete virtual server ${name}`, successUrl: listUrl(query, null), build: () => [{ op: 'removeVirtual', virtual: selected }] });
    }
    const now = !model.virtuals[selected].active;
    return runSave({
      ...common, action: `${now ? 'activate' : 'deactivate'} virtual server ${name}`, successUrl: listUrl({ ...query, page: 1 }, selected),
      target: { scope: 'virtual', virtual: selected }, keyToField: {},
      build: (cur) => [{ op: 'setActive', target: { scope: 'virtual', virtual: selected }, active: !requireModel(cur).virtuals[selected].active }],
    });
  });

  const showEdit = (req: FastifyRequest, reply: FastifyReply, snap: Snapshot, model: LvsConfig, n: number, values: Values, errors: FieldErrors, messages: string[], status: number) =>
    sendPage(ctx, req, reply, 'virtual-edit', {
      ...formBase(snap, `/secure/validate/virtual`), index: n, name: model.virtuals[n].name, values, errors, messages,
      netmasks: netmaskOptions, schedulers: schedulerOptions, loadMonitors: loadMonitorOptions,
    }, { title: `VIRTUAL SERVER ${model.virtuals[n].name}`, tab: 'virtual', status, helpAnchor: 'virtual', serial: model.serial_no, flash: status === 200 ? undefined : null });

  app.get('/secure/virtual/:n/edit', modelPage(ctx, 'virtual', async (req, reply, snap, model) => {
    const n = virtualIndex(req.params, model);
    return showEdit(req, reply, snap, model, n, virtualForm.initial({ model, virtual: n }), {}, [], 200);
  }));

  app.post('/secure/virtual/:n/edit', async (req, reply) => {
    const version = baseVersion(req.body);
    const snap = await ctx.store.read();
    const model = requireModel(snap);
    const n = virtualIndex(req.params, model);
    const checked = validateForm(virtualForm, req.body, virtualForm.initial({ model, virtual: n }));
    if (!checked.ok) return showEdit(req, reply, { ...snap, version }, model, n, checked.raw, checked.errors, [], 422);
    return runSave({
      ctx, req, reply, tab: 'virtual', reloadUrl: `/secure/virtual/${n}/edit`, successUrl: `/secure/virtual/${n}/edit`,
      action: `edit virtual server ${checked.values.name}`, submitted: checked.raw,
      notes: nameNote(checked.raw.name, checked.values.name, 'virtual server'),
      target: { scope: 'virtual', virtual: n }, keyToField: virtualForm.keyToField,
      build: (cur) => {
        const m = requireModel(cur);
        const v = virtualIndex(req.params, m);
        return virtualForm.edits(checked.values, virtualForm.initial({ model: m, virtual: v }), { model: m, virtual: v });
      },
      onInvalid: (errors, messages, cur) => {
        const m = requireModel(cur);
        if (n >= m.virtuals.length) throw new HttpError(404, 'There is no such virtual server.');
        return showEdit(req, reply, cur, m, n, checked.raw, errors, messages, 422);
      },
    });
  });
}
