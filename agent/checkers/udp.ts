// UDP probe: send one datagram from a connected socket and wait for an answer. A connected UDP
// socket reports the ICMP port-unreachable of a closed port as ECONNREFUSED, so a stopped service
// is found down at once instead of after the timeout.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Expectation } from './expect.ts';
import { MAX_READ } from './expect.ts';
import { EMPTY, append, formatSeconds, type ProbeResult } from './outcome.ts';

export interface UdpProbe {
  address: string;
  port: number;
  /** The datagram (already unescaped); empty when lvs.cf has no send. */
  send: Buffer;
  /** null: any answer means up (nanny dereferenced a NULL expect here and crashed). */
  expectation: Expectation | null;
  timeoutSec: number;
  readCap?: number;
}

export function udpProbe(p: UdpProbe, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const cap = Math.max(p.readCap ?? 0, MAX_READ);
    const secs = formatSeconds(p.timeoutSec);
    let received: Buffer = EMPTY;
    let done = false;

    const sock = dgram.createSocket(net.isIPv6(p.address) ? 'udp6' : 'udp4');

    const finish = (ok: boolean, error: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      try {
        sock.close();
      } catch {
        // Already closed by an error: nothing left to release.
      }
      resolve({ ok, received, error });
    };
    const onAbort = (): void => finish(false, 'check cancelled');

    // Decided one loop turn after the timer, so that a reply already waiting is read first (see tcp.ts).
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (done) return;
        if (!p.expectation) return finish(false, `no reply from ${p.address}:${p.port} within ${secs} s`);
        const v = p.expectation.decide(received, 'timeout');
        finish(v!.ok, v!.ok ? null : v!.error);
      });
    }, p.timeoutSec * 1000);

    if (signal) {
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    }

    sock.on('error', (err: NodeJS.ErrnoException) => {
      const msg = err.code === 'ECONNREFUSED' ? `port unreachable: ${p.address}:${p.port} (ECONNREFUSED)` : err.message;
      finish(false, msg);
    });
    sock.on('message', (msg: Buffer) => {
      if (!p.expectation) {
        received = append(received, msg, cap);
        return finish(true, null);
      }
      received = append(received, msg, cap);
      const v = p.expectation.decide(received, received.length >= cap ? 'closed' : null);
      if (v) finish(v.ok, v.ok ? null : v.error);
    });
    sock.connect(p.port, p.address, (err?: Error) => {
      if (done) return;
      if (err) return finish(false, err.message);
      sock.send(p.send, (e) => {
        if (e) finish(false, e.message);
      });
    });
  });
}
