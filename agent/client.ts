// A small typed client for the agent's unix socket, used by the console and by tests. It does the
// hello handshake on connect, matches replies to requests by id, and hands events to subscribers.
import { createConnection, type Socket } from 'node:net';
import { LineSplitter, frame } from './framing.ts';
import {
  PROTOCOL_VERSION,
  type AgentEvent,
  type ErrorCode,
  type HelloResult,
  type MethodName,
  type Methods,
} from './protocol.ts';

/** Replies can be much larger than requests (a table of 1,000 services); this only guards against a runaway agent. */
const MAX_REPLY_BYTES = 256 * 1024 * 1024;

export type ClientErrorCode = ErrorCode | 'E_DISCONNECTED' | 'E_TIMEOUT' | 'E_CONNECT';

export class AgentError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

export interface ConnectOptions {
  /** Limit for connecting + handshake, and for each call. Default 5000 ms. */
  timeoutMs?: number;
  /** Sent in hello so the agent's log can say who is connected. */
  clientName?: string;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: AgentError) => void;
  timer: NodeJS.Timeout;
}

export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: AgentEvent) => void>();
  private readonly closeListeners = new Set<(err: AgentError) => void>();
  private closed: AgentError | null = null;
  /** The agent's hello reply. */
  hello!: HelloResult;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    const splitter = new LineSplitter(MAX_REPLY_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) {
        if (ev.kind === 'line') this.onLine(ev.line);
        else this.fail(new AgentError('E_TOO_LARGE', `agent reply over ${MAX_REPLY_BYTES} bytes`));
      }
    });
    socket.on('error', (err) => this.fail(new AgentError('E_DISCONNECTED', `agent connection failed: ${err.message}`)));
    socket.on('close', () => this.fail(new AgentError('E_DISCONNECTED', 'the agent closed the connection')));
  }

  /** Connects to the agent's socket and performs the hello handshake. */
  static async connect(path: string, opts: ConnectOptions = {}): Promise<AgentClient> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ path });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new AgentError('E_TIMEOUT', `no answer from the agent at ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new AgentError('E_CONNECT', connectMessage(path, err)));
      });
    });
    const client = new AgentClient(socket, timeoutMs);
    try {
      client.hello = await client.call('hello', { version: PROTOCOL_VERSION, client: opts.clientName ?? 'piranha-client' });
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Sends one request and resolves with its result, or rejects with an AgentError carrying the agent's code. */
  call<M extends MethodName>(method: M, params: Methods[M]['params'] = {} as Methods[M]['params']): Promise<Methods[M]['result']> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentError('E_TIMEOUT', `agent did not answer ${method} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(frame({ id, method, params }));
    });
  }

  /** Asks the agent for events and calls onEvent for each; returns a function that stops calling it. */
  async subscribe(onEvent: (event: AgentEvent) => void): Promise<() => void> {
    this.listeners.add(onEvent);
    try {
      await this.call('subscribe', {});
    } catch (err) {
      this.listeners.delete(onEvent);
      throw err;
    }
    return () => this.listeners.delete(onEvent);
  }

  /** Called once when the connection ends (agent stopped, socket error, close()). */
  onClose(listener: (err: AgentError) => void): void {
    if (this.closed) listener(this.closed);
    else this.closeListeners.add(listener);
  }

  get isClosed(): boolean {
    return this.closed !== null;
  }

  close(): void {
    this.fail(new AgentError('E_DISCONNECTED', 'client closed'));
    this.socket.destroy();
  }

  private onLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return; // the agent only sends JSON; a broken line would be its bug, not ours to crash on
    }
    if (!msg || typeof msg !== 'object') return;
    const m = msg as Record<string, unknown>;
    if (typeof m.event === 'string') {
      for (const l of this.listeners) l(m as unknown as AgentEvent);
      return;
    }
    if (typeof m.id !== 'number') {
      // An error with id null (E_PARSE) cannot be ours: we never send unparsable lines.
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error && typeof m.error === 'object') {
      const e = m.error as { code: ErrorCode; message: string };
      p.reject(new AgentError(e.code, e.message));
    } else {
      p.resolve(m.result);
    }
  }

  private fail(err: AgentError): void {
    if (this.closed) return;
    this.closed = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const l of this.closeListeners) l(err);
    this.closeListeners.clear();
    this.listeners.clear();
  }
}

function connectMessage(path: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return `no agent socket at ${path} (is piranha-agent running?)`;
    case 'ECONNREFUSED':
      return `nothing listens on ${path} (stale socket; is piranha-agent running?)`;
    case 'EACCES':
      return `permission denied on ${path} (the console's user must be in the socket's group)`;
    default:
      return `cannot connect to the agent at ${path}: ${err.message}`;
  }
}
