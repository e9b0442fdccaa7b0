// A small typed client for the agent's unix socket, used by the console and by tests. It does the
// hello handshake on connect, matches replies to requests by id, and hands events to subscribers.
// Every reply and event is checked against the protocol's schemas: one that does not fit is an
// AgentError (E_BAD_REPLY) naming the field, which the console shows like any other agent error.
import { createConnection, type Socket } from 'node:net';
import { LineSplitter, frame } from './framing.ts';
import {
  ERROR_CODES,
  PROTOCOL_VERSION,
  checkEvent,
  checkResult,
  describeIssues,
  replyEnvelopeSchema,
  type AgentEvent,
  type ErrorCode,
  type HelloResult,
  type MethodName,
  type Methods,
} from './protocol/index.ts';

/** Replies can be much larger than requests (a table of 1,000 services); this only guards against a runaway agent. */
const MAX_REPLY_BYTES = 256 * 1024 * 1024;

/**
 * The agent's codes, plus this client's own: E_CONNECT (cannot connect), E_DISCONNECTED (the
 * connection ended), E_TIMEOUT (no answer in time), E_BAD_REPLY (an answer that does not fit the
 * protocol: a line that is not JSON, a result or event with a missing or mistyped field).
 */
export type ClientErrorCode = ErrorCode | 'E_DISCONNECTED' | 'E_TIMEOUT' | 'E_CONNECT' | 'E_BAD_REPLY';
const AGENT_CODES = new Set<string>(ERROR_CODES);

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
  method: MethodName;
  resolve: (value: unknown) => void;
  reject: (err: AgentError) => void;
  timer: NodeJS.Timeout;
}

export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<Subscriber>();
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
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(frame({ id, method, params }));
    });
  }

  /**
   * Asks the agent for events and calls onEvent for each; returns a function that stops calling it.
   * An event that does not fit the protocol goes to onBadEvent (an E_BAD_REPLY AgentError) instead;
   * an event name this client does not know (a newer agent's) is skipped.
   */
  async subscribe(onEvent: (event: AgentEvent) => void, onBadEvent?: (err: AgentError) => void): Promise<() => void> {
    const subscriber: Subscriber = { onEvent, onBadEvent };
    this.listeners.add(subscriber);
    try {
      await this.call('subscribe', {});
    } catch (err) {
      this.listeners.delete(subscriber);
      throw err;
    }
    return () => this.listeners.delete(subscriber);
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
      // Which request it answered cannot be known: every call in flight fails now rather than at its timeout.
      this.abort(new AgentError('E_BAD_REPLY', `the agent sent a line that is not JSON: ${preview(line)}`));
      return;
    }
    if (msg !== null && typeof msg === 'object' && !Array.isArray(msg) && 'event' in msg) {
      this.onEventLine(msg);
      return;
    }
    const reply = replyEnvelopeSchema.safeParse(msg);
    if (!reply.success) {
      this.abort(new AgentError('E_BAD_REPLY', `the agent sent a line that is neither a reply nor an event (${describeIssues(reply.error)}): ${preview(line)}`));
      return;
    }
    const m = reply.data;
    // An id that is not one of ours (null for E_PARSE/E_TOO_LARGE, a string) answers nothing we sent.
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if ('error' in m) {
      const { code, message } = m.error;
      if (AGENT_CODES.has(code)) p.reject(new AgentError(code as ErrorCode, message));
      else p.reject(new AgentError('E_BAD_REPLY', `the agent answered ${p.method} with an error code this console does not know (${code}): ${message}`));
      return;
    }
    const checked = checkResult(p.method, m.result);
    if (checked.ok) p.resolve(checked.value);
    else p.reject(new AgentError('E_BAD_REPLY', `the agent's ${checked.message.replace(/^the /, '')}`));
  }

  private onEventLine(msg: object): void {
    const checked = checkEvent(msg);
    if (checked.ok === 'unknown') return;
    for (const l of this.listeners) {
      if (checked.ok) l.onEvent(checked.value);
      else l.onBadEvent?.(new AgentError('E_BAD_REPLY', `the agent's ${checked.message.replace(/^the /, '')}`));
    }
  }

  /** The connection cannot be trusted any more: fail every call and close it. */
  private abort(err: AgentError): void {
    this.fail(err);
    this.socket.destroy();
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

interface Subscriber {
  onEvent: (event: AgentEvent) => void;
  onBadEvent?: (err: AgentError) => void;
}

/** The start of a bad line, for the message (a runaway reply can be megabytes). */
function preview(line: string): string {
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
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
