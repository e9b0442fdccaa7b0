// The TCP side of a userspace service: accepts clients on VIP:PORT on a raw libuv handle
// (agent/net/raw-tcp.ts) and hands each one to a Relay (tcp-relay.ts) towards the real server its
// scheduler picks. Timeouts are checked by a once-a-second sweep over the open connections instead
// of a timer per connection, which would be re-armed on every read and write.
import { createServer, errnoError, errorMessage, errorName, listen, peerAddress, type TcpHandle } from '../../net/raw-tcp.ts';
import { ipv4ToInt } from './ipv4.ts';
import type { Service } from './service.ts';
import { Relay } from './tcp-relay.ts';

export interface TcpTuning {
  /** Idle time after which a connection is cut (IPVS's established timeout is 15 minutes). */
  idleTimeoutMs: number;
  /** How long to wait for the real server to accept. */
  connectTimeoutMs: number;
}

export class TcpListener {
  private server: TcpHandle | null = null;
  /** Open relays, so the sweep can time them out and close(true) can cut them. */
  private readonly relays = new Set<Relay>();
  /** The last accept failed: the problem shown beside the service is cleared by the next success. */
  private acceptFailing = false;

  /** `onProblem` gets a sentence for the console while accepting fails, and null once it works again. */
  constructor(
    private readonly service: Service,
    private readonly tuning: TcpTuning,
    private readonly onProblem: (message: string | null) => void,
  ) {}

  get connections(): number {
    return this.relays.size;
  }

  /** Resolves once listening; rejects with the socket error (EADDRNOTAVAIL, EADDRINUSE, ...). */
  listen(): Promise<void> {
    const { address, port } = this.service.spec;
    const server = createServer();
    const err = listen(server, address, port, 4096);
    if (err !== 0) {
      server.close();
      // 'listen' for bind errors too, as net reports them.
      return Promise.reject(errnoError(err, 'listen', address, port));
    }
    server.owner = this;
    server.onconnection = onConnection;
    this.server = server;
    return Promise.resolve();
  }

  /** Once a second: cut connections idle too long and connects that take too long. */
  sweep(_now: number): void {
    const idleLimit = Math.ceil(this.tuning.idleTimeoutMs / 1000);
    const connectLimit = Math.ceil(this.tuning.connectTimeoutMs / 1000);
    for (const r of this.relays) {
      r.idle++;
      if (r.connected ? r.idle > idleLimit : r.idle > connectLimit) r.expire();
    }
  }

  /**
   * Stops accepting; with `cut`, also ends every open connection at once. Without, the open ones
   * finish on their own and the sweep keeps timing them out (the dataplane keeps sweeping a
   * deleted service's listener until its connections are gone).
   */
  close(cut: boolean): Promise<void> {
    if (cut) {
      for (const r of this.relays) r.cut();
    }
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(resolve));
  }

  accept(status: number, client: TcpHandle | undefined): void {
    const { address, port } = this.service.spec;
    if (status !== 0 || client === undefined) {
      // EMFILE and the like: this client is lost, the listener stays.
      this.acceptFailing = true;
      this.onProblem(`cannot accept TCP clients on ${address}:${port}: ${errorName(status)} (${errorMessage(status)})`);
      return;
    }
    if (this.acceptFailing) {
      this.acceptFailing = false;
      this.onProblem(null);
    }
    const svc = this.service;
    const a = svc.assign(svc.needsSource ? ipv4ToInt(peerAddress(client)) : 0, Date.now());
    if (a === null) {
      // No server can take it (none left, or all quiesced): refuse at once rather than let the
      // client wait for a timeout.
      client.reset();
      return;
    }
    client.setNoDelay(true);
    this.relays.add(new Relay(client, a.real, a.template, a.table, this.forget));
  }

  private readonly forget = (r: Relay): void => {
    this.relays.delete(r);
  };
}

function onConnection(this: TcpHandle, status: number, client?: TcpHandle): void {
  (this.owner as TcpListener).accept(status, client);
}
