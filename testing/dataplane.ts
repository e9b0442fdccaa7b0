// Real sockets for the userspace dataplane tests: named backends on 127.0.0.0/8 and small clients.
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { ServiceSpec, RealSpec } from '../agent/dataplane/types.ts';
import { freePort } from './agent.ts';
import { UserspaceDataplane, type UserspaceOptions } from '../agent/dataplane/userspace/dataplane.ts';

export { freePort };

/**
 * A TCP backend: sends "NAME\n" as soon as a client connects, then echoes what it receives
 * prefixed by its name, line by line; when the client half-closes it sends "NAME bye\n" and ends.
 */
export async function tcpBackend(name: string, host: string): Promise<{ port: number; close: () => Promise<void>; server: net.Server }> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    sock.on('error', () => {});
    sock.write(`${name}\n`);
    sock.on('data', (d) => sock.write(`${name}:${d.toString()}`));
    sock.on('end', () => sock.end(`${name} bye\n`));
  });
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of open) s.destroy();
      }),
  };
}

/** A UDP backend: answers each datagram with "NAME:<datagram>". */
export async function udpBackend(name: string, host: string): Promise<{ port: number; close: () => Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => sock.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address));
  sock.bind(0, host);
  await once(sock, 'listening');
  return { port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

/**
 * Connects, reads the backend's greeting line, closes, and returns the backend's name. With
 * `untilClosed`, returns only once the connection has closed both ways, so that the dataplane no
 * longer counts it as active when the next one is scheduled.
 */
export async function whoAnswers(host: string, port: number, localAddress?: string, untilClosed = false): Promise<string> {
  const sock = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
  sock.setEncoding('utf8');
  let buf = '';
  let name: string | null = null;
  return await new Promise<string>((resolve, reject) => {
    sock.on('data', (d: string) => {
      if (name !== null) return;
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        name = buf.slice(0, nl);
        sock.end();
        if (!untilClosed) resolve(name);
      }
    });
    sock.on('error', reject);
    sock.on('close', () => {
      if (name !== null) resolve(name);
      else reject(new Error(`connection to ${host}:${port} closed before a greeting (got ${JSON.stringify(buf)})`));
    });
  });
}

/** An open connection whose lines can be awaited one by one. */
export class LineClient {
  readonly sock: net.Socket;
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  private lines: string[] = [];
  ended = false;

  constructor(host: string, port: number, localAddress?: string) {
    this.sock = net.connect({ host, port, allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
    this.sock.setEncoding('utf8');
    this.sock.on('error', () => {});
    this.sock.on('end', () => (this.ended = true));
    this.sock.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const w = this.waiters.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
  }

  next(timeoutMs = 5000): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no line within the time limit')), timeoutMs);
      this.waiters.push((line) => {
        clearTimeout(t);
        resolve(line);
      });
    });
  }

  async say(text: string): Promise<string> {
    this.sock.write(`${text}\n`);
    return this.next();
  }

  close(): void {
    this.sock.destroy();
  }
}

/** One UDP exchange from a fresh socket; returns the reply text and who sent it. */
export async function udpAsk(host: string, port: number, text: string, sock?: dgram.Socket): Promise<{ reply: string; from: string }> {
  const s = sock ?? dgram.createSocket('udp4');
  try {
    const got = once(s, 'message') as Promise<[Buffer, dgram.RemoteInfo]>;
    s.send(text, port, host);
    const timer = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no UDP reply')), 5000).unref());
    const [msg, rinfo] = await Promise.race([got, timer]);
    return { reply: msg.toString(), from: `${rinfo.address}:${rinfo.port}` };
  } finally {
    if (sock === undefined) s.close();
  }
}

export function tcpService(address: string, port: number, over: Partial<ServiceSpec> = {}): ServiceSpec {
  const protocol = over.protocol ?? 'tcp';
  return {
    key: `${protocol}|${address}|${port}`,
    name: 'test',
    protocol,
    address,
    port,
    fwmark: 0,
    scheduler: 'rr',
    persistent: 0,
    pmask: null,
    ...over,
  };
}

export function real(address: string, port: number, weight = 1): RealSpec {
  return { address, port, weight, method: 'm' };
}

/** Runs `n` tasks with at most `width` at a time. */
export async function pool<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

export function tally(names: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const n of names) t[n] = (t[n] ?? 0) + 1;
  return t;
}

/** Polls `cond` every 20 ms until it holds (or fails after `ms`). For state that settles asynchronously. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One TCP service on a fresh port of `vip` in `dp`, towards these real servers (weight 1 unless
 * given). Throws when the dataplane refuses any of it.
 */
export async function addTcpService(
  dp: UserspaceDataplane,
  vip: string,
  reals: { host: string; port: number; weight?: number }[],
): Promise<{ port: number; key: string }> {
  const port = await freePort(vip);
  const key = `tcp|${vip}|${port}`;
  const r = await dp.apply([
    { op: 'addService', service: tcpService(vip, port) },
    ...reals.map((x) => ({ op: 'addReal' as const, key, real: real(x.host, x.port, x.weight ?? 1) })),
  ]);
  if (r.failures.length > 0) throw new Error(`dataplane refused the service: ${JSON.stringify(r.failures)}`);
  return { port, key };
}

/**
 * A started dataplane with one TCP service on a fresh port of `vip` towards these real servers;
 * `cleanups` gets the dataplane's stop. `stats()` is the first real server's counters.
 */
export async function startTcpService(
  vip: string,
  reals: { host: string; port: number }[],
  cleanups: (() => Promise<void> | void)[],
  opts: UserspaceOptions = {},
) {
  const dp = new UserspaceDataplane(opts);
  await dp.start();
  cleanups.push(() => dp.stop());
  const { port, key } = await addTcpService(dp, vip, reals);
  const stats = async () => (await dp.table())[0]!.reals[0]!;
  return { dp, port, key, stats };
}
