// Builds a console on a temp root for tests: a real password file (bcrypt cost 4 to keep tests
// quick), the real allowlist watcher and login throttle, and helpers that speak to the app through
// app.inject() the way a browser would (basic auth, the form's CSRF token and version).
import type { TestContext } from 'node:test';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { AllowlistWatcher } from '../server/allowlist-watcher.ts';
import { PasswordStore, writePasswordFile } from '../server/password-file.ts';
import { LoginThrottle } from '../server/login-throttle.ts';

export const PASSWORD = 'correct horse battery';
export const AUTH = 'Basic ' + Buffer.from(`piranha:${PASSWORD}`).toString('base64');
export const WRONG_AUTH = 'Basic ' + Buffer.from('piranha:wrong').toString('base64');

export interface Console {
  app: FastifyInstance;
  root: string;
  lvsPath: string;
  lvs(): Promise<string>;
  get(url: string, headers?: Record<string, string>): Promise<Awaited<ReturnType<FastifyInstance['inject']>>>;
  /** GETs `formUrl`, then POSTs its hidden fields (csrf, version) plus `fields` to `action`. */
  submit(formUrl: string, action: string, fields: Record<string, string>): Promise<Awaited<ReturnType<FastifyInstance['inject']>>>;
  post(url: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Awaited<ReturnType<FastifyInstance['inject']>>>;
  hidden(html: string): { csrf: string; version: string };
}

export async function makeConsole(t: TestContext, opts: { lvs?: string; htaccess?: string; agentSocket?: string | null; agentInRoot?: boolean } = {}): Promise<Console> {
  const root = await mkdtemp(join(tmpdir(), 'piranha-gui-'));
  await mkdir(join(root, 'web', 'secure'), { recursive: true });
  const passwd = join(root, 'conf', 'piranha.passwd');
  await writePasswordFile(passwd, PASSWORD, 4);
  if (opts.htaccess !== undefined) await writeFile(join(root, 'web', 'secure', '.htaccess'), opts.htaccess);
  const lvsPath = join(root, 'lvs.cf');
  if (opts.lvs !== undefined) await writeFile(lvsPath, opts.lvs);
  const allowlist = new AllowlistWatcher({ files: [join(root, 'web', 'secure', '.htaccess'), join(root, 'web', '.htaccess')] });
  await allowlist.start();
  const app = await buildApp({
    root,
    agentSocket: opts.agentInRoot ? join(root, 'agent.sock') : (opts.agentSocket ?? null),
    allowlist,
    passwords: new PasswordStore({ file: passwd }),
    throttle: new LoginThrottle({ maxFailures: 1000 }),
    logger: process.env.PIRANHA_TEST_LOG ? { level: 'error' } : false,
  });
  t.after(async () => {
    await app.close();
    allowlist.close();
    await rm(root, { recursive: true, force: true });
  });

  const hidden = (html: string) => {
    const csrf = /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
    const version = /name="version" value="([^"]*)"/.exec(html)?.[1] ?? '';
    return { csrf, version };
  };
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { authorization: AUTH, ...headers } });
  const post = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(fields).toString(),
    });
  return {
    app,
    root,
    lvsPath,
    lvs: () => readFile(lvsPath, 'utf8').catch(() => ''),
    get,
    post,
    hidden,
    async submit(formUrl, action, fields) {
      const page = await get(formUrl);
      if (page.statusCode !== 200) throw new Error(`GET ${formUrl} gave ${page.statusCode}: ${page.body.slice(0, 300)}`);
      const h = hidden(page.body);
      return post(action, { _csrf: h.csrf, version: h.version, ...fields });
    },
  };
}

/** Follows a 303 and returns the page it leads to. */
export async function follow(c: Console, res: Awaited<ReturnType<FastifyInstance['inject']>>) {
  if (res.statusCode !== 303) throw new Error(`expected 303, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
  return c.get(String(res.headers.location));
}
