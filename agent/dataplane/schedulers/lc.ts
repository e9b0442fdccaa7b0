// Least-connection (ip_vs_lc.c) and weighted least-connection (ip_vs_wlc.c).
// lc: the smallest overhead (active*256 + inactive) wins; ties go to the first in list order.
// wlc: the smallest overhead/weight wins, compared without division as the kernel does
// (loh * dest.weight > doh * least.weight), so ties also go to the first in list order.
// Both skip weight 0 (quiesced) destinations.
import { connOverhead, type Destination, type SchedulerAlgorithm } from './types.ts';

export class LeastConnection<D extends Destination> implements SchedulerAlgorithm<D> {
  readonly name = 'lc' as const;
  destinationsChanged(): void {}

  schedule(dests: readonly D[], _source: number, _destination: number): D | null {
    let least: D | null = null;
    let loh = 0;
    for (const d of dests) {
      if (d.weight === 0) continue;
      const doh = connOverhead(d);
      if (least === null || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}

/**
 * The weighted least-connection pick shared by wlc, lblc and lblcr (__ip_vs_lblc_schedule and
 * __ip_vs_lblcr_schedule are the same loop): first destination with weight > 0, then any later one
 * whose overhead/weight is strictly smaller.
 */
export function weightedLeast<D extends Destination>(dests: readonly D[]): D | null {
  let least: D | null = null;
  let loh = 0;
  for (const d of dests) {
    if (least === null) {
      if (d.weight > 0) {
        least = d;
        loh = connOverhead(d);
      }
      continue;
    }
    const doh = connOverhead(d);
    if (loh * d.weight > doh * least.weight) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

export class WeightedLeastConnection<D extends Destination> implements SchedulerAlgorithm<D> {
  readonly name = 'wlc' as const;
  destinationsChanged(): void {}

  schedule(dests: readonly D[], _source: number, _destination: number): D | null {
    return weightedLeast(dests);
  }
}
