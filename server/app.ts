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
import { HttpError } from './http-error.ts';

export interface AppOptions extends AccessDeps {
  root: string;
  agentSocket: string | null;
  tls?: boolean;
  logger?: FastifyServerOptions['logger'];
  https?: { cert: Buffer; key: Buffer } | null;
  /** Per-call limit for agent requests. */
  agentTimeoutMs?: number;
}

const STATUS_HEADINGS: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request too large',
  415: 'Unsupported form encoding',
  428: 'Form version missing',
  429: 'Too many failed logins',
};

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

  const ctx: AppContext = {
    store: new ConfigStore(opts.root),
    agent: new AgentLink(opts.agentSocket, opts.agentTimeoutMs),
    render: createRenderer(),
    secret: randomBytes(32),
    flash: new FlashStore(),
    allowlist: opts.allowlist,
  };
  app.addHook('onClose', async () => ctx.agent.close());

  registerSecurityHeaders(app, { tls: Boolean(opts.tls || opts.https) });
  await registerAccess(app, opts);
  await app.register(formbody, { bodyLimit: 256 * 1024 });
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', decorateReply: false, index: false, dotfiles: 'deny' });

  app.addHook('preHandler', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
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
  app.setNotFoundHandler((req, reply) =>
    sendPage(ctx, req, reply, 'error', { heading: 'Not found', message: `There is no page at ${req.url.split('?')[0]} for ${req.method}.` }, { title: 'Not found', status: 404, secure: false, flash: null }),
  );

  registerPublic(app, ctx);
  registerControl(app, ctx);
  registerGlobal(app, ctx);
  registerRedundancy(app, ctx);
  registerVirtuals(app, ctx);
  registerReal(app, ctx);
  registerHost(app, ctx);
  registerScripts(app, ctx);
  registerValidate(app, ctx);
  return app;
}
