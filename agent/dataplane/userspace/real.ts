// One real server of one service, as the userspace dataplane counts it.
//
// Connection states, following what `ipvsadm -L` shows for IPVS:
//   active   - an open TCP connection in which neither side has sent FIN (IPVS: ESTABLISHED);
//   inactive - a TCP connection after the first FIN (IPVS: FIN_WAIT/CLOSE_WAIT), a TCP connection
//              closed less than `inactiveWindow` seconds ago (IPVS keeps it in TIME_WAIT, 2 minutes
//              by default), and every live UDP session (IPVS has no states for UDP and lists UDP
//              connections as InActConn).
// Closed connections are counted in a ring of one-second buckets, so expiring them costs one
// subtraction per real server per second instead of a timer per connection. The ring is made at
// the first closed connection: a table of 200,000 real servers does not hold 200,000 rings for
// servers that never carried a connection.
//
// The connection and traffic counters live in this server's slot of the counters shared with the
// native TCP relay (native-relay.ts), which counts TCP connections and bytes without calling into
// JavaScript; the UDP listener and the schedulers use the same fields through the accessors.
import { lookup } from 'node:dns';
import type { ForwardMethod, RealSpec, RealStats } from '../types.ts';
import type { Destination } from '../schedulers/types.ts';
import { parseIPv4 } from '../../../common/ipv4.ts';
import { Counter } from '../../native-contract.ts';
import { allocateSlot } from './native-relay.ts';

/** How often a real server named by a host name is looked up again: after a failure, and after a success. */
const RESOLVE_RETRY_SECONDS = 10;
const RESOLVE_REFRESH_SECONDS = 60;

export class Real implements Destination {
  address: string;
  port: number;
  weight: number;
  method: ForwardMethod;
  available = true;
  /** Connections scheduled to this server since it was added. */
  connections = 0;
  /** This server's slot in the counters shared with the native relay, and where its fields start. */
  readonly slot: number;
  readonly base: number;
  readonly counters: Float64Array;
  /** Closed connections per second of the inactive window; null until the first one closes. */
  private closedRing: Uint32Array | null = null;
  private readonly windowSeconds: number;
  private ringPos = 0;
  /** Seconds until a host name is looked up again (0: an address, or a lookup in progress). */
  private resolveIn = 0;

  constructor(spec: RealSpec, inactiveWindowSeconds: number) {
    this.address = spec.address;
    this.port = spec.port;
    this.weight = spec.weight;
    this.method = spec.method;
    this.windowSeconds = Math.max(1, inactiveWindowSeconds);
    const { slot, base, counters } = allocateSlot(this);
    this.slot = slot;
    this.base = base;
    this.counters = counters;
    counters[this.base + Counter.port] = spec.port;
    const ip = parseIPv4(spec.address);
    if (ip !== null) counters[this.base + Counter.ip] = ip;
    else this.resolve();
  }

  /**
   * The relay connects to addresses, not names: a host name is looked up now, again every minute
   * (so a changed DNS record is followed), and every 10 s while it does not resolve. A failed
   * lookup keeps the last address.
   */
  private resolve(): void {
    lookup(this.address, { family: 4 }, (err, address) => {
      const ip = err ? null : parseIPv4(address);
      if (ip === null) {
        this.resolveIn = RESOLVE_RETRY_SECONDS;
      } else {
        this.counters[this.base + Counter.ip] = ip;
        this.resolveIn = RESOLVE_REFRESH_SECONDS;
      }
    });
  }

  /** Whether the relay has an address to connect to: false while a host name has not resolved. */
  get hasAddress(): boolean {
    return this.counters[this.base + Counter.ip] !== 0;
  }

  get activeConns(): number { return this.counters[this.base + Counter.active]!; }
  set activeConns(v: number) { this.counters[this.base + Counter.active] = v; }
  get inactiveConns(): number { return this.counters[this.base + Counter.inactive]!; }
  set inactiveConns(v: number) { this.counters[this.base + Counter.inactive] = v; }
  /**
   * "Packets" are the chunks a socket delivers (one read of a TCP socket, or a datagram for UDP): a userspace
   * proxy never sees IP packets, and a chunk is at least one segment, so these undercount under load.
   */
  get packetsIn(): number { return this.counters[this.base + Counter.packetsIn]!; }
  set packetsIn(v: number) { this.counters[this.base + Counter.packetsIn] = v; }
  get packetsOut(): number { return this.counters[this.base + Counter.packetsOut]!; }
  set packetsOut(v: number) { this.counters[this.base + Counter.packetsOut] = v; }
  get bytesIn(): number { return this.counters[this.base + Counter.bytesIn]!; }
  set bytesIn(v: number) { this.counters[this.base + Counter.bytesIn] = v; }
  get bytesOut(): number { return this.counters[this.base + Counter.bytesOut]!; }
  set bytesOut(v: number) { this.counters[this.base + Counter.bytesOut] = v; }

  /** A TCP connection closed: it stays inactive for the window. */
  recordClosed(): void {
    this.closedRing ??= new Uint32Array(this.windowSeconds);
    this.closedRing[this.ringPos]!++;
    this.inactiveConns++;
  }

  /** Called once a second: the oldest second of closed connections leaves the inactive count. */
  tick(): void {
    if (this.resolveIn > 0 && --this.resolveIn === 0) this.resolve();
    const ring = this.closedRing;
    if (ring === null) return;
    this.ringPos = (this.ringPos + 1) % ring.length;
    this.inactiveConns -= ring[this.ringPos]!;
    ring[this.ringPos] = 0;
  }

  stats(): RealStats {
    return {
      address: this.address,
      port: this.port,
      method: this.method,
      weight: this.weight,
      activeConns: this.activeConns,
      inactiveConns: this.inactiveConns,
      connections: this.connections,
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
    };
  }
}
