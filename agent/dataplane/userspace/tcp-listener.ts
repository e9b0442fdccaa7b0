// The TCP side of a userspace service: a listening socket on VIP:PORT in the native relay
// (native/relay*.c through native-relay.ts), which accepts each client, asks this listener's
// service which real server takes it, and relays the bytes. Timeouts are applied by a
// once-a-second sweep over the open connections instead of a timer per connection.
import { parseIPv4 } from '../../../common/ipv4.ts';
import { errnoError, errorMessage, errorName } from '../../net/raw-tcp.ts';
import { relay, routeListener, type RelayListener } from './native-relay.ts';
import type { Assignment, Service } from './service.ts';

/** The assignment of every open connection of every listener, by the relay's connection id. */
const assignments: (Assignment | undefined)[] = [];

export interface TcpTuning {
  /** Idle time after which a connection is cut (IPVS's established timeout is 15 minutes). */
  idleTimeoutMs: number;
  /** How long to wait for the real server to accept. */
  connectTimeoutMs: number;
}

export class TcpListener implements RelayListener {
  /** The relay's id for this listening socket; -1 before listen(). */
  private id = -1;
  private listening = false;

  /** `onProblem` gets a sentence for the console while accepting fails, and null once it works again. */
  constructor(
    private readonly service: Service,
    private readonly tuning: TcpTuning,
    private readonly onProblem: (message: string | null) => void,
  ) {}

  /** Open connections, counted until both sides are closed (also after close(false)). */
  get connections(): number {
    return this.id < 0 ? 0 : relay().addon.connections(this.id);
  }

  /** Resolves once listening; rejects with the socket error (EADDRNOTAVAIL, EADDRINUSE, ...). */
  listen(): Promise<void> {
    const { address, port } = this.service.spec;
    const id = relay().addon.listen(parseIPv4(address) ?? 0, port, 4096);
    // 'listen' for bind errors too, as net reports them.
    if (id < 0) return Promise.reject(errnoError(id, 'listen', address, port));
    this.id = id;
    this.listening = true;
    routeListener(id, this);
    return Promise.resolve();
  }

  /** Once a second: cut connections idle too long and connects that take too long. */
  sweep(_now: number): void {
    if (this.id < 0) return;
    const idleLimit = Math.ceil(this.tuning.idleTimeoutMs / 1000);
    const connectLimit = Math.ceil(this.tuning.connectTimeoutMs / 1000);
    relay().addon.sweep(this.id, idleLimit, connectLimit);
  }

  /**
   * Stops accepting; with `cut`, also ends every open connection at once. Without, the open ones
   * finish on their own and the sweep keeps timing them out (the dataplane keeps sweeping a
   * deleted service's listener until its connections are gone).
   */
  close(cut: boolean): Promise<void> {
    if (this.id < 0) return Promise.resolve();
    if (this.listening) {
      this.listening = false;
      routeListener(this.id, undefined);
    }
    relay().addon.closeListener(this.id, cut);
    return Promise.resolve();
  }

  accept(peer: number, conn: number): number {
    // No server can take it (none left, or all quiesced): the relay resets the client at once
    // rather than let it wait for a timeout.
    const now = Date.now();
    const a = this.service.assign(peer, now);
    if (a === null) return -1;
    if (!a.real.hasAddress) {
      // A real server named by a host name that has not resolved yet: nowhere to connect.
      if (a.template !== null) a.table!.release(a.template, now);
      return -1;
    }
    assignments[conn] = a;
    return a.real.slot;
  }

  closed(conn: number): void {
    const a = assignments[conn]!;
    assignments[conn] = undefined;
    a.real.recordClosed();
    if (a.template !== null) a.table!.release(a.template, Date.now());
  }

  acceptProblem(errno: number): void {
    const { address, port } = this.service.spec;
    // EMFILE and the like: the client waits in the backlog and the relay tries again a second later.
    if (errno === 0) this.onProblem(null);
    else this.onProblem(`cannot accept TCP clients on ${address}:${port}: ${errorName(errno)} (${errorMessage(errno)})`);
  }
}
