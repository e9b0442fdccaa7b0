// The agent as a real process for tests: bin/piranha-agent.js on a socket in a temp folder, the
// typed client, and raw access to the socket's line protocol for abuse tests. Also the handlers of
// a stand-in agent (the real socket server answering what a test chooses).
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../agent/client.ts';
import { LineSplitter } from '../agent/framing.ts';
import type { StatusResult } from '../agent/protocol/index.ts';
import type { Handlers } from '../agent/socket-server.ts';
import { waitFor } from './wait.ts';

export const AGENT_BIN = fileURLToPath(new URL('../bin/piranha-agent.js', import.meta.url));

// --- the agent as a real process -------------------------------------------------------------

export interface SpawnedAgent {
  child: ChildProcess;
  socket: string;
  /** Everything the agent wrote to stderr so far (its log). */
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and waits for the exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  client(): Promise<AgentClient>;
}

export interface SpawnOptions {
  root: string;
  socket: string;
  dataplane?: 'userspace' | 'ipvs';
  args?: string[];
  /** Wait until the socket answers (default true). Set false to watch a refusal to start. */
  waitReady?: boolean;
  timeoutMs?: number;
  /** Runs the agent inside this network namespace (`ip netns exec`), e.g. a router of tests/kernel. */
  netns?: string;
  /** Limit of each call of client()'s clients (default 10 s). */
  callTimeoutMs?: number;
  /** Variables added to the agent's environment (e.g. JOURNAL_STREAM). */
  env?: NodeJS.ProcessEnv;
  /** The agent's stdout and stderr go to this file (appended) instead of a pipe; stderr() reads it. */
  logFile?: string;
  /** The command that runs node (inside the namespace, if any), e.g. setpriv's argv to run it as another user. */
  runAs?: string[];
}

export async function spawnAgent(opts: SpawnOptions): Promise<SpawnedAgent> {
  const args = [AGENT_BIN, '--root', opts.root, '--socket', opts.socket, '--dataplane', opts.dataplane ?? 'userspace', ...(opts.args ?? [])];
  const logFd = opts.logFile ? openSync(opts.logFile, 'a') : null;
  const spawnOpts = { stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'] as StdioOptions, env: { ...process.env, ...opts.env } };
  // `ip netns exec` enters the namespace and then execs node: the child is the agent itself.
  const argv = [...(opts.netns ? ['ip', 'netns', 'exec', opts.netns] : []), ...(opts.runAs ?? []), process.execPath, ...args];
  const child = spawn(argv[0]!, argv.slice(1), spawnOpts);
  if (logFd !== null) closeSync(logFd);
  let piped = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (piped += d));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (piped += d));
  const err = () => (opts.logFile ? readFileSync(opts.logFile, 'utf8') : piped);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  const agent: SpawnedAgent = {
    child,
    socket: opts.socket,
    stderr: err,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (!done) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
    client: () => AgentClient.connect(opts.socket, { timeoutMs: opts.callTimeoutMs ?? 10_000, clientName: 'test' }),
  };
  if (opts.waitReady !== false) {
    const ready = waitFor(
      async () => {
        if (done) return true;
        const c = await AgentClient.connect(opts.socket, { timeoutMs: 1000 });
        c.close();
        return true;
      },
      { timeoutMs: opts.timeoutMs ?? 60_000, message: 'agent did not answer on its socket' },
    );
    await ready.catch(async (e) => {
      if (!done) child.kill('SIGKILL');
      throw e;
    });
    // An agent that exits while starting says why at once, rather than when the wait runs out.
    if (done) {
      const { code, signal } = await exited;
      throw new Error(`agent exited during startup (${signal ?? `code ${code}`}):\n${err()}`);
    }
  }
  return agent;
}

// --- raw protocol access (for abuse tests) ---------------------------------------------------

export interface RawSession {
  send(data: string | Buffer): void;
  /** The next reply or event line, parsed. */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  readonly closed: boolean;
  close(): void;
}

export async function rawSession(path: string): Promise<RawSession> {
  const socket: Socket = createConnection({ path });
  await new Promise<void>((r, j) => {
    socket.once('connect', r);
    socket.once('error', j);
  });
  const queue: Record<string, unknown>[] = [];
  const waiters: ((v: Record<string, unknown> | null) => void)[] = [];
  let closed = false;
  const splitter = new LineSplitter(64 * 1024 * 1024);
  socket.on('data', (chunk: Buffer) => {
    for (const ev of splitter.push(chunk)) {
      if (ev.kind !== 'line') continue;
      const msg = JSON.parse(ev.line) as Record<string, unknown>;
      const w = waiters.shift();
      if (w) w(msg);
      else queue.push(msg);
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w(null);
  });
  return {
    send: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    next(timeoutMs = 10_000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      if (closed) return Promise.reject(new Error('connection closed'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((v) => {
          clearTimeout(timer);
          if (v) resolve(v);
          else reject(new Error('connection closed'));
        });
      });
    },
    get closed() {
      return closed;
    },
    close: () => socket.destroy(),
  };
}

/** Sends each line and returns one reply per non-blank line, in order. */
export async function rawExchange(path: string, lines: string[]): Promise<Record<string, unknown>[]> {
  const s = await rawSession(path);
  s.send(lines.map((l) => l + '\n').join(''));
  const out: Record<string, unknown>[] = [];
  for (const l of lines) if (l.trim() !== '') out.push(await s.next());
  s.close();
  return out;
}

/**
 * Writes one line of `bytes` bytes (as fast as the agent takes it) and collects every reply until
 * the agent closes the connection. Returns whether it did close it.
 */
export async function rawFlood(path: string, bytes: number): Promise<{ replies: Record<string, unknown>[]; closed: boolean }> {
  const socket: Socket = createConnection({ path });
  await new Promise<void>((r, j) => {
    socket.once('connect', r);
    socket.once('error', j);
  });
  const replies: Record<string, unknown>[] = [];
  const splitter = new LineSplitter(1024 * 1024);
  socket.on('data', (chunk: Buffer) => {
    for (const ev of splitter.push(chunk)) if (ev.kind === 'line') replies.push(JSON.parse(ev.line));
  });
  socket.on('error', () => {}); // EPIPE once the agent hangs up mid-line is expected
  const closed = new Promise<boolean>((r) => socket.once('close', () => r(true)));
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  void (async () => {
    for (let sent = 0; sent < bytes && !socket.destroyed; sent += chunk.length) {
      if (!socket.write(chunk)) await new Promise((r) => { socket.once('drain', r); socket.once('close', r); });
    }
    if (!socket.destroyed) socket.write('\n');
  })();
  const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), 15_000));
  const didClose = await Promise.race([closed, timeout]);
  socket.destroy();
  return { replies, closed: didClose };
}

// --- a stand-in agent ----------------------------------------------------------------------------

/** The status of a running standalone agent on `serial` with process id `pid`, nothing wrong. */
export function standaloneStatus(serial: number, pid: number): StatusResult {
  const epoch = new Date(0).toISOString();
  return { running: true, role: 'standalone', since: epoch, serial, configPath: '/x/lvs.cf', dataplane: 'userspace', pid, startedAt: epoch, lastReloadError: null, problems: [] };
}

/**
 * Handlers for the real socket server that answer every method validly, as a running standalone
 * agent with an empty table would (`status`, `start` and `stop` answer `status`); a test replaces
 * the methods it is about with `overrides`.
 */
export function quietHandlers(status: StatusResult, overrides: Partial<Handlers> = {}): Handlers {
  const drift = { watched: false, checkedAt: null, differences: [], operations: 0, error: null };
  return {
    status: async () => status,
    table: async () => ({ services: [] }),
    checkers: async () => ({ checkers: [] }),
    haStatus: async () => null,
    routerSettings: async () => ({ managed: false, settings: [] }),
    drift: async () => drift,
    reconcile: async () => ({ operations: 0, failed: [], drift }),
    plan: async () => ({ serial: status.serial, directing: true, role: 'standalone', scope: 'changed', services: 0, operations: [], notes: [], problems: [] }),
    reload: async () => ({ serial: status.serial, operations: 0 }),
    start: async () => status,
    stop: async () => status,
    checkNow: async (p) => ({ virtual: p.virtual, server: p.server, sent: '', received: '', verdict: 'up', error: null, durationMs: 1 }),
    checkHistory: async (p) => ({ virtual: p.virtual, server: p.server, address: '127.0.0.2', port: 80, check: 'connect tcp', sent: '', expect: null, checked: false, state: null, since: null, reason: null, flaps: 0, results: [] }),
    series: async () => ({ intervalSec: 10, points: 60, newest: null, virtuals: [] }),
    ...overrides,
  };
}
