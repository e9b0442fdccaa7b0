// The TCP side of a userspace service: accepts clients on VIP:PORT and hands each one to a Relay
// (tcp-relay.ts) towards the real server its scheduler picks. Timeouts are checked by a
// once-a-second sweep over the open connections instead of socket.setTimeout(), whose timer is
// re-armed on every read and write.
import net from 'node:net';
import { bindProblem } from './bind-problem.ts';
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
  private server: net.Server | null = null;
  /** Open relays, so stop() can cut them. */
  private readonly relays = new Set<Relay>();

  constructor(
    private readonly service: Service,
    private readonly tuning: TcpTuning,
    private readonly onRuntimeError: (message: string) => void,
  ) {}

  get connections(): number {
    return this.relays.size;
  }

  /** Resolves once listening; rejects with the socket error (EADDRNOTAVAIL, EADDRINUSE, ...). */
  listen(): Promise<void> {
    const { address, port } = this.service.spec;
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (c) => this.accept(c));
      const fail = (err: Error) => {
        server.close();
        reject(err);
      };
      server.once('error', fail);
      server.listen({ host: address, port, backlog: 4096, exclusive: true }, () => {
        server.off('error', fail);
        server.on('error', (err: NodeJS.ErrnoException) =>
          this.onRuntimeError(bindProblem(err, 'tcp', address, port)),
        );
        this.server = server;
        resolve();
      });
    });
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

  /** Stops accepting; with `cut`, also ends every open connection at once. */
  close(cut: boolean): Promise<void> {
    if (cut) {
      for (const r of this.relays) {
        r.cut();
      }
    }
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      // server.close() waits for open connections; when they may stay, do not wait for them.
      if (!cut) resolve();
    });
  }

  private accept(client: net.Socket): void {
    const svc = this.service;
    const a = svc.assign(svc.needsSource ? ipv4ToInt(client.remoteAddress) : 0, Date.now());
    if (a === null) {
      // No server can take it (none left, or all quiesced): refuse at once rather than let the
      // client wait for a timeout.
      client.resetAndDestroy();
      return;
    }
    this.relays.add(new Relay(client, a.real, a.template, a.table, this.forget));
  }

  private readonly forget = (r: Relay): void => {
    this.relays.delete(r);
  };
}
