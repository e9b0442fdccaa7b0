// One host everywhere: the page that lists every virtual server a real server's address serves
// (with each entry's check and open connections as the agent reports them), and one action that
// drains, deactivates or reactivates it in all of them as ONE save through the save flow: one serial
// increment, one audit entry naming every virtual server touched, refused when lvs.cf changed since
// the page was read. The drains are recorded like those of the DRAIN page (drain/keeper.ts), so each
// real server's DRAIN page shows them, and DEACTIVATE writes their weights back for later.
// Reached from CONTROL/MONITORING and the REAL SERVER panel (the address links) and from a search
// for an address on VIRTUAL SERVERS.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CheckerInfo, RealStats } from '../../agent/protocol/index.ts';
import { formBase, modelPage, sendPage, type AppContext } from '../context.ts';
import { baseVersion, requireModel, runSave } from '../save-flow.ts';
import { HttpError } from '../http-error.ts';
import { pageOf } from '../../common/listing.ts';
import { pager } from '../pager.ts';
import { clientIp } from '../security/access.ts';
import { HOST_ACTIONS, hostActionText, hostChange, hostEntries, hostHref, hostNothingToDo, type DrainOf } from '../host-list.ts';

const URL = '/secure/host';
const PER_PAGE = 100;
const REGION = 'host-list';
/** Most services asked of the agent for the open connections (its page limit). */
const TABLE_LIMIT = 1000;

/** An address as lvs.cf writes a real server's: a dotted quad or a host name, nothing else. */
const addressSchema = z
  .string()
  .trim()
  .max(253)
  .regex(/^[A-Za-z0-9.-]*$/, 'An address is a dotted IPv4 address or a host name.');

const actionBody = z.object({ address: addressSchema.pipe(z.string().min(1, 'Which real server address?')), action: z.enum(HOST_ACTIONS) });

function queryOf(query: unknown): { address: string; page: number; problem: string | null } {
  const q = (query ?? {}) as Record<string, unknown>;
  const parsed = addressSchema.safeParse(typeof q.address === 'string' ? q.address : '');
  const page = Number(q.page);
  return {
    address: parsed.success ? parsed.data : '',
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    problem: parsed.success ? null : parsed.error.issues[0]!.message,
  };
}

export function registerHost(app: FastifyInstance, ctx: AppContext): void {
  app.get(URL, modelPage(ctx, 'virtual', async (req, reply, snap, model) => {
    const { address, page, problem } = queryOf(req.query);
    const entries = address ? hostEntries(model, address) : [];
    const pages = Math.max(1, Math.ceil(entries.length / PER_PAGE));
    const shown = pageOf(entries, (Math.min(page, pages) - 1) * PER_PAGE, PER_PAGE);
    const drainOf: DrainOf = (v, server) => ctx.drains.find(v, server);
    // The checks of this address as the agent runs them, and its open connections (by virtual
    // server name and port).
    let checks = new Map<string, CheckerInfo>();
    const live = new Map<string, RealStats>();
    let agentProblem: string | null = null;
    if (address && entries.length > 0) {
      const [answer, table] = await Promise.all([ctx.agent.checkers({ address, limit: 1000 }), ctx.agent.table({ address, limit: TABLE_LIMIT })]);
      if (answer.ok) checks = new Map(answer.data.checkers.filter((c) => c.address === address).map((c) => [`${c.virtual}\u0000${c.server}`, c]));
      else agentProblem = answer.reason;
      if (table.ok) {
        for (const svc of table.data.services) for (const r of svc.reals) if (r.address === address) live.set(`${svc.name}\u0000${r.port}`, r);
      }
    }
    const virtuals = new Set(entries.map((e) => e.virtual)).size;
    const active = entries.filter((e) => e.active).length;
    const drainedOf = (e: (typeof entries)[number]) => e.active && e.weight === 0 && drainOf(e.vname, e.name)?.weights[e.name] !== undefined;
    const draining = entries.filter(drainedOf).length;
    let connections = 0;
    for (const r of live.values()) connections += r.activeConns;
    const url = address ? `${hostHref(address)}${page > 1 ? `&page=${page}` : ''}` : URL;
    const data = {
      ...formBase(snap, ''),
      address,
      problem,
      rows: shown.items.map((e) => ({
        ...e,
        check: checks.get(`${e.vname}\u0000${e.name}`) ?? null,
        live: live.get(`${e.vname}\u0000${e.port}`) ?? null,
        draining: drainedOf(e),
        drainUrl: `/secure/virtual/${e.virtual}/real/${e.server}/drain`,
      })),
      total: entries.length,
      virtuals,
      active,
      draining,
      connections,
      /** The connections are counted (the agent answered). */
      counted: address !== '' && entries.length > 0 && agentProblem === null,
      url,
      agentProblem,
      from: shown.items.length ? shown.offset + 1 : 0,
      to: shown.offset + shown.items.length,
      pager: pager(Math.min(page, pages), pages, (n) => `${hostHref(address)}${n > 1 ? `&page=${n}` : ''}`, REGION),
    };
    if (req.headers['hx-target'] === REGION && req.headers['hx-history-restore-request'] === undefined) {
      return reply.type('text/html; charset=utf-8').send(ctx.render('partials/host-list', { ...data, csrf: '' }));
    }
    // While it drains, the page counts the connections down by itself (htmx polls the list; without
    // JavaScript the page reloads).
    const refresh = draining > 0 ? `5;url=${url}` : undefined;
    return sendPage(ctx, req, reply, 'host', data, { title: address ? `ONE HOST ${address}` : 'ONE HOST', tab: 'virtual', helpAnchor: 'host', serial: model.serial_no, refresh });
  }));

  app.post(URL, async (req, reply) => {
    baseVersion(req.body);
    const parsed = actionBody.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues[0]!.message);
    const { address, action } = parsed.data;
    const model = requireModel(await ctx.store.read());
    const drainOf: DrainOf = (v, server) => ctx.drains.find(v, server);
    const planned = hostChange(model, address, action, drainOf);
    const back = hostHref(address);
    if (planned.entries === 0) {
      return reply.redirect(ctx.flash.redirectUrl(back, { kind: 'info', messages: [hostNothingToDo(model, address, action)] }), 303);
    }
    // What the save did to the drains, as built against the file it was saved over.
    let drains = planned.drains;
    const notes = action === 'drain'
      ? [`New connections go to the other real servers; open ones stay. When no connection to ${address} is left, DEACTIVATE EVERYWHERE takes it out and writes the weights back for later.`]
      : [];
    return runSave({
      ctx, req, reply, tab: 'virtual', reloadUrl: back, successUrl: back, notes,
      action: hostActionText(address, action, planned),
      // Against the file as it is when saved (the same version the page was read at, or a 409).
      build: (cur) => {
        const change = hostChange(requireModel(cur), address, action, drainOf);
        drains = change.drains;
        return change.edits;
      },
      onSaved: async () => {
        if (action === 'drain') {
          const startedAt = new Date().toISOString();
          const client = clientIp(req);
          await ctx.drains.begunAll(drains.map((d) => ({ virtual: d.virtual, server: d.server, startedAt, deactivateAt: null, client, weights: { [d.server]: d.weight } })));
        } else if (action !== 'activate') {
          await ctx.drains.endedAll(drains);
        }
      },
    });
  });
}
