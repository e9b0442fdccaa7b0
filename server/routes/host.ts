// One host everywhere: the page that lists every virtual server a real server's address serves
// (with each entry's check as the agent reports it), and one action that deactivates or
// reactivates it in all of them as ONE save through the save flow: one serial increment, one audit
// entry naming every virtual server touched, refused when lvs.cf changed since the page was read.
// Reached from CONTROL/MONITORING and the REAL SERVER panel (the address links) and from a search
// for an address on VIRTUAL SERVERS.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CheckerInfo } from '../../agent/protocol/index.ts';
import { formBase, modelOrBrokenPage, sendPage, type AppContext } from '../context.ts';
import { baseVersion, requireModel, runSave } from '../save-flow.ts';
import { HttpError } from '../http-error.ts';
import { pageOf } from '../../common/listing.ts';
import { pager } from '../pager.ts';
import { HOST_ACTIONS, hostActionText, hostChange, hostEntries, hostHref } from '../host-list.ts';

const URL = '/secure/host';
const PER_PAGE = 100;
const REGION = 'host-list';

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
  app.get(URL, async (req, reply) => {
    const snap = await ctx.store.read();
    const model = modelOrBrokenPage(ctx, req, reply, snap, 'virtual');
    if (!model) return reply;
    const { address, page, problem } = queryOf(req.query);
    const entries = address ? hostEntries(model, address) : [];
    const pages = Math.max(1, Math.ceil(entries.length / PER_PAGE));
    const shown = pageOf(entries, (Math.min(page, pages) - 1) * PER_PAGE, PER_PAGE);
    // The checks of this address as the agent runs them (by virtual and real server name).
    let checks = new Map<string, CheckerInfo>();
    let agentProblem: string | null = null;
    if (address && entries.length > 0) {
      const answer = await ctx.agent.checkers({ address, limit: 1000 });
      if (answer.ok) checks = new Map(answer.data.checkers.filter((c) => c.address === address).map((c) => [`${c.virtual}\u0000${c.server}`, c]));
      else agentProblem = answer.reason;
    }
    const virtuals = new Set(entries.map((e) => e.virtual)).size;
    const active = entries.filter((e) => e.active).length;
    const data = {
      ...formBase(snap, ''),
      address,
      problem,
      rows: shown.items.map((e) => ({ ...e, check: checks.get(`${e.vname}\u0000${e.name}`) ?? null })),
      total: entries.length,
      virtuals,
      active,
      agentProblem,
      from: shown.items.length ? shown.offset + 1 : 0,
      to: shown.offset + shown.items.length,
      pager: pager(Math.min(page, pages), pages, (n) => `${hostHref(address)}${n > 1 ? `&page=${n}` : ''}`, REGION),
    };
    if (req.headers['hx-target'] === REGION && req.headers['hx-history-restore-request'] === undefined) {
      return reply.type('text/html; charset=utf-8').send(ctx.render('partials/host-list', { ...data, csrf: '' }));
    }
    return sendPage(ctx, req, reply, 'host', data, { title: address ? `ONE HOST ${address}` : 'ONE HOST', tab: 'virtual', helpAnchor: 'host', serial: model.serial_no });
  });

  app.post(URL, async (req, reply) => {
    baseVersion(req.body);
    const parsed = actionBody.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues[0]!.message);
    const { address, action } = parsed.data;
    const model = requireModel(await ctx.store.read());
    const planned = hostChange(model, address, action);
    const back = hostHref(address);
    if (planned.entries === 0) {
      const why = hostEntries(model, address).length === 0 ? `No real server has the address ${address}.` : `Every real server entry of ${address} is already ${action === 'activate' ? 'active' : 'inactive'}: lvs.cf was not written.`;
      return reply.redirect(ctx.flash.redirectUrl(back, { kind: 'info', messages: [why] }), 303);
    }
    return runSave({
      ctx, req, reply, tab: 'virtual', reloadUrl: back, successUrl: back,
      action: hostActionText(address, action, planned),
      // Against the file as it is when saved (the same version the page was read at, or a 409).
      build: (cur) => hostChange(requireModel(cur), address, action).edits,
    });
  });
}
