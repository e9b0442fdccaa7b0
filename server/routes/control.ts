// CONTROL/MONITORING: what the agent reports, problems first: counts of the whole table at the top,
// then the problems (refused operations, services that cannot be served, real servers down), then
// one page of the routing table in the layout of `ipvsadm -L -n` and one page of the checks, found
// by a search; auto update (htmx polling, or a meta refresh without JavaScript) keeps the view;
// START / STOP / RELOAD, and "check now" with its transcript. Works, and says why, with no agent.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServiceStats } from '../../agent/protocol/index.ts';
import { noteFileProblems, renderPage, sendHtml, type AppContext } from '../context.ts';
import { csrfToken } from '../security/csrf.ts';
import { identityOf, PageCache } from '../page-cache.ts';
import { controlQuery, controlView, snapshotView, CHECKS_PAGE, TABLE_PAGE, type ControlView } from '../control-view.ts';
import { pager } from '../pager.ts';
import { hostHref } from '../host-list.ts';
import type { Flash } from '../flash.ts';
import { clientIp } from '../security/access.ts';
import { HttpError } from '../http-error.ts';
import { haSummary, splitBrainAlert } from '../ha-view.ts';
import { lastOutcome } from '../confirm/banner.ts';
import { askKernel, kernelPanel, registerKernel } from './kernel.ts';
import { askSeries, seriesNames, trafficOf, type SeriesAsked } from '../observe/traffic-view.ts';

const URL = '/secure/control';
const FORWARD: Record<string, string> = { m: 'Masq', g: 'Route', i: 'Tunnel' };
/** The region auto update and the page links replace. */
const REGION = 'control-live';

function routes(services: ServiceStats[]) {
  return services.map((s) => ({
    prot: s.fwmark ? 'FWM' : s.protocol.toUpperCase(),
    local: s.fwmark ? String(s.fwmark) : `${s.address}:${s.port}`,
    scheduler: s.scheduler,
    flags: s.persistent ? `persistent ${s.persistent}${s.pmask ? ` mask ${s.pmask}` : ''}` : '',
    problem: s.problem,
    reals: s.reals.map((r) => ({
      address: r.address,
      host: hostHref(r.address),
      remote: `${r.address}:${r.port}`,
      forward: FORWARD[r.method] ?? r.method,
      weight: r.weight,
      active: r.activeConns,
      inactive: r.inactiveConns,
    })),
  }));
}

const checkSchema = z.object({ virtual: z.string().min(1).max(200), server: z.string().min(1).max(200) });
const actionSchema = z.enum(['start', 'stop', 'reload']);

export function registerControl(app: FastifyInstance, ctx: AppContext): void {
  // The virtual servers the last answer of each view showed: their traffic is asked for beside the
  // table (one round trip to the agent instead of two) and used when the table shows them again.
  const shown = new Map<string, string[]>();

  /** What a view shows, as asked now: the agent's answers (shared by concurrent views of this view) and lvs.cf. */
  async function ask(req: FastifyRequest) {
    const view = controlView(req.query);
    const key = controlQuery(view);
    const guess = shown.get(key);
    const early: SeriesAsked | undefined = guess?.length ? { names: guess, answer: ctx.agent.series(guess, false) } : undefined;
    const [agent, snap] = await Promise.all([ctx.agent.snapshot(snapshotView(view)), ctx.store.read()]);
    const names = agent.ok ? agent.data.table.services.map((s) => s.name) : [];
    if (shown.size >= 100 && !shown.has(key)) shown.clear();
    shown.set(key, seriesNames(names));
    const [kernel, series] = await Promise.all([askKernel(ctx, agent), agent.ok ? askSeries(ctx.agent, names, false, early) : null]);
    return { view, agent, snap, names, kernel, series, now: new Date().toISOString().replace('T', ' ').slice(0, 19) + ' UTC' };
  }
  type Asked = Awaited<ReturnType<typeof ask>>;

  /** The data of partials/control-live for what was asked. */
  function present({ view, agent, snap, names, kernel, series, now }: Asked) {
    const data = agent.ok ? agent.data : null;
    const pageLink = (changes: Partial<ControlView>) => `${URL}${controlQuery(view, changes)}`;
    const tablePages = data ? Math.max(1, Math.ceil((data.table.page?.total ?? data.table.services.length) / TABLE_PAGE)) : 1;
    const checkPages = data ? Math.max(1, Math.ceil((data.checkers.page?.total ?? data.checkers.checkers.length) / CHECKS_PAGE)) : 1;
    return {
      ...view,
      agent,
      socket: ctx.agent.socketPath ?? '(none)',
      routes: data ? routes(data.table.services) : [],
      summary: data?.table.summary ?? null,
      down: data ? data.down.checkers.map((c) => ({ ...c, host: hostHref(c.address) })) : [],
      downTotal: data?.down.page?.total ?? 0,
      checks: data ? data.checkers.checkers.map((c) => ({ ...c, host: hostHref(c.address) })) : [],
      checkTotal: data?.checkers.page?.total ?? 0,
      tableTotal: data?.table.page?.total ?? 0,
      tableFrom: (data?.table.page?.offset ?? 0) + 1,
      checkFrom: (data?.checkers.page?.offset ?? 0) + 1,
      tablePager: pager(view.tpage, tablePages, (n) => pageLink({ tpage: n }), REGION),
      checkPager: pager(view.cpage, checkPages, (n) => pageLink({ cpage: n }), REGION),
      downLink: pageLink({ state: 'down', cpage: 1 }),
      liveUrl: `${URL}/live${controlQuery(view)}`,
      haSummary: data && data.ha.ok ? haSummary(data.ha.data) : null,
      splitBrain: data && data.ha.ok ? splitBrainAlert(data.ha.data) : null,
      kernel: kernelPanel(agent, kernel),
      traffic: data ? trafficOf(names, false, series) : null,
      fileSerial: snap.parsed.model?.serial_no ?? null,
      silent: ctx.watch.view(),
      now,
    };
  }

  /** The live region (htmx's page links and auto update), or the whole page. */
  function render(req: FastifyRequest, asked: Asked, fragment: boolean, flash: Flash | null): string {
    const data = present(asked);
    if (fragment) return ctx.render('partials/control-live', { ...data, csrf: csrfToken(ctx.secret, req), windows: ctx.confirm.windows });
    noteFileProblems(req, asked.snap);
    const refresh = data.auto ? `${data.rate};url=${URL}${controlQuery(data)}` : undefined;
    return renderPage(ctx, req, 'control', { ...data, outcome: ctx.confirm.pending ? null : lastOutcome(ctx.confirm) }, { title: 'CONTROL/MONITORING', tab: 'control', helpAnchor: 'control', refresh, flash, serial: data.fileSerial });
  }

  // Views of the same view asked at the same time get the same answers from the agent (single
  // flight) and so the same page: it is rendered once for all of them, in the same second, for the
  // same credential. A page with anything of its own (a flash, the allowlist's problems, an open
  // confirmation window and its countdown, the watchdog's notice) is rendered for its request alone.
  const pages = new PageCache();
  async function show(req: FastifyRequest, reply: FastifyReply, fragment: boolean) {
    const asked = await ask(req);
    const flashId = (req.query as Record<string, unknown>).flash;
    const problems = fragment ? [] : ctx.allowlist.problems();
    if (flashId === undefined && !problems.length && !ctx.confirm.pending && !ctx.watch.view()) {
      const generation = [asked.snap.version, ...[asked.agent, asked.series, asked.kernel?.drift ?? null, asked.kernel?.settings ?? null].map(identityOf), asked.now].join('|');
      const key = `${csrfToken(ctx.secret, req)}|${fragment}|${JSON.stringify(asked.view)}|${identityOf(ctx.confirm.outcome)}`;
      return sendHtml(reply, pages.get(generation, key, () => render(req, asked, fragment, null)));
    }
    const flash = fragment ? null : ctx.flash.take(flashId);
    const merged: Flash | null = problems.length
      ? { kind: 'error', messages: [...(flash?.messages ?? []), 'The allowlist has problems; the previous rules stay in force:', ...problems.map((p) => `${p.file}:${p.line}: ${p.message}`)], transcript: flash?.transcript }
      : flash;
    return sendHtml(reply, render(req, asked, fragment, merged));
  }

  registerKernel(app, ctx);

  // htmx asking for the live region (a page link) gets the region, not the page.
  app.get(URL, async (req, reply) => show(req, reply, req.headers['hx-target'] === REGION && req.headers['hx-history-restore-request'] === undefined));
  app.get(`${URL}/live`, async (req, reply) => show(req, reply, true));

  app.post(`${URL}/action`, async (req, reply) => {
    const parsed = actionSchema.safeParse((req.body as Record<string, unknown>)?.action);
    if (!parsed.success) throw new HttpError(400, 'Unknown button: use START, STOP or RELOAD.');
    const action = parsed.data;
    const answer = await ctx.agent[action]();
    await ctx.store.audit({ action: `agent ${action}`, client: clientIp(req), ok: answer.ok, result: answer.ok ? answer.data : answer.reason });
    const label = action.toUpperCase();
    const flash: Flash = answer.ok
      ? { kind: 'ok', messages: [action === 'reload' ? `RELOAD: the agent re-read lvs.cf.` : `${label}: LVS is now ${(answer.data as { running: boolean }).running ? 'running' : 'stopped'}.`] }
      : { kind: 'error', messages: [answer.code === 'E_CONNECT' || answer.code === 'E_DISCONNECTED' || answer.code === 'E_TIMEOUT'
          ? `${label} failed: the agent is not reachable at ${ctx.agent.socketPath ?? '(none)'}: ${answer.reason}`
          : `${label} failed: ${answer.reason}`] };
    return reply.redirect(ctx.flash.redirectUrl(URL, flash), 303);
  });

  app.post(`${URL}/check`, async (req, reply: FastifyReply) => {
    const parsed = checkSchema.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'Which real server to check is missing.');
    const { virtual, server } = parsed.data;
    const answer = await ctx.agent.checkNow(virtual, server);
    await ctx.store.audit({ action: `check now ${virtual}/${server}`, client: clientIp(req), ok: answer.ok, result: answer.ok ? answer.data.verdict : answer.reason });
    const flash: Flash = answer.ok
      ? { kind: answer.data.verdict === 'up' ? 'ok' : 'error', messages: [], transcript: answer.data }
      : { kind: 'error', messages: [`check now of ${virtual}/${server} failed: ${answer.reason}`] };
    return reply.redirect(ctx.flash.redirectUrl(URL, flash), 303);
  });
}
