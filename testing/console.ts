// The console in tests, on a temp root with a known password (bcrypt cost 4 to keep tests quick),
// an optional lvs.cf, allowlist and agent socket. Two ways in:
// - makeConsole: the app in this process, spoken to through app.inject() the way a browser would
//   (basic auth, the form's CSRF token and version), with the real allowlist watcher and login
//   throttle;
// - startConsole: the real piranha-gui listening on a loopback address, for browser tests.
import type { TestContext } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { AllowlistWatcher } from '../server/allowlist-watcher.ts';
import { startGui } from '../server/main.ts';
import { PasswordStore, writePasswordFile } from '../server/password-file.ts';
import { LoginThrottle } from '../server/login-throttle.ts';
import { AllowedHosts } from '../server/security/allowed-hosts.ts';
import { tempRoot } from './temp.ts';
import type { HistoryLimits } from '../server/history/store.ts';
import { waitFor } from './wait.ts';

export const PASSWORD = 'correct horse battery';
export const AUTH = 'Basic ' + Buffer.from(`piranha:${PASSWORD}`).toString('base64');
export const WRONG_AUTH = 'Basic ' + Buffer.from('piranha:wrong').toString('base64');

export interface ConsoleOptions {
  lvs?: string;
  htaccess?: string;
  /** The agent's socket in the console's root (`<root>/agent.sock`). */
  agentInRoot?: boolean;
  /** Runs on the root before the console starts (e.g. writes the agent's files). */
  prepare?: (root: string) => Promise<void>;
  /** Names the console answers to besides this machine's own (--allowed-hosts). */
  allowedHosts?: string[];
  /** The confirmation windows offered, in seconds (--confirm-windows); tests use short ones. */
  confirmWindows?: number[];
  /** The drain deactivation delays offered, in seconds (makeConsole only). */
  drainTimeouts?: number[];
  /** How many versions history/ keeps and for how long (--history-keep, --history-days). */
  history?: HistoryLimits;
}

/** The console in this process (makeConsole). */
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

/** A console root: web/secure, conf/piranha.passwd, and the optional allowlist and lvs.cf. */
export async function consoleRoot(opts: ConsoleOptions) {
  const tmp = await tempRoot('piranha-gui-');
  const { root } = tmp;
  await mkdir(join(root, 'web', 'secure'), { recursive: true });
  const passwd = join(root, 'conf', 'piranha.passwd');
  await writePasswordFile(passwd, PASSWORD, 4);
  if (opts.htaccess !== undefined) await writeFile(join(root, 'web', 'secure', '.htaccess'), opts.htaccess);
  const lvsPath = join(root, 'lvs.cf');
  if (opts.lvs !== undefined) await writeFile(lvsPath, opts.lvs);
  if (opts.prepare) await opts.prepare(root);
  return { root, passwd, lvsPath, remove: tmp.remove, lvs: () => readFile(lvsPath, 'utf8').catch(() => '') };
}

export async function makeConsole(t: TestContext, opts: ConsoleOptions & { agentSocket?: string | null } = {}): Promise<Console> {
  const { root, passwd, lvsPath, remove, lvs } = await consoleRoot(opts);
  const allowlist = new AllowlistWatcher({ files: [join(root, 'web', 'secure', '.htaccess'), join(root, 'web', '.htaccess')] });
  await allowlist.start();
  const app = await buildApp({
    root,
    agentSocket: opts.agentInRoot ? join(root, 'agent.sock') : (opts.agentSocket ?? null),
    allowlist,
    passwords: new PasswordStore({ file: passwd }),
    throttle: new LoginThrottle({ maxFailures: 1000 }),
    allowedHosts: new AllowedHosts({ extra: opts.allowedHosts ?? [] }),
    ...(opts.confirmWindows ? { confirmWindows: opts.confirmWindows } : {}),
    ...(opts.drainTimeouts ? { drainTimeouts: opts.drainTimeouts } : {}),
    ...(opts.history ? { history: opts.history } : {}),
    logger: process.env.PIRANHA_TEST_LOG ? { level: 'error' } : false,
  });
  t.after(async () => {
    await app.close();
    allowlist.close();
    await remove();
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
    lvs,
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

/** A console listening on HTTP (the real piranha-gui), for browser tests. */
export interface Harness {
  root: string;
  url: string;
  lvsPath: string;
  lvs(): Promise<string>;
  close(): Promise<void>;
}

export async function startConsole(opts: ConsoleOptions & { host?: string } = {}): Promise<Harness> {
  const { root, lvsPath, remove, lvs } = await consoleRoot(opts);
  const gui = await startGui({ root, port: 0, host: opts.host ?? '127.0.0.1', ...(opts.allowedHosts ? { 'allowed-hosts': opts.allowedHosts } : {}), ...(opts.confirmWindows ? { 'confirm-windows': opts.confirmWindows } : {}), ...(opts.agentInRoot ? { 'agent-socket': join(root, 'agent.sock') } : {}), ...(opts.history ? { 'history-keep': opts.history.keep, 'history-days': opts.history.maxAgeDays } : {}) }, () => {});
  return {
    root,
    url: gui.url,
    lvsPath,
    lvs,
    async close() {
      await gui.close();
      await remove();
    },
  };
}

/** bin/piranha-gui.js as its own process, for tests of what outlives it (a kill, a restart). */
export interface SpawnedConsole {
  url: string;
  child: ChildProcess;
  /** Everything it wrote so far. */
  output(): string;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const GUI_BIN = fileURLToPath(new URL('../bin/piranha-gui.js', import.meta.url));

export interface SpawnConsoleOptions {
  host: string;
  port?: number;
  agentSocket?: string;
  args?: string[];
  /** Variables added to its environment (e.g. JOURNAL_STREAM). */
  env?: NodeJS.ProcessEnv;
  /** Its stdout and stderr go to this file (appended) instead of a pipe; output() reads it. */
  logFile?: string;
  /** The command that runs node, e.g. setpriv's argv to run it as another user. */
  runAs?: string[];
}

export async function spawnConsole(root: string, opts: SpawnConsoleOptions): Promise<SpawnedConsole> {
  const args = [GUI_BIN, '--root', root, '--host', opts.host, '--port', String(opts.port ?? 0), ...(opts.agentSocket ? ['--agent-socket', opts.agentSocket] : []), ...(opts.args ?? [])];
  const logFd = opts.logFile ? openSync(opts.logFile, 'a') : null;
  const argv = [...(opts.runAs ?? []), process.execPath, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'], env: { ...process.env, ...opts.env } });
  if (logFd !== null) closeSync(logFd);
  let piped = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (piped += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (piped += d));
  const read = () => (opts.logFile ? readFileSync(opts.logFile, 'utf8') : piped);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`piranha-gui exited:\n${read()}`);
    return /listening on (http\S+)/.exec(read())?.[1] ?? null;
  }, { timeoutMs: 30_000, message: 'piranha-gui did not listen' });
  return {
    url,
    child,
    output: read,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
