// The access chain, one global onRequest hook so it covers every route, every method, the 404
// handler and static files alike (CVE-2013-6492 was auth limited to GET):
//   1. allowlist (web/secure/.htaccess, web/.htaccess)  → 403, before any credential is looked at
//   2. login throttle per client address                  → 429 with Retry-After
//   3. HTTP basic auth as user `piranha`                   → 401 with the original realm
// Only the welcome, introduction, help pages and static files skip step 3, as in the original
// (its login page lived outside web/secure). Everything else, unknown paths included, needs the password.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import basicAuth from '@fastify/basic-auth';
import { HttpError } from '../http-error.ts';

export const REALM = 'access to the piranha web GUI';
export const USER = 'piranha';

export interface Allowlist {
  check(clientIp: string): boolean;
  problems(): { file: string; line: number; message: string }[];
}
export interface Passwords {
  verify(user: string, password: string): Promise<boolean>;
  exists(): boolean;
}
export interface Throttle {
  isBlocked(ip: string): { blocked: boolean; retryAfterSec: number };
  fail(ip: string): void;
  succeed(ip: string): void;
}
export interface AccessDeps {
  allowlist: Allowlist;
  passwords: Passwords;
  throttle: Throttle;
}

const PUBLIC_PATHS = new Set(['/', '/introduction', '/help', '/favicon.ico']);

export function isPublicPath(url: string): boolean {
  const path = url.split('?')[0];
  return PUBLIC_PATHS.has(path) || path.startsWith('/static/') || path.startsWith('/help/');
}

/** The socket peer, with IPv4-mapped IPv6 (::ffff:a.b.c.d) reduced to a.b.c.d. trustProxy stays off. */
export function clientIp(req: FastifyRequest): string {
  const ip = req.ip ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export async function registerAccess(app: FastifyInstance, deps: AccessDeps): Promise<void> {
  await app.register(basicAuth, {
    authenticate: { realm: REALM },
    utf8: false,
    async validate(user, password, req) {
      const ip = clientIp(req);
      const ok = user === USER && (await deps.passwords.verify(user, password));
      if (!ok) {
        deps.throttle.fail(ip);
        req.log.warn({ client: ip }, 'authentication failed');
        throw new HttpError(401, 'Wrong user name or password.');
      }
      deps.throttle.succeed(ip);
    },
  });

  const runBasicAuth = (req: FastifyRequest, reply: FastifyReply) =>
    new Promise<void>((resolve, reject) => {
      app.basicAuth(req, reply, (err?: Error) => (err ? reject(err) : resolve()));
    });

  app.addHook('onRequest', async (req, reply) => {
    const ip = clientIp(req);
    if (!deps.allowlist.check(ip)) {
      throw new HttpError(403, `Access from ${ip} is not allowed by the console's allowlist.`);
    }
    // Only reading a public page skips the password; any other method on any path needs it.
    if ((req.method === 'GET' || req.method === 'HEAD') && isPublicPath(req.url)) return;
    const blocked = deps.throttle.isBlocked(ip);
    if (blocked.blocked) {
      reply.header('Retry-After', String(blocked.retryAfterSec));
      throw new HttpError(429, `Too many failed logins from ${ip}. Try again in ${blocked.retryAfterSec} seconds.`);
    }
    if (!deps.passwords.exists()) {
      // No default password, ever (CVE-2000-0248): without a password file nobody gets in.
      reply.header('WWW-Authenticate', `Basic realm="${REALM}"`);
      throw new HttpError(401, 'No console password is set. Run piranha-passwd on the router to set one.');
    }
    await runBasicAuth(req, reply);
  });
}
