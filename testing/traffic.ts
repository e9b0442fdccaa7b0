// Real servers and clients on 127.0.0.0/8 for tests that send traffic through the dataplane or the
// agent: named TCP and UDP backends that say who they are, clients that ask "who answers?", and
// counting helpers for scheduling tests.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';

// --- backends --------------------------------------------------------------------------------

export interface Backend {
  name: string;
  host: string;
  port: number;
  /** Connections (TCP) or datagrams (UDP) received. */
  hits: number;
  close(): Promise<void>;
}

/**
 * A TCP server that greets every connection with `NAME\n`. By default it then closes (a real
 * server for health checks and "who answers?" clients). With `echo` it keeps the connection:
 * every chunk received comes back as `NAME:<chunk>`, and the client's half-close is answered with
 * `NAME bye\n` and the server's own FIN.
 */
export async function startTcpBackend(name: string, host: string, port = 0, opts: { echo?: boolean } = {}): Promise<Backend> {
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: opts.echo === true }, (sock) => {
    backend.hits++;
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    sock.on('error', () => {});
    if (!opts.echo) {
      sock.end(`${name}\n`);
      return;
    }
    sock.write(`${name}\n`);
    sock.on('data', (d) => sock.write(`${name}:${d.toString()}`));
    sock.on('end', () => sock.end(`${name} bye\n`));
  });
  // once() rejects with the 'error' a failed listen emits instead.
  await once(server.listen(port, host), 'listening');
  const backend: Backend = {
    name,
    host,
    port: (server.address() as { port: number }).port,
    hits: 0,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of open) s.destroy();
      }),
  };
  return backend;
}

/** A UDP server that answers every datagram with `NAME:<datagram>`. */
export async function startUdpBackend(name: string, host: string, port = 0): Promise<Backend> {
  const sock: UdpSocket = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    backend.hits++;
    sock.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address);
  });
  sock.bind(port, host);
  await once(sock, 'listening');
  const backend: Backend = {
    name,
    host,
    port: sock.address().port,
    hits: 0,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
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
  await once(server.listen(port, host), 'listening');
  return server;
}

// --- clients ---------------------------------------------------------------------------------

export interface AskOptions {
  /** The client's source address (a fresh loopback address is a new client). */
  from?: string;
  timeoutMs?: number;
  /**
   * Resolve only once the connection has closed both ways (default true), so that the dataplane
   * no longer counts it as active when the next one is scheduled; false resolves on the greeting.
   */
  untilClosed?: boolean;
}

/**
 * Connects to host:port, reads the backend's greeting line, closes, and returns the backend's
 * name. Rejects when the connection fails or closes before a greeting, or after `timeoutMs`.
 */
export function tcpAsk(host: string, port: number, opts: AskOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const sock = createConnection({ host, port, ...(opts.from ? { localAddress: opts.from } : {}) });
  sock.setEncoding('utf8');
  let buf = '';
  let name: string | null = null;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (d: string) => {
      if (name !== null) return;
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      name = buf.slice(0, nl);
      sock.end();
      if (opts.untilClosed === false) {
        clearTimeout(timer);
        resolve(name);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (name !== null) resolve(name);
      else reject(new Error(`connection to ${host}:${port} closed before a greeting (got ${JSON.stringify(buf)})`));
    });
  });
}

/**
 * Sends one datagram to host:port and returns the reply and who sent it. From a fresh socket
 * (bound to `from` when given) unless `socket` is passed, which keeps one client address:port
 * across calls.
 */
export async function udpAsk(
  host: string,
  port: number,
  text = 'ping',
  opts: { socket?: UdpSocket; from?: string; timeoutMs?: number } = {},
): Promise<{ reply: string; from: string }> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const s = opts.socket ?? createSocket('udp4');
  try {
    if (!opts.socket && opts.from) {
      await new Promise<void>((r, j) => {
        s.once('error', j);
        s.bind(0, opts.from, () => r());
      });
    }
    const got = once(s, 'message') as Promise<[Buffer, RemoteInfo]>;
    s.send(text, port, host);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`no UDP reply from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const [msg, rinfo] = await Promise.race([got, late]);
      return { reply: msg.toString(), from: `${rinfo.address}:${rinfo.port}` };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    if (!opts.socket) s.close();
  }
}

/** An open connection whose lines can be awaited one by one. */
export class LineClient {
  readonly sock: Socket;
  private buf = '';
  private waiters: ((line: string) => void)[] = [];
  private lines: string[] = [];
  ended = false;

  constructor(host: string, port: number, localAddress?: string) {
    this.sock = createConnection({ host, port, allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
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

// --- counting --------------------------------------------------------------------------------

/** How many times each name occurs: `{ r1: 500, r2: 500 }`. */
export function tally(names: Iterable<string>): Record<string, number> {
  const t: Record<string, number> = {};
  for (const n of names) t[n] = (t[n] ?? 0) + 1;
  return t;
}
