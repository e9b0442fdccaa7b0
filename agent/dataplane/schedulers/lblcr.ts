// Locality-based least-connection with replication, as ip_vs_lblcr.c. Each destination address maps
// to a *set* of real servers. A new connection goes to the least loaded member of the set
// (overhead/weight); if that one is overloaded (see isOverloaded) the weighted least-connection
// server of the whole service joins the set and takes it. When the set has more than one member and
// has not changed for `expiration` (lblcr_expiration, 24 h by default), its most loaded member
// leaves. Members are kept newest first, as the kernel's list_add does.
// As with lblc, every connection here is addressed to the VIP, so there is one set per service.
import { isOverloaded, DEFAULT_LBLC_EXPIRATION_MS } from './lblc.ts';
import { connOverhead, type Destination, type SchedulerAlgorithm } from './types.ts';
import { weightedLeast } from './lc.ts';

interface DestSet<D> {
  members: D[];
  lastMod: number;
  lastUse: number;
}

/** ip_vs_dest_set_min: weighted least-connection among the available members. */
function setMin<D extends Destination>(members: readonly D[]): D | null {
  let least: D | null = null;
  let loh = 0;
  for (const d of members) {
    if (least === null) {
      if (d.weight > 0 && d.available) {
        least = d;
        loh = connOverhead(d);
      }
      continue;
    }
    const doh = connOverhead(d);
    if (loh * d.weight > doh * least.weight && d.available) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

/** ip_vs_dest_set_max: weighted most-connection among members with weight > 0. */
function setMax<D extends Destination>(members: readonly D[]): D | null {
  let most: D | null = null;
  let moh = 0;
  for (const d of members) {
    if (most === null) {
      if (d.weight > 0) {
        most = d;
        moh = connOverhead(d);
      }
      continue;
    }
    const doh = connOverhead(d);
    if (moh * d.weight < doh * most.weight && d.weight > 0) {
      most = d;
      moh = doh;
    }
  }
  return most;
}

export class LocalityBasedLeastConnectionReplicated<D extends Destination>
  implements SchedulerAlgorithm<D>
{
  readonly name = 'lblcr' as const;
  private readonly table = new Map<number, DestSet<D>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly expiration = DEFAULT_LBLC_EXPIRATION_MS,
  ) {}

  destinationsChanged(dests: readonly D[]): void {
    for (const [addr, set] of this.table) {
      set.members = set.members.filter((d) => dests.includes(d));
      if (set.members.length === 0) this.table.delete(addr);
    }
  }

  private insert(set: DestSet<D>, dest: D, now: number): void {
    if (set.members.includes(dest)) return;
    set.members.unshift(dest);
    set.lastMod = now;
  }

  schedule(dests: readonly D[], _source: number, destination: number): D | null {
    const now = this.now();
    let set = this.table.get(destination);
    if (set !== undefined && now - set.lastUse > this.expiration) {
      this.table.delete(destination);
      set = undefined;
    }
    if (set !== undefined) {
      set.lastUse = now;
      let dest = setMin(set.members);
      if (set.members.length > 1 && now - set.lastMod > this.expiration) {
        const m = setMax(set.members);
        if (m !== null) {
          set.members.splice(set.members.indexOf(m), 1);
          set.lastMod = now;
        }
      }
      if (dest !== null && !isOverloaded(dest, dests)) return dest;
      dest = weightedLeast(dests);
      if (dest === null) return null;
      this.insert(set, dest, now);
      return dest;
    }
    const dest = weightedLeast(dests);
    if (dest === null) return null;
    this.table.set(destination, { members: [dest], lastMod: now, lastUse: now });
    return dest;
  }
}
