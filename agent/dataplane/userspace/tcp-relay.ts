// One client connection spliced to one real server. The event handlers are module-level functions
// shared by every connection (the relay hangs off each socket under a symbol), so accepting a
// connection allocates two sockets and one Relay, not a dozen closures; per chunk nothing is
// allocated. Counting follows real.ts: active until the first FIN either way, then inactive until
// both sockets are closed, then recorded as closed (TIME_WAIT-like).
import net from 'node:net';
import type { PersistenceTable, Template } from './persistence.ts';
import type { Real } from './real.ts';

const RELAY = Symbol('relay');
type RelaySocket = net.Socket & { [RELAY]: Relay };

export class Relay {
  /** Seconds since the last byte either way (reset per chunk, counted by the listener's sweep). */
  idle = 0;
  connected = false;
  private halfClosed = false;
  private closed = 0;
  readonly upstream: net.Socket;

  constructor(
    readonly client: net.Socket,
    readonly real: Real,
    private readonly template: Template | null,
    private readonly table: PersistenceTable | null,
    private readonly onDone: (r: Relay) => void,
  ) {
    real.activeConns++;
    const upstream = net.connect({ host: real.address, port: real.port, noDelay: true, allowHalfOpen: true });
    this.upstream = upstream;
    (client as RelaySocket)[RELAY] = this;
    (upstream as RelaySocket)[RELAY] = this;
    upstream.on('connect', onUpstreamConnect);
    client.on('data', onClientData);
    upstream.on('data', onUpstreamData);
    upstream.on('drain', onUpstreamDrain);
    client.on('drain', onClientDrain);
    client.on('end', onClientEnd);
    upstream.on('end', onUpstreamEnd);
    client.on('error', onClientError);
    upstream.on('error', onUpstreamError);
    client.on('close', onClose);
    upstream.on('close', onClose);
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

function onUpstreamConnect(this: RelaySocket): void {
  const r = this[RELAY];
  r.connected = true;
  r.idle = 0;
}

function onClientData(this: RelaySocket, chunk: Buffer): void {
  const r = this[RELAY];
  r.idle = 0;
  r.real.packetsIn++;
  r.real.bytesIn += chunk.length;
  if (!r.upstream.write(chunk)) this.pause();
}

function onUpstreamData(this: RelaySocket, chunk: Buffer): void {
  const r = this[RELAY];
  r.idle = 0;
  r.real.packetsOut++;
  r.real.bytesOut += chunk.length;
  if (!r.client.write(chunk)) this.pause();
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
  r.upstream.end();
}

function onUpstreamEnd(this: RelaySocket): void {
  const r = this[RELAY];
  r.fin();
  r.client.end();
}

function onClientError(this: RelaySocket): void {
  this[RELAY].cut();
}

function onUpstreamError(this: RelaySocket): void {
  this[RELAY].expire();
}

function onClose(this: RelaySocket, hadError: boolean): void {
  this[RELAY].closedOne(hadError, this);
}
