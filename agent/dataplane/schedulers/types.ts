// What a scheduler sees of a real server, and what every scheduler offers. The shapes mirror the
// kernel's `struct ip_vs_dest` and `struct ip_vs_scheduler` so each algorithm can be written as a
// line-by-line reading of net/netfilter/ipvs/ip_vs_<name>.c.
import type { Scheduler } from '../../../lvs-cf/model.ts';

export interface Destination {
  /** 0 = quiesced: no new connections (every scheduler skips it). */
  weight: number;
  activeConns: number;
  inactiveConns: number;
  /**
   * false once the real server was removed from its service: the kernel's IP_VS_DEST_F_AVAILABLE.
   * lblc/lblcr caches and persistence templates may still point at it and must not use it.
   */
  available: boolean;
}

export interface SchedulerAlgorithm<D extends Destination> {
  readonly name: Scheduler;
  /**
   * The list of destinations or a weight changed (the kernel's add_dest/del_dest/upd_dest hooks):
   * wrr recomputes its gcd and maximum, dh/sh rebuild their bucket tables.
   */
  destinationsChanged(dests: readonly D[]): void;
  /**
   * Picks a destination for a new connection, or null when none can take it ("no destination
   * available"). `source` and `destination` are the packet's IPv4 addresses as unsigned 32-bit
   * integers (client address, and the VIP the client connected to).
   */
  schedule(dests: readonly D[], source: number, destination: number): D | null;
}

/**
 * The kernel's estimate of a destination's load (ip_vs_dest_conn_overhead in include/net/ip_vs.h):
 * an active connection costs 256 times an inactive one.
 */
export function connOverhead(d: Destination): number {
  return d.activeConns * 256 + d.inactiveConns;
}

/** The kernel's hash_32(val, bits) from include/linux/hash.h (GOLDEN_RATIO_32 multiply, top bits). */
export function hash32(value: number, bits: number): number {
  return Math.imul(value >>> 0, 0x61c88647) >>> (32 - bits);
}
