// The UDP side of a userspace service. Each client address:port gets a session: an upstream socket
// to the real server chosen for its first datagram, through which its datagrams go and from which
// replies come back to it (sent from the VIP socket, so the client sees the VIP answer). A session
// ends after `sessionTimeoutMs` without traffic (IPVS's UDP timeout, 5 minutes by default).
import dgram from 'node:dgram';
import { bindProblem } from './bind-problem.ts';
import { parseIPv4 } from '../../../common/ipv4.ts';
import type { Assignment, Service } from './service.ts';

export interface UdpTuning {
  sessionTimeoutMs: number;
}

interface Session {
  key: string;
  upstream: dgram.Socket;
  a: Assignment;
  lastSeen: number;
}

export class UdpListener {
  private socket: dgram.Socket | null = null;
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly service: Service,
    private readonly tuning: UdpTuning,
    private readonly onRuntimeError: (message: string) => void,
  ) {}

  get connections(): number {
    return this.sessions.size;
  }

  listen(): Promise<void> {
    const { address, port } = this.service.spec;
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type: 'udp4' });
      const fail = (err: Error) => {
        socket.close();
        reject(err);
      };
      socket.once('error', fail);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', fail);
        socket.on('error', (err: NodeJS.ErrnoException) =>
          this.onRuntimeError(bindProblem(err, 'udp', address, port)),
        );
        socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
        this.socket = socket;
        resolve();
      });
    });
  }

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    const now = Date.now();
    let s = this.sessions.get(key);
    if (s === undefined) {
      const a = this.service.assign(parseIPv4(rinfo.address) ?? 0, now);
      if (a === null) return; // nobody to send it to: dropped, as IPVS drops it
      s = this.open(key, a, rinfo.address, rinfo.port);
    }
    s.lastSeen = now;
    const real = s.a.real;
    real.packetsIn++;
    real.bytesIn += msg.length;
    s.upstream.send(msg, real.port, real.address);
  }

  private open(key: string, a: Assignment, clientAddress: string, clientPort: number): Session {
    const upstream = dgram.createSocket({ type: 'udp4' });
    const session: Session = { key, upstream, a, lastSeen: 0 };
    const real = a.real;
    real.inactiveConns++;
    upstream.on('message', (reply, from) => {
      if (from.port !== real.port) return; // only the chosen server may answer through this session
      session.lastSeen = Date.now();
      real.packetsOut++;
      real.bytesOut += reply.length;
      this.socket?.send(reply, clientPort, clientAddress);
    });
    upstream.on('error', () => this.end(session));
    this.sessions.set(key, session);
    return session;
  }

  private end(s: Session): void {
    if (this.sessions.get(s.key) !== s) return;
    this.sessions.delete(s.key);
    s.a.real.inactiveConns--;
    if (s.a.template !== null) s.a.table!.release(s.a.template, Date.now());
    s.upstream.close();
  }

  /** Once a second: end the sessions idle for longer than the UDP timeout. */
  sweep(now: number): void {
    for (const s of this.sessions.values()) {
      if (now - s.lastSeen >= this.tuning.sessionTimeoutMs) this.end(s);
    }
  }

  /** UDP has no graceful end: closing the service ends every session. */
  close(_cut: boolean): Promise<void> {
    for (const s of [...this.sessions.values()]) this.end(s);
    const socket = this.socket;
    this.socket = null;
    if (socket === null) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
