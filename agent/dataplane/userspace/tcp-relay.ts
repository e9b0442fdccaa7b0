// One client connection spliced to one real server, on raw libuv TCP handles (agent/net/raw-tcp.ts):
// a net.Socket per side cost about twice the CPU per request and per connection (bench/dataplane).
// The callbacks are module-level functions shared by every connection, each finding its Relay on
// `handle.owner`, so a connection allocates one handle, one Relay and one connect request, no closures.
//
// Counting follows real.ts: active until the first FIN either way, then inactive until both
// handles are closed, then recorded as closed (TIME_WAIT-like).
import {
  connect, createSocket, readResult, shutdown, write, UV_EOF, WRITE_PENDING, type TcpHandle,
} from '../../net/raw-tcp.ts';
import type { PersistenceTable, Template } from './persistence.ts';
import type { Real } from './real.ts';

/**
 * The read buffer of every handle of every relay. Read callbacks run one at a time on this thread
 * and copy out what they forward before returning, so one buffer serves all connections.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class Relay {
  /** Seconds since the last byte either way (reset per chunk, counted by the listener's sweep). */
  idle = 0;
  /** Whether the real server has accepted: until then the connect timeout applies, not the idle one. */
  connected = false;
  /** Both handles closed and the connection counted; callbacks still in flight then do nothing. */
  closed = false;
  /** A FIN has been seen, either way (the connection counts as inactive from then on). */
  private halfClosed = false;
  /** The FIN each side sent has been read. */
  private clientEnded = false;
  private upstreamEnded = false;
  readonly upstream: TcpHandle;

  constructor(
    readonly client: TcpHandle,
    readonly real: Real,
    private readonly template: Template | null,
    private readonly table: PersistenceTable | null,
    private readonly onDone: (r: Relay) => void,
  ) {
    real.activeConns++;
    const upstream = createSocket();
    this.upstream = upstream;
    client.owner = this;
    upstream.owner = this;
    client.onread = onRead;
    upstream.onread = onRead;
    client.useUserBuffer(READ_BUFFER);
    upstream.useUserBuffer(READ_BUFFER);
    upstream.setNoDelay(true);
    // The client is not read until the real server accepts: the kernel buffers its bytes meanwhile.
    connect(upstream, real.address, real.port, onConnect);
  }

  /**
   * A chunk in the shared buffer, forwarded as a copy: a write the kernel cannot take at once keeps
   * pointing at its bytes until it is flushed, and the next read anywhere overwrites the buffer.
   * While such a write waits, `from` is not read (backpressure); onWriteDone reads it again.
   */
  forward(from: TcpHandle, to: TcpHandle, n: number): void {
    this.idle = 0;
    const chunk = Buffer.allocUnsafe(n);
    READ_BUFFER.copy(chunk, 0, 0, n);
    const status = write(to, chunk, onWriteDone);
    if (status === WRITE_PENDING) from.readStop();
    else if (status < 0) this.cut();
  }

  /**
   * `from` read a FIN (UV_EOF) or failed (a negative errno). A FIN is passed on to `to` once its
   * pending writes are out; the second FIN ends the connection. An error ends it at once.
   */
  ended(from: TcpHandle, to: TcpHandle, status: number): void {
    if (status !== UV_EOF) {
      this.cut();
      return;
    }
    if (!this.halfClosed) {
      // The first FIN, as IPVS leaving ESTABLISHED.
      this.halfClosed = true;
      this.real.activeConns--;
      this.real.inactiveConns++;
    }
    if (from === this.client) this.clientEnded = true;
    else this.upstreamEnded = true;
    // Both FINs read: `to` sent its FIN earlier, and nothing is waiting to be written to it (`from`
    // was being read, so no write towards `to` was pending). Closing sends `from` the FIN that
    // the shutdown would have, without waiting for one more callback.
    if (this.clientEnded && this.upstreamEnded) this.cut();
    // No completion callback: a FIN that cannot be sent shows as an error on the next read or
    // write of this connection, or it ends by the idle timeout.
    else if (shutdown(to) < 0) this.cut();
  }

  /** Ends both sides at once (a FIN, or a RST where unread data is left). */
  cut(): void {
    if (this.closed) return;
    this.client.close();
    this.upstream.close();
    this.finished();
  }

  /** The real server refused or never answered: reset the client, as it would see had it connected directly. */
  refuse(): void {
    if (this.closed) return;
    // Never shut down (it is not read before the connect succeeds), so reset() can close it.
    this.client.reset();
    this.upstream.close();
    this.finished();
  }

  /** A timeout: idle connection cut, or connect attempt abandoned. */
  expire(): void {
    if (this.connected) this.cut();
    else this.refuse();
  }

  private finished(): void {
    this.closed = true;
    if (this.halfClosed) this.real.inactiveConns--;
    else this.real.activeConns--;
    this.real.recordClosed();
    if (this.template !== null) this.table!.release(this.template, Date.now());
    this.onDone(this);
  }
}

function onConnect(status: number, upstream: TcpHandle): void {
  const r = upstream.owner as Relay;
  if (r.closed) return; // ECANCELED: the relay was cut or expired while connecting
  if (status !== 0) {
    r.refuse();
    return;
  }
  r.connected = true;
  if (r.client.readStart() !== 0 || upstream.readStart() !== 0) r.cut();
}

/**
 * A read on either side: data is counted for its direction and forwarded, an end or error passed
 * on. A read result of 0 is libuv's "nothing this time" (EAGAIN): neither data nor an end.
 */
function onRead(this: TcpHandle): void {
  const r = this.owner as Relay;
  if (r.closed) return;
  const n = readResult();
  const fromClient = this === r.client;
  const to = fromClient ? r.upstream : r.client;
  if (n > 0) {
    if (fromClient) {
      r.real.packetsIn++;
      r.real.bytesIn += n;
    } else {
      r.real.packetsOut++;
      r.real.bytesOut += n;
    }
    r.forward(this, to, n);
  } else if (n < 0) {
    r.ended(this, to, n);
  }
}

/** A write that had to wait is out: read again from the side that was stopped for it. */
function onWriteDone(status: number, to: TcpHandle): void {
  const r = to.owner as Relay;
  if (r.closed) return; // ECANCELED by the close
  if (status < 0) r.cut();
  else if ((to === r.client ? r.upstream : r.client).readStart() !== 0) r.cut();
}
