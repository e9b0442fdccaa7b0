// TCP probe: connect, optionally write `send`, optionally read until `expect` can be decided.
// One socket and one timer per probe and nothing else, so that ten thousand of them a second fit
// in one process.
import net from 'node:net';
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

export function tcpProbe(p: TcpProbe, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const cap = Math.max(p.readCap ?? 0, MAX_READ);
    const secs = formatSeconds(p.timeoutSec);
    let received: Buffer = EMPTY;
    let connected = false;
    let done = false;

    const sock = net.connect({ host: p.address, port: p.port });

    const finish = (ok: boolean, error: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // An orderly close (FIN), not a reset: a reset would surface as ECONNRESET in the real
      // server's logs (or crash a careless one) on every check. The price is a TIME_WAIT socket
      // on our side when we close first; the kernel caps those (tcp_max_tw_buckets) and they hold
      // no port that another destination could use.
      sock.destroy();
      resolve({ ok, received, error });
    };
    const settle = (end: 'closed' | 'timeout' | null): void => {
      const v = p.expectation!.decide(received, end);
      if (v) finish(v.ok, v.ok ? null : v.error);
    };
    const onAbort = (): void => finish(false, 'check cancelled');

    const timer = setTimeout(() => {
      // Decide one loop turn later: timers run before I/O in Node's loop, so on a busy process an
      // answer that did arrive in time may still be waiting to be read. Without this, overload
      // would turn into servers flapping down.
      const wasConnected = connected;
      setImmediate(() => {
        if (done) return;
        if (wasConnected) settle('timeout');
        // The connect arrived in that turn: the refreshed timer now covers the answer.
        else if (!connected) finish(false, `connect to ${p.address}:${p.port} timed out after ${secs} s`);
      });
    }, p.timeoutSec * 1000);

    if (signal) {
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    }

    sock.on('connect', () => {
      connected = true;
      if (!p.expectation) {
        if (p.send && p.send.length > 0) sock.write(p.send, (err) => finish(!err, err ? err.message : null));
        else finish(true, null);
        return;
      }
      if (p.send && p.send.length > 0) sock.write(p.send);
      // The answer gets a full timeout of its own, as nanny polled again after the connect.
      timer.refresh();
    });
    sock.on('data', (chunk: Buffer) => {
      if (!p.expectation) return;
      received = append(received, chunk, cap);
      settle(received.length >= cap ? 'closed' : null);
    });
    sock.on('end', () => {
      if (p.expectation) settle('closed');
      else finish(true, null);
    });
    sock.on('close', () => {
      if (p.expectation) settle('closed');
      else finish(connected, connected ? null : 'connection closed');
    });
    sock.on('error', (err: Error) => {
      // Data that arrived before a reset may already satisfy expect (a server that answers and
      // slams the door); otherwise the socket error is the most useful message.
      if (connected && p.expectation) {
        const v = p.expectation.decide(received, 'closed');
        if (v?.ok) return finish(true, null);
      }
      finish(false, err.message);
    });
  });
}
