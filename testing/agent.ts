// Helpers for tests that drive the real agent: spawn bin/piranha-agent.js on a socket in a temp
// folder, talk to it (typed client or raw lines), wait for conditions, and run real TCP/UDP/HTTP
// backends on 127.0.0.0/8. Used by the agent's tests and by the console's.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../agent/client.ts';
import { LineSplitter } from '../agent/framing.ts';

export const AGENT_BIN = fileURLToPath(new URL('../bin/piranha-agent.js', import.meta.url));

// --- waiting ---------------------------------------------------------------------------------

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when the condition never held (the last value seen is appended). */
  message?: string;
}

/**
 * Polls `probe` until it returns a truthy value (returned) or the time is up (throws, showing the
 * last value or error). Generous bounds only: this is for correctness, never for timing claims.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`${opts.message ?? 'condition not met'} within ${timeoutMs} ms (last: ${shown})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// --- addresses and files ---------------------------------------------------------------------

let loopbackCounter = 0;
const loopbackBase = 100 + Math.floor(Math.random() * 100);
const loopbackMid = Math.floor(Math.random() * 256);

/**
 * A fresh 127.x.y.z address per call: every test (and every concurrently running test file) gets its
 * own addresses, so ports never collide with other engineers' servers on 127.0.0.1.
 */
export function loopback(): string {
  loopbackCounter++;
  return `127.${loopbackBase}.${(loopbackMid + (loopbackCounter >> 8)) & 255}.${(loopbackCounter & 255) || 1}`;
}

/** A port that was free on `host` a moment ago (bind 0, read it, release it). */
export async function freePort(host: string, protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  if (protocol === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r, j) => {
      s.once('error', j);
      s.bind(0, host, () => r());
    });
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const s = createServer();
  await new Promise<void>((r, j) => {
    s.once('error', j);
    s.listen(0, host, () => r());
  });
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function tempRoot(prefix = 'piranha-agent-'): Promise<{ root: string; socket: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  return { root, socket: join(root, 'agent.sock'), remove: () => rm(root, { recursive: true, force: true }) };
}

export async function writeLvsCf(root: string, text: string): Promise<void> {
  await writeFile(join(root, 'lvs.cf'), text);
}

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
}

export async function spawnAgent(opts: SpawnOptions): Promise<SpawnedAgent> {
  const args = [AGENT_BIN, '--root', opts.root, '--socket', opts.socket, '--dataplane', opts.dataplane ?? 'userspace', ...(opts.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  const agent: SpawnedAgent = {
    child,
    socket: opts.socket,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (!done) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
    client: () => AgentClient.connect(opts.socket, { timeoutMs: 10_000, clientName: 'test' }),
  };
  if (opts.waitReady !== false) {
    await waitFor(
      async () => {
        if (done) throw new Error(`agent exited during startup:\n${err}`);
        const c = await AgentClient.connect(opts.socket, { timeoutMs: 1000 });
        c.close();
        return true;
      },
      { timeoutMs: opts.timeoutMs ?? 60_000, message: 'agent did not answer on its socket' },
    ).catch(async (e) => {
      if (!done) child.kill('SIGKILL');
      throw e;
    });
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

// --- backends --------------------------------------------------------------------------------

export interface Backend {
  name: string;
  host: string;
  port: number;
  /** Connections (TCP) or datagrams (UDP) received. */
  hits: number;
  close(): Promise<void>;
}

/** A TCP server that writes `NAME\n` to every connection and closes it; answers a check too. */
export async function startTcpBackend(name: string, host: string, port = 0): Promise<Backend> {
  const server: Server = createServer((sock) => {
    backend.hits++;
    sock.on('error', () => {});
    sock.end(`${name}\n`);
  });
  const backend = await listenBackend(server, name, host, port);
  return backend;
}

/** An HTTP server answering every request `200` with body `NAME` (nanny's default check expects "HTTP"). */
export async function startHttpBackend(name: string, host: string, port = 0): Promise<Backend> {
  const server: HttpServer = createHttpServer((req, res) => {
    backend.hits++;
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end(name);
  });
  const backend = await listenBackend(server, name, host, port, () => server.closeAllConnections());
  return backend;
}

/**
 * A TCP server that answers the first bytes of every connection with `reply` and closes: a real
 * server for send/expect checks whose transcript the test asserts byte for byte.
 */
export async function startReplyServer(host: string, port: number, reply: string): Promise<Server> {
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.once('data', () => sock.end(reply));
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  return server;
}

/** Listens a TCP or HTTP backend on host:port and describes it; `dropConnections` runs on close. */
async function listenBackend(server: Server | HttpServer, name: string, host: string, port: number, dropConnections?: () => void): Promise<Backend> {
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(port, host, () => r());
  });
  return {
    name,
    host,
    port: (server.address() as { port: number }).port,
    hits: 0,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        dropConnections?.();
      }),
  };
}

/** A UDP server that answers every datagram with `NAME`. */
export async function startUdpBackend(name: string, host: string, port = 0): Promise<Backend> {
  const sock: UdpSocket = createSocket('udp4');
  sock.on('message', (_msg, rinfo) => {
    backend.hits++;
    sock.send(name, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r, j) => {
    sock.once('error', j);
    sock.bind(port, host, () => r());
  });
  const backend: Backend = {
    name,
    host,
    port: sock.address().port,
    hits: 0,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
  return backend;
}

// --- clients through a VIP -------------------------------------------------------------------

/** Opens one TCP connection to host:port (optionally from `localAddress`) and returns what it says. */
export function tcpAsk(host: string, port: number, localAddress?: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host, port, localAddress });
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('data', (d: string) => (data += d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(data.trim());
    });
  });
}

/** Sends one datagram to host:port from a fresh socket (optionally bound to `localAddress`) and returns the answer. */
export function udpAsk(host: string, port: number, localAddress?: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(msg.toString('utf8').trim());
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.bind(0, localAddress, () => s.send('ping', port, host));
  });
}

/** Counts answers by backend name over `n` sequential requests. */
export async function tally(n: number, ask: (i: number) => Promise<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const who = await ask(i);
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  return counts;
}

// --- lvs.cf text for tests -------------------------------------------------------------------

export interface TestReal {
  name: string;
  address: string;
  port: number;
  weight?: number;
  active?: boolean;
}
export interface TestVirtual {
  name: string;
  vip: string;
  port: number;
  protocol?: 'tcp' | 'udp';
  scheduler?: string;
  persistent?: number;
  pmask?: string;
  timeout?: number;
  reentry?: number;
  quiesce?: boolean;
  sorry?: string;
  /** Text between the quotes, escapes as lvs.cf writes them (e.g. `GET / HTTP/1.0\r\n\r\n`). */
  send?: string;
  expect?: string;
  active?: boolean;
  servers: TestReal[];
}

/** An lvs.cf in the GUI's layout (network direct: the userspace dataplane needs no NAT router). */
export function lvsCf(opts: { serial?: number; network?: 'nat' | 'direct' | 'tunnel'; virtuals: TestVirtual[] }): string {
  const out = [
    `serial_no = ${opts.serial ?? 1}`,
    'primary = 127.0.0.1',
    'service = lvs',
    'backup_active = 0',
    'heartbeat = 1',
    'heartbeat_port = 539',
    'keepalive = 6',
    'deadtime = 18',
    `network = ${opts.network ?? 'direct'}`,
    'debug_level = NONE',
  ];
  for (const v of opts.virtuals) {
    out.push(`virtual ${v.name} {`);
    out.push(`     active = ${v.active === false ? 0 : 1}`);
    out.push(`     address = ${v.vip} lo`);
    if (v.sorry) out.push(`     sorry_server = ${v.sorry}`);
    out.push(`     port = ${v.port}`);
    if (v.persistent) out.push(`     persistent = ${v.persistent}`);
    if (v.pmask) out.push(`     pmask = ${v.pmask}`);
    if (v.send !== undefined) out.push(`     send = "${v.send}"`);
    if (v.expect !== undefined) out.push(`     expect = "${v.expect}"`);
    out.push(`     scheduler = ${v.scheduler ?? 'wlc'}`);
    out.push(`     protocol = ${v.protocol ?? 'tcp'}`);
    out.push(`     timeout = ${v.timeout ?? 1}`);
    out.push(`     reentry = ${v.reentry ?? 2}`);
    out.push(`     quiesce_server = ${v.quiesce ? 1 : 0}`);
    for (const s of v.servers) {
      out.push(`     server ${s.name} {`);
      out.push(`         address = ${s.address}`);
      out.push(`         active = ${s.active === false ? 0 : 1}`);
      out.push(`         port = ${s.port}`);
      out.push(`         weight = ${s.weight ?? 1}`);
      out.push('     }');
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

/** A UDP port free on both addresses whose TCP port + 1 (configuration sync) is free too. */
export async function heartbeatPort(a: string, b: string): Promise<number> {
  const fits = async (port: number) => {
    for (const host of [a, b]) {
      const u = createSocket('udp4');
      await new Promise<void>((r, j) => {
        u.once('error', j);
        u.bind(port, host, () => r());
      });
      await new Promise<void>((r) => u.close(() => r()));
      const s = createServer();
      await new Promise<void>((r, j) => {
        s.once('error', j);
        s.listen(port + 1, host, () => r());
      });
      await new Promise<void>((r) => s.close(() => r()));
    }
  };
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      await fits(port);
      return port;
    } catch (err) {
      if (attempt > 50) throw err;
    }
  }
}
