// Builds the console as a Fastify instance without listening, so tests drive it with app.inject()
// and main.ts only adds the socket. Order matters: security headers, then the access chain
// (allowlist → throttle → password) on every request, then CSRF on every POST, then the routes.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import { randomBytes } from 'node:crypto';
import { ConfigStore } from './config-store.ts';
import { AgentLink } from './agent-link.ts';
import { FlashStore } from './flash.ts';
import { createRenderer, PUBLIC_DIR } from './render.ts';
import { sendPage, type AppContext } from './context.ts';
import { registerSecurityHeaders } from './security/headers.ts';
import { registerAccess, type AccessDeps } from './security/access.ts';
import { csrfProblem } from './security/csrf.ts';
import { registerPublic } from './routes/public.ts';
import { registerGlobal } from './routes/global.ts';
import { registerRedundancy } from './routes/redundancy.ts';
import { registerVirtuals } from './routes/virtuals.ts';
import { registerReal } from './routes/real.ts';
import { registerScripts } from './routes/scripts.ts';
import { registerControl } from './routes/control.ts';
import { registerValidate } from './routes/validate.ts';
import { registerHost } from './routes/host.ts';
import { registerFileFix } from './routes/file-fix.ts';
import { HttpError } from './http-error.ts';
import { AllowedHosts, registerHostCheck } from './security/allowed-hosts.ts';
import { trackRoutes, type RouteMethods } from './route-methods.ts';
import { ConfirmKeeper } from './confirm/keeper.ts';
import { DrainKeeper } from './drain/keeper.ts';
import { DEFAULT_DRAIN_TIMEOUTS } from './drain/drains.ts';
import { registerDrain } from './routes/drain.ts';
import { reloadAgent } from './save-flow.ts';
import { registerConfirm } from './routes/confirm.ts';
import { registerHistory } from './routes/history.ts';
import type { HistoryLimits } from './history/store.ts';
import { registerChecks } from './routes/checks.ts';
import { registerMetrics } from './routes/metrics.ts';
import { AgentWatch } from './agent-watch.ts';

export interface AppOptions extends AccessDeps {
  root: string;
  agentSocket: string | null;
  tls?: boolean;
  logger?: FastifyServerOptions['logger'];
  https?: { cert: Buffer; key: Buffer } | null;
  /** Per-call limit for agent requests. */
  agentTimeoutMs?: number;
  /** What a page waits at most once the agent has gone silent (AgentLink's pageTimeoutMs). */
  agentPageTimeoutMs?: number;
  /** How often the watchdog asks the agent (default agent-watch.ts WATCH_INTERVAL_MS). */
  agentWatchMs?: number;
  /** The names and addresses requests may carry in Host (default: this machine's, see allowed-hosts.ts). */
  allowedHosts?: AllowedHosts;
  /** The confirmation windows offered, in seconds (default confirm/keeper.ts DEFAULT_WINDOWS). */
  confirmWindows?: readonly number[];
  /** The automatic deactivation delays a drain offers, in seconds (default drain/drains.ts). */
  drainTimeouts?: readonly number[];
  /** How many versions history/ keeps and for how long (default history/store.ts DEFAULT_HISTORY). */
  history?: HistoryLimits;
}

const STATUS_HEADINGS: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  421: 'Wrong host name',
  413: 'Request too large',
  415: 'Unsupported form encoding',
  428: 'Form version missing',
  429: 'Too many failed logins',
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route and the methods it takes (405 answers and the tests that walk the table). */
    routeMethods: RouteMethods;
  }
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    trustProxy: false, // the allowlist must see the socket peer, never a forwarded header
    bodyLimit: 256 * 1024,
    // On close, drop every connection, not only idle ones: a browser's speculative pre-connection
    // carries no request yet, and would otherwise hold close() until Node's request timeout.
    forceCloseConnections: true,
    ...(opts.https ? { https: opts.https } : {}),
  }) as unknown as FastifyInstance;

  const store = new ConfigStore(opts.root, opts.history ? { history: opts.history } : {});
  const agent = new AgentLink(opts.agentSocket, opts.agentTimeoutMs, opts.agentPageTimeoutMs);
  const confirm = new ConfirmKeeper({
    store,
    root: opts.root,
    ...(opts.confirmWindows ? { windows: opts.confirmWindows } : {}),
    reload: () => reloadAgent(ctx),
    log: (m) => app.log.warn(m),
  });
  const drains = new DrainKeeper({
    root: opts.root,
    store,
    save: async (req) => (await confirm.save(req, null)).result,
    reload: () => reloadAgent(ctx),
    timeouts: opts.drainTimeouts ?? DEFAULT_DRAIN_TIMEOUTS,
    log: (m) => app.log.warn(m),
  });
  const ctx: AppContext = { store, agent, render: createRenderer(), secret: randomBytes(32), flash: new FlashStore(), allowlist: opts.allowlist, confirm, drains, watch: new AgentWatch(agent, opts.agentWatchMs) };
  ctx.watch.start();
  // A change waiting for confirmation, or a drain's timeout, when the console stopped: armed again.
  await confirm.start();
  await drains.start();
  app.addHook('onClose', async () => {
    await confirm.close();
    drains.close();
    ctx.watch.stop();
    ctx.agent.close();
  });

  const routeMethods: RouteMethods = trackRoutes(app);
  app.decorate('routeMethods', routeMethods);
  registerSecurityHeaders(app, { tls: Boolean(opts.tls || opts.https) });
  registerHostCheck(app, opts.allowedHosts ?? new AllowedHosts());
  await registerAccess(app, opts);
  await app.register(formbody, { bodyLimit: 256 * 1024 });
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', decorateReply: false, index: false, dotfiles: 'deny' });

  app.addHook('preHandler', async (req) => {
    // The page after a save shows the agent's answer to its reload: wait for it (bounded by the
    // agent call's own timeout) before the page is rendered.
    if (req.method === 'GET' || req.method === 'HEAD') return ctx.flash.settled((req.query as Record<string, unknown> | undefined)?.flash);
    // No route: nothing can change, and the answer (404, or 405 with Allow) says so.
    if (req.is404) return;
    const problem = csrfProblem(ctx.secret, req);
    if (problem) {
      req.log.warn({ client: req.ip, url: req.url }, `CSRF check failed: ${problem}`);
      throw new HttpError(403, problem);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err, url: req.url, method: req.method }, 'request failed');
    // Messages of client errors are ours and safe to show; a server error shows nothing internal.
    const message = status < 500 ? err.message : 'The console failed to handle this request. The details are in its log.';
    return sendPage(ctx, req, reply, 'error', { heading: STATUS_HEADINGS[status] ?? 'Error', message }, { title: STATUS_HEADINGS[status] ?? 'Error', status, secure: false, flash: null });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = routeMethods.allowedAt(path);
    if (allowed) {
      // The page exists, the method does not: say which ones it takes (RFC 9110 §15.5.6).
      reply.header('Allow', allowed.join(', '));
      return sendPage(ctx, req, reply, 'error', { heading: 'Method not allowed', message: `${path} does not take ${req.method}; it takes ${allowed.join(', ')}.` }, { title: 'Method not allowed', status: 405, secure: false, flash: null });
    }
    return sendPage(ctx, req, reply, 'error', { heading: 'Not found', message: `There is no page at ${path} for ${req.method}.` }, { title: 'Not found', status: 404, secure: false, flash: null });
  });

  registerPublic(app, ctx);
  registerControl(app, ctx);
  registerGlobal(app, ctx);
  registerRedundancy(app, ctx);
  registerVirtuals(app, ctx);
  registerReal(app, ctx);
  registerHost(app, ctx);
  registerScripts(app, ctx);
  registerValidate(app, ctx);
  registerConfirm(app, ctx);
  registerDrain(app, ctx);
  registerFileFix(app, ctx);
  registerHistory(app, ctx);
  registerChecks(app, ctx);
  registerMetrics(app, ctx);
  return app;
}
