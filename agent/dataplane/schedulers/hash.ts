// Destination hashing (ip_vs_dh.c) and source hashing (ip_vs_sh.c): a 256-bucket table filled from
// the destination list, looked up by hash_32 of an address.
//   dh: buckets are dealt to the destinations in turn, one each (weights do not matter); the key is
//       the packet's destination address - the VIP here, so a service's traffic all goes to the
//       one real server its VIP hashes to.
//   sh: each destination takes `weight` consecutive buckets before the next one starts (a weight 0
//       server still takes one), so a server's share of clients follows its weight; the key is the
//       client's address.
// When the hashed server has weight 0 the kernel's default is to drop the connection ("no
// destination available"). The console's quiesce relies on "weight 0 = no new connections, they go
// elsewhere", so both use the kernel's sh-fallback probe (IP_VS_SVC_F_SCHED_SH_FALLBACK): walk
// the table from the original hash until an available server turns up. Clients of available
// servers never move.
import { hash32, type Destination, type SchedulerAlgorithm } from './types.ts';

const TAB_BITS = 8;
const TAB_SIZE = 1 << TAB_BITS;
const TAB_MASK = TAB_SIZE - 1;

function unavailable(d: Destination): boolean {
  return d.weight <= 0 || !d.available;
}

/** ip_vs_sh_get_fallback, with the key already hashed. */
function lookupWithFallback<D extends Destination>(buckets: (D | null)[], ihash: number): D | null {
  const first = buckets[ihash] ?? null;
  if (first === null) return null;
  if (!unavailable(first)) return first;
  for (let offset = 0; offset < TAB_SIZE; offset++) {
    const roffset = (offset + ihash) % TAB_SIZE;
    const d = buckets[(roffset + ihash) & TAB_MASK] ?? null;
    if (d === null) break;
    if (!unavailable(d)) return d;
  }
  return null;
}

export class DestinationHashing<D extends Destination> implements SchedulerAlgorithm<D> {
  readonly name = 'dh' as const;
  private buckets: (D | null)[] = new Array<D | null>(TAB_SIZE).fill(null);

  constructor(dests: readonly D[]) {
    this.destinationsChanged(dests);
  }

  destinationsChanged(dests: readonly D[]): void {
    const n = dests.length;
    for (let i = 0; i < TAB_SIZE; i++) this.buckets[i] = n === 0 ? null : dests[i % n]!;
  }

  schedule(_dests: readonly D[], _source: number, destination: number): D | null {
    return lookupWithFallback(this.buckets, hash32(destination, TAB_BITS));
  }

  /** The server a destination address hashes to before any fallback (for tests and diagnostics). */
  bucketFor(destination: number): D | null {
    return this.buckets[hash32(destination, TAB_BITS)] ?? null;
  }
}

export class SourceHashing<D extends Destination> implements SchedulerAlgorithm<D> {
  readonly name = 'sh' as const;
  private buckets: (D | null)[] = new Array<D | null>(TAB_SIZE).fill(null);

  constructor(dests: readonly D[]) {
    this.destinationsChanged(dests);
  }

  destinationsChanged(dests: readonly D[]): void {
    // ip_vs_sh_reassign: stay on a destination until it has `weight` buckets.
    let p = 0;
    let count = 0;
    for (let i = 0; i < TAB_SIZE; i++) {
      if (dests.length === 0) {
        this.buckets[i] = null;
        continue;
      }
      if (p >= dests.length) p = 0;
      const d = dests[p]!;
      this.buckets[i] = d;
      if (++count >= d.weight) {
        p++;
        count = 0;
      }
    }
  }

  schedule(_dests: readonly D[], source: number, _destination: number): D | null {
    // The service port is not part of the key (the sh-port flag is off), as in lvs.cf services.
    return lookupWithFallback(this.buckets, hash32(source, TAB_BITS));
  }

  /** The server a client address hashes to before any fallback. */
  bucketFor(source: number): D | null {
    return this.buckets[hash32(source, TAB_BITS)] ?? null;
  }
}
