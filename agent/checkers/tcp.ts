// TCP probe: connect, optionally write `send`, optionally read until `expect` can be decided.
// One TCP handle, one timer and one small object per probe, with module-level callbacks, on the
// raw handles of agent/net/raw-tcp.ts: ten thousand probes a second must fit in a fraction of a
// core, and a net.Socket per probe cost more than the kernel's share of the whole check.
import * as raw from '../net/raw-tcp.ts';
import type { Expectation } from './expect.ts';
import { MAX_READ } from './expect.ts';
import { EMPTY, append, formatSeconds, type ProbeResult } from './outcome.ts';

export interface TcpProbe {
  address: string;
  port: number;
  /** Bytes to write once connected (already unescaped), null for none. */
  send: Buffer | null;
  /** null: success as soon as the connection is up (and `send` written). */
  expectation: Expectation | null;
  /** Deadline for the connect and, restarted once connected, for the answer (nanny's two polls). */
  timeoutSec: number;
  /** Bytes kept from the answer: enough for the longest expect. */
  readCap?: number;
}

/** Receives the result of a probe, exactly once. */
export type ProbeDone = (result: ProbeResult) => void;

/** A probe in flight; `cancel()` ends it at once as failed ("check cancelled"). */
export interface RunningProbe {
  cancel(): void;
}

/**
 * Where every probe's reads land. A read is appended to its probe's own `received` (a copy) before
 * the callback returns, and callbacks run one at a time, so one buffer serves every probe.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

class TcpProbeRun implements RunningProbe {
  received: Buffer = EMPTY;
  connected = false;
  done = false;
  readonly handle: raw.TcpHandle;
  readonly timer: NodeJS.Timeout;
  readonly cap: number;

  constructor(
    readonly p: TcpProbe,
    private readonly onDone: ProbeDone,
  ) {
    this.cap = Math.max(p.readCap ?? 0, MAX_READ);
    this.handle = raw.createSocket();
    this.handle.owner = this;
    this.timer = setTimeout(onDeadline, p.timeoutSec * 1000, this);
    raw.connect(this.handle, p.address, p.port, onConnect);
  }

  cancel(): void {
    this.finish(false, 'check cancelled');
  }

  finish(ok: boolean, error: string | null): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    // An orderly close (FIN), not a reset: a reset would surface as ECONNRESET in the real
    // server's logs (or crash a careless one) on every check. The price is a TIME_WAIT socket on
    // our side when we close first; the kernel caps those (tcp_max_tw_buckets) and they hold no
    // port that another destination could use.
    this.handle.close();
    this.onDone({ ok, received: this.received, error });
  }

  /** Asks the expectation; `end` says why no more bytes will come (or null while they may). */
  settle(end: 'closed' | 'timeout' | null): void {
    const v = this.p.expectation!.decide(this.received, end);
    if (v) this.finish(v.ok, v.ok ? null : v.error);
  }

  /** A socket error after the connect: data that came before a reset may already satisfy expect. */
  failed(message: string): void {
    if (this.connected && this.p.expectation) {
      const v = this.p.expectation.decide(this.received, 'closed');
      if (v?.ok) return this.finish(true, null);
    }
    this.finish(false, message);
  }
}

function onDeadline(run: TcpProbeRun): void {
  // Decide one loop turn later: timers run before I/O in Node's loop, so on a busy process an
  // answer that did arrive in time may still be waiting to be read. Without this, overload would
  // turn into servers flapping down.
  setImmediate(afterDeadline, run, run.connected);
}

function afterDeadline(run: TcpProbeRun, wasConnected: boolean): void {
  if (run.done) return;
  if (wasConnected) run.settle('timeout');
  // The connect arrived in that turn: the refreshed timer now covers the answer.
  else if (!run.connected) {
    run.finish(false, `connect to ${run.p.address}:${run.p.port} timed out after ${formatSeconds(run.p.timeoutSec)} s`);
  }
}

function onConnect(status: number, handle: raw.TcpHandle): void {
  const run = handle.owner as TcpProbeRun;
  if (run.done) return;
  if (status !== 0) return run.finish(false, `connect ${raw.errorName(status)} ${run.p.address}:${run.p.port}`);
  run.connected = true;
  const { send, expectation } = run.p;
  if (send !== null && send.length > 0) {
    // `send` belongs to the cached plan and never changes, so a pending write may point at it.
    const w = raw.write(handle, send, expectation ? onWriteFailed : onConnectOnlyWritten);
    if (w < 0) return run.finish(false, `write ${raw.errorName(w)}`);
    if (!expectation && w === raw.WRITE_DONE) return run.finish(true, null);
  } else if (!expectation) {
    return run.finish(true, null);
  }
  if (!expectation) return;
  handle.onread = onRead;
  handle.useUserBuffer(READ_BUFFER);
  const err = handle.readStart();
  if (err !== 0) return run.finish(false, `read ${raw.errorName(err)}`);
  // The answer gets a full timeout of its own, as nanny polled again after the connect.
  run.timer.refresh();
}

/** A connect-only check with `send`: up once the bytes are written. */
function onConnectOnlyWritten(status: number, handle: raw.TcpHandle): void {
  (handle.owner as TcpProbeRun).finish(status === 0, status === 0 ? null : `write ${raw.errorName(status)}`);
}

/** A send/expect check's write that had to wait: only a failure matters (the read decides). */
function onWriteFailed(status: number, handle: raw.TcpHandle): void {
  if (status !== 0) (handle.owner as TcpProbeRun).failed(`write ${raw.errorName(status)}`);
}

function onRead(this: raw.TcpHandle): void {
  const run = this.owner as TcpProbeRun;
  if (run.done) return;
  const n = raw.readResult();
  if (n > 0) {
    // append() keeps what it is given; the shared buffer is reused, so copy first.
    const chunk = Buffer.allocUnsafe(Math.min(n, run.cap));
    READ_BUFFER.copy(chunk, 0, 0, chunk.length);
    run.received = append(run.received, chunk, run.cap);
    run.settle(run.received.length >= run.cap ? 'closed' : null);
  } else if (n === raw.UV_EOF) {
    run.settle('closed');
  } else {
    run.failed(`read ${raw.errorName(n)}`);
  }
}

/** A TCP port a probe can connect to (1–65535). */
export function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Starts a probe; `done` gets its result once, on a later turn of the event loop. */
export function startTcpProbe(p: TcpProbe, done: ProbeDone): RunningProbe {
  if (!validPort(p.port)) {
    const result: ProbeResult = { ok: false, received: EMPTY, error: `invalid port ${p.port}` };
    process.nextTick(done, result);
    return { cancel() {} };
  }
  return new TcpProbeRun(p, done);
}

/** The same probe as a promise, cancelled by `signal` (for one-off checks such as "check now"). */
export function tcpProbe(p: TcpProbe, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ ok: false, received: EMPTY, error: 'check cancelled' });
    const onAbort = (): void => running.cancel();
    const running = startTcpProbe(p, (result) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
