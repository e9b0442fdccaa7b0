// What every route needs, built once per app: the config store, the agent link, the renderer, the
// CSRF secret and the flash store. Routes receive it explicitly (no global state).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConfigStore, Snapshot } from './config-store.ts';
import type { AgentLink } from './agent-link.ts';
import type { Renderer } from './render.ts';
import { HTMX_FILE } from './render.ts';
import type { Flash, FlashStore } from './flash.ts';
import { csrfToken } from './security/csrf.ts';
import type { Allowlist } from './security/access.ts';
import type { ConfirmKeeper } from './confirm/keeper.ts';
import type { DrainKeeper } from './drain/keeper.ts';
import type { AgentWatch } from './agent-watch.ts';
import { confirmBanner } from './confirm/banner.ts';
import { formatDiagnostic, type LvsConfig } from '../lvs-cf/index.ts';
import { fileProblems, type FileProblem } from './file-problems.ts';

export interface AppContext {
  store: ConfigStore;
  agent: AgentLink;
  render: Renderer;
  secret: Buffer;
  flash: FlashStore;
  allowlist: Allowlist;
  /** The confirmation window of a change applied "with confirmation", and every save. */
  confirm: ConfirmKeeper;
  /** Drains in progress and their automatic deactivation. */
  drains: DrainKeeper;
  /** Whether the agent answers, watched in the background (every page says when it does not). */
  watch: AgentWatch;
}

export const TABS = [
  { id: 'control', label: 'CONTROL/MONITORING', href: '/secure/control' },
  { id: 'global', label: 'GLOBAL SETTINGS', href: '/secure/global' },
  { id: 'redundancy', label: 'REDUNDANCY', href: '/secure/redundancy' },
  { id: 'virtual', label: 'VIRTUAL SERVERS', href: '/secure/virtual' },
  { id: 'history', label: 'HISTORY', href: '/secure/history' },
] as const;

export interface PageOptions {
  title: string;
  tab?: string;
  status?: number;
  secure?: boolean;
  refresh?: string;
  helpAnchor?: string;
  flash?: Flash | null;
  serial?: number | null;
}

/** Renders `template` inside the layout and sends it. */
export function sendPage(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: Record<string, unknown>,
  opts: PageOptions,
): FastifyReply {
  return sendHtml(reply, renderPage(ctx, req, template, data, opts), opts.status ?? 200);
}

export function sendHtml(reply: FastifyReply, html: string | Buffer, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** The full HTML of a page (layout included). */
export function renderPage(ctx: AppContext, req: FastifyRequest, template: string, data: Record<string, unknown>, opts: PageOptions): string {
  const secure = opts.secure ?? true;
  const csrf = secure ? csrfToken(ctx.secret, req) : '';
  const problems = openProblems.get(req);
  const banner = problems ? ctx.render('partials/file-problems', { ...problems, csrf, back: req.url.split('?')[0] }) : '';
  const body = banner + ctx.render(template, { ...data, csrf, windows: ctx.confirm.windows });
  const flash = opts.flash !== undefined ? opts.flash : ctx.flash.take((req.query as Record<string, unknown> | undefined)?.flash);
  const html = ctx.render('layout', {
    body,
    title: opts.title,
    tab: opts.tab,
    tabs: TABS,
    secure,
    csrf,
    htmx: HTMX_FILE,
    refresh: opts.refresh,
    helpAnchor: opts.helpAnchor,
    flash,
    serial: opts.serial,
    // Every console page shows a change waiting for confirmation, with its buttons.
    pending: secure ? confirmBanner(ctx.confirm) : null,
    back: backPath(req.url),
    watchdog: secure ? ctx.watch.view() : null,
  });
  return html;
}

/** Where the confirmation buttons send the operator back to: this page, when it is a console page. */
function backPath(url: string): string {
  const path = url.split('?')[0];
  return /^\/secure\/[A-Za-z0-9/_-]*$/.test(path) ? path : '/secure/control';
}

/** Renders a fragment (no layout) for htmx swaps. */
export function sendFragment(ctx: AppContext, req: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown>): FastifyReply {
  const html = ctx.render(template, { ...data, csrf: csrfToken(ctx.secret, req), windows: ctx.confirm.windows });
  return reply.type('text/html; charset=utf-8').send(html);
}

/** The errors of the file a panel shows, for the banner renderPage puts above it (per request). */
const openProblems = new WeakMap<FastifyRequest, { problems: FileProblem[]; version: string }>();

/** Shows the errors of the file (with their fixes) at the top of the page this request renders. */
export function noteFileProblems(req: FastifyRequest, snap: Snapshot): void {
  const problems = fileProblems(snap);
  if (problems.length) openProblems.set(req, { problems, version: snap.version });
}

/**
 * The model for a panel, or null after sending the "lvs.cf has syntax errors" page: the console
 * refuses to edit a file it cannot fully read rather than guess at its meaning.
 */
export function modelOrBrokenPage(ctx: AppContext, req: FastifyRequest, reply: FastifyReply, snap: Snapshot, tab: string) {
  if (snap.parsed.model) {
    noteFileProblems(req, snap);
    return snap.parsed.model;
  }
  const report = snap.parsed.diagnostics.map((d) => formatDiagnostic(d, snap.text, ctx.store.path)).join('\n');
  sendPage(ctx, req, reply, 'broken-config', { path: ctx.store.path, history: ctx.store.historyDir, report }, { title: 'lvs.cf has errors', tab, status: 500 });
  return null;
}

/**
 * The GET handler of a page that shows lvs.cf: `show` gets the file as read now and its model; a
 * file that does not parse gets the page of its errors instead (modelOrBrokenPage), under `tab`.
 */
export function modelPage(
  ctx: AppContext,
  tab: string,
  show: (req: FastifyRequest, reply: FastifyReply, snap: Snapshot, model: LvsConfig) => unknown,
): (req: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (req, reply) => {
    const snap = await ctx.store.read();
    const model = modelOrBrokenPage(ctx, req, reply, snap, tab);
    return model ? show(req, reply, snap, model) : reply;
  };
}

/** The hidden fields every editing form carries. */
export function formBase(snap: Snapshot, validate: string) {
  return { version: snap.version, validate, messages: [] as string[], errors: {} as Record<string, string> };
}
