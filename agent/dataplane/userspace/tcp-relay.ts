// One client connection spliced to one real server. The event handlers are module-level functions
// shared by every connection (the relay hangs off each socket under a symbol), so accepting a
// connection allocates two sockets, one Relay and one bound read callback, not a dozen closures.
// Counting follows real.ts: active until the first FIN either way, then inactive until both
// sockets are closed, then recorded as closed (TIME_WAIT-like).
//
// The real server's replies are read with net.connect's `onread` option: the kernel copies them
// into one buffer shared by all relays and the callback hands them on directly, which skips the
// Readable stream (push, 'data' event, a nextTick per chunk) and Node's 64 KiB allocation per read.
// The client side cannot use `onread` (net.Server does not offer it), so it uses 'data' events.
import net from 'node:net';
import type { PersistenceTable, Template } from './persistence.ts';
import type { Real } from './real.ts';

const RELAY = Symbol('relay');
type RelaySocket = net.Socket & { [RELAY]: Relay };

/**
 * The read buffer of every upstream socket. Read callbacks run one at a time on this thread and
 * copy out what they forward before returning, so one buffer serves all connections.
 */
const UPSTREAM_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class Relay {
  /** Seconds since the last byte either way (reset per chunk, counted by the listener's sweep). */
  idle = 0;
  private halfClosed = false;
  private closed = 0;
  /** Whether the 'drain' handlers are attached: only once a write has had to wait. */
  private drainHooked = false;
  readonly upstream: net.Socket;

  constructor(
    readonly client: net.Socket,
    readonly real: Real,
    private readonly template: Template | null,
    private readonly table: PersistenceTable | null,
    private readonly onDone: (r: Relay) => void,
  ) {
    real.activeConns++;
    const upstream = net.connect({
      host: real.address,
      port: real.port,
      noDelay: true,
      allowHalfOpen: true,
      onread: { buffer: UPSTREAM_READ_BUFFER, callback: this.onUpstreamRead.bind(this) },
    });
    this.upstream = upstream;
    (client as RelaySocket)[RELAY] = this;
    (upstream as RelaySocket)[RELAY] = this;
    client.on('data', onClientData);
    client.on('end', onClientEnd);
    upstream.on('end', onUpstreamEnd);
    client.on('error', onClientError);
    upstream.on('error', onUpstreamError);
    client.on('close', onClose);
    upstream.on('close', onClose);
  }

  /**
   * Whether the real server has accepted (until then, the connect timeout applies, not the idle
   * one). Read from the socket rather than set by a 'connect' handler: one listener less per connection.
   */
  get connected(): boolean {
    return !this.upstream.connecting;
  }

  /**
   * A chunk from the real server, in the shared buffer: forwarded as a copy, since a write the
   * kernel cannot take at once keeps its buffer until it is flushed. Returning false stops reading
   * from the real server until the client has drained.
   */
  private onUpstreamRead(n: number, buf: Buffer): boolean {
    this.idle = 0;
    this.real.packetsOut++;
    this.real.bytesOut += n;
    const chunk = Buffer.allocUnsafe(n);
    buf.copy(chunk, 0, 0, n);
    if (this.client.write(chunk)) return true;
    this.hookDrain();
    return false;
  }

  /** Backpressure: the first time a write has to wait, start listening for the drains. */
  hookDrain(): void {
    if (this.drainHooked) return;
    this.drainHooked = true;
    this.upstream.on('drain', onUpstreamDrain);
    this.client.on('drain', onClientDrain);
  }

  /** The first FIN (either way) moves the connection from active to inactive, as IPVS does on leaving ESTABLISHED. */
  fin(): void {
    if (!this.halfClosed) {
      this.halfClosed = true;
      this.real.activeConns--;
      this.real.inactiveConns++;
    }
  }

  /** Ends both sides at once. */
  cut(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /** The real server refused or never answered: reset the client, as it would see had it connected directly. */
  refuse(): void {
    if (!this.client.destroyed) this.client.resetAndDestroy();
    this.upstream.destroy();
  }

  /** A timeout: idle connection cut, or connect attempt abandoned. */
  expire(): void {
    if (this.connected) this.cut();
    else this.refuse();
  }

  closedOne(hadError: boolean, which: net.Socket): void {
    // A socket closing cleanly has finished both directions, so its partner is finishing too;
    // one closing on an error takes its partner down.
    if (hadError) (which === this.client ? this.upstream : this.client).destroy();
    if (++this.closed < 2) return;
    if (this.halfClosed) this.real.inactiveConns--;
    else this.real.activeConns--;
    this.real.recordClosed();
    if (this.template !== null) this.table!.release(this.template, Date.now());
    this.onDone(this);
  }
}

function onClientData(this: RelaySocket, chunk: Buffer): void {
  const r = this[RELAY];
  r.idle = 0;
  r.real.packetsIn++;
  r.real.bytesIn += chunk.length;
  if (!r.upstream.write(chunk)) {
    r.hookDrain();
    this.pause();
  }
}

function onUpstreamDrain(this: RelaySocket): void {
  this[RELAY].client.resume();
}

function onClientDrain(this: RelaySocket): void {
  this[RELAY].upstream.resume();
}

function onClientEnd(this: RelaySocket): void {
  const r = this[RELAY];
  r.fin();
  finish(r.upstream);
}

function onUpstreamEnd(this: RelaySocket): void {
  const r = this[RELAY];
  r.fin();
  finish(r.client);
}

/**
 * Passes a FIN on. When the socket has already had its own FIN and has nothing left to write,
 * closing it sends the FIN just the same, without a shutdown() call and the stream's end sequence
 * first (the common case when the second side of a connection closes).
 */
function finish(sock: net.Socket): void {
  if (sock.readableEnded && sock.writableLength === 0) sock.destroy();
  else sock.end();
}

function onClientError(this: RelaySocket): void {
  this[RELAY].cut();
}

function onUpstreamError(this: RelaySocket, err: NodeJS.ErrnoException): void {
  // Refused or unreachable: the client sees a reset, as it would connecting directly.
  if (err.syscall === 'connect') this[RELAY].refuse();
  else this[RELAY].cut();
}

function onClose(this: RelaySocket, hadError: boolean): void {
  this[RELAY].closedOne(hadError, this);
}
