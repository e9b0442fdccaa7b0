// The heartbeat channel: UDP sockets bound to this router's own address(es) on heartbeat_port,
// sending to the partner's same port (pulse's layout), receiving only what the partner could have
// sent. Every refused datagram is counted by reason so the console can show an attack or a
// misconfiguration instead of silently ignoring it.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { decodeHeartbeat, encodeHeartbeat, type HaNode, type Heartbeat, type WireState } from './heartbeat-packet.ts';
import { ReplayGuard } from './replay.ts';
import type { Channel } from './peers.ts';

export const DROP_REASONS = ['wrong-sender', 'malformed', 'unauthenticated', 'bad-tag', 'replay', 'wrong-node'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface HeartbeatLinkOptions {
  node: HaNode;
  channels: Channel[];
  port: number;
  key: Buffer | null;
  onHeartbeat: (hb: Heartbeat, from: string) => void;
  log: (msg: string) => void;
}

interface Bound {
  channel: Channel;
  socket: Socket;
  seq: bigint;
}

export class HeartbeatLink {
  readonly bootId = randomBytes(8).toString('hex');
  readonly dropped: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  private readonly guards = new Map<string, ReplayGuard>();
  private readonly partners: Set<string>;
  private bound: Bound[] = [];

  private constructor(private readonly opts: HeartbeatLinkOptions) {
    this.partners = new Set(opts.channels.map((c) => c.partner));
  }

  /** Binds one socket per channel; rejects (and closes what it opened) when an address is not ours or the port is taken. */
  static async open(opts: HeartbeatLinkOptions): Promise<HeartbeatLink> {
    const link = new HeartbeatLink(opts);
    try {
      for (const channel of opts.channels) link.bound.push({ channel, socket: await link.bind(channel), seq: 0n });
    } catch (err) {
      link.close();
      throw err;
    }
    return link;
  }

  /** One heartbeat on every channel. Send errors (no route while a link is down) are logged, not thrown. */
  send(state: WireState, serial: number | null, keepaliveMs: number): Promise<void> {
    return Promise.all(
      this.bound.map((b) => {
        b.seq += 1n;
        const packet = encodeHeartbeat(
          { node: this.opts.node, state, serial, bootId: this.bootId, seq: b.seq, timeMs: Date.now(), keepaliveMs },
          this.opts.key,
        );
        return new Promise<void>((resolve) =>
          b.socket.send(packet, this.opts.port, b.channel.partner, (err) => {
            if (err) this.opts.log(`heartbeat to ${b.channel.partner}:${this.opts.port} (${b.channel.name}) failed: ${err.message}`);
            resolve();
          }),
        );
      }),
    ).then(() => undefined);
  }

  close(): void {
    for (const b of this.bound) b.socket.close();
    this.bound = [];
  }

  private bind(channel: Channel): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: 'udp4' });
      socket.once('error', reject);
      socket.on('message', (msg, rinfo) => this.receive(msg, rinfo.address));
      socket.bind({ address: channel.local, port: this.opts.port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.opts.log(`heartbeat socket ${channel.local}:${this.opts.port}: ${err.message}`));
        resolve(socket);
      });
    });
  }

  private receive(msg: Buffer, from: string): void {
    if (!this.partners.has(from)) return this.drop('wrong-sender', from, 'not the partner');
    const r = decodeHeartbeat(msg, this.opts.key);
    if (!r.ok) return this.drop(r.reason, from, r.detail);
    if (r.heartbeat.node === this.opts.node) {
      return this.drop('wrong-node', from, `it says it is the ${r.heartbeat.node} too: check primary/backup in both lvs.cf files`);
    }
    let guard = this.guards.get(from);
    if (!guard) this.guards.set(from, (guard = new ReplayGuard()));
    const v = guard.check(r.heartbeat);
    if (!v.ok) return this.drop('replay', from, v.detail);
    if (v.newBoot) this.opts.log(`partner ${from} restarted (new boot id ${r.heartbeat.bootId})`);
    this.opts.onHeartbeat(r.heartbeat, from);
  }

  private drop(reason: DropReason, from: string, detail: string): void {
    const n = ++this.dropped[reason];
    // Log the first of each kind and then every power of ten: a flood must not flood the log.
    if (Number.isInteger(Math.log10(n))) this.opts.log(`heartbeat from ${from} dropped (${reason}, ${n} so far): ${detail}`);
  }
}
