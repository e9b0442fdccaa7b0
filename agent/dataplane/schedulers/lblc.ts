// Locality-based least-connection, as ip_vs_lblc.c. A table maps a *destination address* to the
// real server that last served it; a new connection reuses that server unless it is gone, quiesced
// (weight 0) or overloaded, in which case weighted least-connection picks a new one and the table
// entry is replaced. Entries unused for `expiration` (the kernel's lblc_expiration sysctl, 24 h by
// default) are forgotten.
//
// The algorithm was made for cache clusters, where every client request names a different origin
// address. On a load balancer the destination of every connection is the VIP, so one entry per
// service exists and lblc degenerates to "stick to one server until it is overloaded": exactly what
// the kernel does for the same traffic.
import { weightedLeast } from './lc.ts';
import type { Destination, SchedulerAlgorithm } from './types.ts';

export const DEFAULT_LBLC_EXPIRATION_MS = 24 * 60 * 60 * 1000;

/**
 * The kernel's is_overloaded() for lblc/lblcr: more active connections than its weight, while some
 * destination is less than half full (active * 2 < weight).
 */
export function isOverloaded<D extends Destination>(dest: D, dests: readonly D[]): boolean {
  if (dest.activeConns > dest.weight) {
    for (const d of dests) if (d.activeConns * 2 < d.weight) return true;
  }
  return false;
}

interface Entry<D> {
  dest: D;
  lastUse: number;
}

export class LocalityBasedLeastConnection<D extends Destination> implements SchedulerAlgorithm<D> {
  readonly name = 'lblc' as const;
  private readonly table = new Map<number, Entry<D>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly expiration = DEFAULT_LBLC_EXPIRATION_MS,
  ) {}

  destinationsChanged(dests: readonly D[]): void {
    // Entries of removed servers are useless (the kernel skips them as !AVAILABLE); drop them now
    // rather than keeping a reference until they expire.
    for (const [addr, e] of this.table) if (!dests.includes(e.dest)) this.table.delete(addr);
  }

  schedule(dests: readonly D[], _source: number, destination: number): D | null {
    const now = this.now();
    const en = this.table.get(destination);
    if (en !== undefined) {
      if (now - en.lastUse > this.expiration) {
        this.table.delete(destination);
      } else {
        en.lastUse = now;
        const d = en.dest;
        if (d.available && d.weight > 0 && !isOverloaded(d, dests)) return d;
      }
    }
    const dest = weightedLeast(dests);
    if (dest === null) return null;
    const existing = this.table.get(destination);
    if (existing !== undefined) existing.dest = dest;
    else this.table.set(destination, { dest, lastUse: now });
    return dest;
  }
}
