// The agent's control socket: a unix stream socket speaking one JSON object per line. This module
// owns framing, the size limit, the hello handshake, parameter validation and event fan-out; what
// each method does is supplied by the caller (rpc-handlers.ts), so the protocol can be tested on its own.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdir, lstat, unlink, chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LineSplitter, frame } from './framing.ts';
import { AgentClient } from './client.ts';
import {
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  checkEvent,
  checkParams,
  checkResult,
  describeIssues,
  isMethodName,
  requestSchema,
  type AgentEvent,
  type ErrorCode,
  type MethodName,
  type Methods,
  type Request,
} from './protocol/index.ts';

/** An error with a protocol code, thrown by handlers to answer a request with that code. */
export class RpcError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Handled = Exclude<MethodName, 'hello' | 'subscribe'>;
export type Handlers = { [M in Handled]: (params: Methods[M]['params']) => Promise<Methods[M]['result']> };

/** A subscriber that lets this much output pile up unread is cut off rather than grow the agent's memory. */
const MAX_PENDING_OUTPUT = 8 * 1024 * 1024;

interface Connection {
  socket: Socket;
  greeted: boolean;
  subscribed: boolean;
  closing: boolean;
}

export interface SocketServerOptions {
  path: string;
  /** The agent's software version, returned by hello. */
  version: string;
  handlers: Handlers;
  /**
   * Check every reply and event against the protocol before sending it; one that does not fit is
   * not sent (a reply becomes E_INTERNAL naming the field) and is reported to onProtocolError.
   * Default: on unless NODE_ENV is `production` (it costs a schema check per reply; in development
   * and in the tests it catches the agent drifting from the protocol where it happens).
   */
  checkReplies?: boolean;
  /** Told about every reply or event that failed the check above (the agent logs it). */
  onProtocolError?: (message: string) => void;
}

export class SocketServer {
  private server: Server | null = null;
  private readonly conns = new Set<Connection>();
  private readonly checkReplies: boolean;

  constructor(private readonly opts: SocketServerOptions) {
    this.checkReplies = opts.checkReplies ?? process.env.NODE_ENV !== 'production';
  }

  /**
   * Creates the socket (mode 0660, parent folder 0750 when missing). A socket file left by a crash
   * is replaced; one with a live agent behind it makes this reject with a message naming its pid.
   */
  async listen(): Promise<void> {
    const { path } = this.opts;
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    await clearStaleSocket(path);
    const server = createServer((socket) => this.accept(socket));
    // The umask covers the moment between bind() and chmod(), when the socket would otherwise be
    // reachable with the process's default permissions.
    const oldMask = process.umask(0o117);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    await chmod(path, 0o660);
    this.server = server;
  }

  /** Sends an event to every subscribed client. */
  broadcast(event: AgentEvent): void {
    if (!this.hasSubscribers) return;
    if (this.checkReplies) {
      const checked = checkEvent(event);
      if (checked.ok !== true) {
        this.opts.onProtocolError?.(checked.ok === false ? checked.message : `unknown event ${checked.event}`);
        return;
      }
    }
    const line = frame(event);
    for (const c of this.conns) {
      if (c.subscribed) this.send(c, line);
    }
  }

  /** Whether any connection has subscribed to events. */
  get hasSubscribers(): boolean {
    for (const c of this.conns) if (c.subscribed) return true;
    return false;
  }

  get clientCount(): number {
    return this.conns.size;
  }

  /** Closes every connection, stops listening and removes the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(this.opts.path).catch(() => {});
    }
  }

  private accept(socket: Socket): void {
    const conn: Connection = { socket, greeted: false, subscribed: false, closing: false };
    this.conns.add(conn);
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    // A client that vanishes mid-request (EPIPE, ECONNRESET) is simply forgotten.
    socket.on('error', () => {});
    socket.on('close', () => {
      conn.closing = true;
      this.conns.delete(conn);
    });
    socket.on('data', (chunk: Buffer) => {
      if (conn.closing) return;
      for (const ev of splitter.push(chunk)) {
        if (ev.kind === 'tooLarge') {
          this.reply(conn, null, { code: 'E_TOO_LARGE', message: `request line exceeds ${MAX_LINE_BYTES} bytes; closing the connection` });
          conn.closing = true;
          socket.end();
          // Stop reading whatever else the client is still pushing; end() flushes our reply first.
          socket.pause();
          setTimeout(() => socket.destroy(), 1000).unref();
          return;
        }
        if (ev.line.trim() === '') continue;
        void this.handleLine(conn, ev.line);
      }
    });
  }

  private async handleLine(conn: Connection, line: string): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.reply(conn, null, { code: 'E_PARSE', message: 'the line is not valid JSON' });
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      this.reply(conn, null, { code: 'E_PARSE', message: 'the line is not a JSON object' });
      return;
    }
    const parsed = requestSchema.safeParse(msg);
    if (!parsed.success) {
      const rawId = (msg as { id?: unknown }).id;
      const id = typeof rawId === 'number' && Number.isInteger(rawId) ? rawId : typeof rawId === 'string' && rawId.length <= 64 ? rawId : null;
      this.reply(conn, id, { code: 'E_PARSE', message: `not a request: ${describeIssues(parsed.error)}` });
      return;
    }
    const req = parsed.data;
    try {
      const result = await this.dispatch(conn, req);
      // Checked after the await, not inside dispatch: an extra await there would let a later
      // pipelined request that fails at once be answered before this one.
      const problem = this.replyProblem(req.method, result);
      if (problem !== null) this.reply(conn, req.id, { code: 'E_INTERNAL', message: problem });
      else this.reply(conn, req.id, undefined, result);
    } catch (err) {
      if (err instanceof RpcError) this.reply(conn, req.id, { code: err.code, message: err.message });
      else this.reply(conn, req.id, { code: 'E_INTERNAL', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async dispatch(conn: Connection, req: Request): Promise<unknown> {
    const method = req.method;
    if (!isMethodName(method)) throw new RpcError('E_UNKNOWN_METHOD', `unknown method ${JSON.stringify(method)}`);
    if (method !== 'hello' && !conn.greeted) throw new RpcError('E_HANDSHAKE', `send hello with {"version":${PROTOCOL_VERSION}} first`);
    const p = checkParams(method, req.params ?? {});
    if (!p.ok) throw new RpcError('E_BAD_PARAMS', p.message);
    switch (method) {
      case 'hello': {
        const { version } = p.value as Methods['hello']['params'];
        if (version !== PROTOCOL_VERSION) {
          throw new RpcError('E_VERSION', `this agent speaks protocol ${PROTOCOL_VERSION}, not ${version}`);
        }
        conn.greeted = true;
        return { agent: 'piranha-agent', version: this.opts.version, protocol: PROTOCOL_VERSION } satisfies Methods['hello']['result'];
      }
      case 'subscribe':
        conn.subscribed = true;
        return { subscribed: true } satisfies Methods['subscribe']['result'];
      default: {
        const handler = this.opts.handlers[method] as (params: unknown) => Promise<unknown>;
        return handler(p.value);
      }
    }
  }

  /** The reply's problem when it does not fit the protocol (only when checkReplies is on), else null. */
  private replyProblem(method: string, result: unknown): string | null {
    if (!this.checkReplies || !isMethodName(method)) return null;
    const checked = checkResult(method, result);
    if (checked.ok) return null;
    this.opts.onProtocolError?.(checked.message);
    return checked.message;
  }

  private reply(conn: Connection, id: Request['id'] | null, error?: { code: ErrorCode; message: string }, result?: unknown): void {
    this.send(conn, frame(error ? { id, error } : { id, result }));
  }

  private send(conn: Connection, line: string): void {
    const s = conn.socket;
    if (s.destroyed || !s.writable) return;
    if (s.writableLength > MAX_PENDING_OUTPUT) {
      s.destroy();
      return;
    }
    s.write(line);
  }
}

/**
 * Makes `path` free for listening: absent → nothing to do; a socket nobody answers on (left by a
 * crash) → removed; a live agent → rejects naming its pid; anything else → rejects.
 */
async function clearStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  let client: AgentClient;
  try {
    client = await AgentClient.connect(path, { timeoutMs: 2000, clientName: 'piranha-agent (startup probe)' });
  } catch (err) {
    const code = (err as { code?: string }).code;
    // E_CONNECT covers ECONNREFUSED: the file is there but no process listens on it.
    if (code === 'E_CONNECT' && /nothing listens/.test((err as Error).message)) {
      await unlink(path);
      return;
    }
    throw new Error(`something is already listening on ${path} (${(err as Error).message})`);
  }
  let pid = '?';
  try {
    pid = String((await client.call('status', {})).pid);
  } catch {
    // an agent too busy or too different to say its pid still owns the socket
  } finally {
    client.close();
  }
  throw new Error(`another piranha-agent is already listening on ${path} (pid ${pid})`);
}
