// What bench/scale's scripts share: the programs under test started as processes of their own from
// a checkout (this one, or an older one for the "before" figures: `--repo DIR`), their memory read
// from /proc, a console session that submits forms the way a browser does, and medians.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePasswordFile } from '../../server/password-file.ts';
import { generate, type Layout } from './generate.ts';

export const HERE_REPO = fileURLToPath(new URL('../../', import.meta.url));
export const PASSWORD = 'bench password';
export const AUTH = 'Basic ' + Buffer.from(`piranha:${PASSWORD}`).toString('base64');

export function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The checkout whose programs are measured (`--repo DIR`, default this one). */
export function repoUnderTest(argv: string[]): string {
  return resolve(arg(argv, '--repo') ?? HERE_REPO);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A /proc/PID/status field in MB (VmRSS, VmHWM), NaN once the process is gone. */
export function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * The CPU time a process has used so far (user + system, all its threads) in ms, from
 * /proc/PID/stat; NaN once it is gone. On a shared machine this says what a start costs where the
 * wall clock says mostly how busy the other processes were.
 */
export function cpuMs(pid: number): number {
  try {
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux everywhere it matters. */
const CLOCK_TICKS = 100;

export interface Child {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a program, collecting its output: a bin/*.js as its command runs it (`node [NODE_ARGS]
 * FILE ARGS`: each bin registers tsx itself, and a second registration through `--import tsx`
 * would put every module of the program through two loaders), a .ts with `--import tsx`.
 */
export function startNode(file: string, args: string[], nodeArgs: string[] = []): Child {
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d.length > 4096 ? d.slice(-4096) : d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-1 << 20)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with the first match of `pattern` in the child's output. */
export async function waitOutput(c: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(c.output());
    if (m) return m;
    if (c.child.exitCode !== null) throw new Error(`the process exited:\n${c.output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${c.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A console root: the password, the folder of the allowlist, lvs.cf. */
export async function prepareRoot(root: string, text: string): Promise<void> {
  await mkdir(join(root, 'web', 'secure'), { recursive: true });
  await writePasswordFile(join(root, 'conf', 'piranha.passwd'), PASSWORD, 4);
  await writeFile(join(root, 'lvs.cf'), text);
}

/**
 * A console root holding `layout`'s lvs.cf, and the one local backend (backend.ts) answering its
 * real servers, ready. The backend joins `children` before the wait, so that the caller stops it
 * whatever happens.
 */
export async function prepareLayout(root: string, layout: Layout, children: Child[]): Promise<void> {
  await prepareRoot(root, generate(layout));
  const backend = startNode(join(import.meta.dirname, 'backend.ts'), [String(layout.virtuals), String(layout.loopbackPort)]);
  children.push(backend);
  await waitOutput(backend, /^ready \d+/m, 120_000);
}

/** The console of `repo` on 127.0.0.1, an ephemeral port. */
export async function startConsole(repo: string, root: string, agentSocket: string | null): Promise<Child & { url: string }> {
  const args = ['--root', root, '--port', '0', '--host', '127.0.0.1', ...(agentSocket ? ['--agent-socket', agentSocket] : [])];
  const c = startNode(join(repo, 'bin', 'piranha-gui.js'), args);
  const m = await waitOutput(c, /listening on (http:\/\/[^\s]+)/, 60_000);
  return { ...c, url: m[1]! };
}

/** The hidden fields of a form page. */
export function hidden(html: string): { csrf: string; version: string } {
  return {
    csrf: /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '',
    version: /name="version" value="([^"]*)"/.exec(html)?.[1] ?? '',
  };
}

/** The text inputs of a form page, by name. */
export function inputs(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]* name="([^"]+)" type="text" value="([^"]*)"/g)) out[m[1]!] = m[2]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return out;
}

export async function get(url: string): Promise<{ status: number; text: string; bytes: number }> {
  const r = await fetch(url, { headers: { authorization: AUTH } });
  const buf = Buffer.from(await r.arrayBuffer());
  return { status: r.status, text: buf.toString('utf8'), bytes: buf.length };
}

export async function post(url: string, fields: Record<string, string>): Promise<{ status: number; location: string | null }> {
  const r = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  await r.arrayBuffer();
  return { status: r.status, location: r.headers.get('location') };
}
