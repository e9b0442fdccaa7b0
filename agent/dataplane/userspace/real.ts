// One real server of one service, as the userspace dataplane counts it.
//
// Connection states, following what `ipvsadm -L` shows for IPVS:
//   active   - an open TCP connection in which neither side has sent FIN (IPVS: ESTABLISHED);
//   inactive - a TCP connection after the first FIN (IPVS: FIN_WAIT/CLOSE_WAIT), a TCP connection
//              closed less than `inactiveWindow` seconds ago (IPVS keeps it in TIME_WAIT, 2 minutes
//              by default), and every live UDP session (IPVS has no states for UDP and lists UDP
//              connections as InActConn).
// Closed connections are counted in a ring of one-second buckets, so expiring them costs one
// subtraction per real server per second instead of a timer per connection.
import type { ForwardMethod, RealSpec, RealStats } from '../types.ts';
import type { Destination } from '../schedulers/types.ts';

export class Real implements Destination {
  address: string;
  port: number;
  weight: number;
  method: ForwardMethod;
  available = true;
  activeConns = 0;
  inactiveConns = 0;
  /** Connections scheduled to this server since it was added. */
  connections = 0;
  /**
   * "Packets" are the chunks a socket delivers (one read of a TCP handle, or a datagram for UDP): a userspace
   * proxy never sees IP packets, and a chunk is at least one segment, so these undercount under load.
   */
  packetsIn = 0;
  packetsOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  private readonly closedRing: Uint32Array;
  private ringPos = 0;

  constructor(spec: RealSpec, inactiveWindowSeconds: number) {
    this.address = spec.address;
    this.port = spec.port;
    this.weight = spec.weight;
    this.method = spec.method;
    this.closedRing = new Uint32Array(Math.max(1, inactiveWindowSeconds));
  }

  /** A TCP connection closed: it stays inactive for the window. */
  recordClosed(): void {
    this.closedRing[this.ringPos]!++;
    this.inactiveConns++;
  }

  /** Called once a second: the oldest second of closed connections leaves the inactive count. */
  tick(): void {
    this.ringPos = (this.ringPos + 1) % this.closedRing.length;
    this.inactiveConns -= this.closedRing[this.ringPos]!;
    this.closedRing[this.ringPos] = 0;
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
