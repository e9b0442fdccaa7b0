// Round robin, as ip_vs_rr.c: walk the list from the last pick, take the next destination whose
// weight is not 0. The cursor survives list changes (the kernel resets it to the list head only
// when the destination it points at is removed; an index is the nearest equivalent here).
import type { Destination, SchedulerAlgorithm } from './types.ts';

export class RoundRobin<D extends Destination> implements SchedulerAlgorithm<D> {
  readonly name = 'rr' as const;
  /** Index of the last destination picked; -1 = the list head (nothing picked yet). */
  private last = -1;
  private lastDest: D | null = null;

  destinationsChanged(dests: readonly D[]): void {
    // Keep following the same destination if it is still there, otherwise restart from the head.
    const at = this.lastDest === null ? -1 : dests.indexOf(this.lastDest);
    this.last = at;
    if (at === -1) this.lastDest = null;
  }

  schedule(dests: readonly D[], _source: number, _destination: number): D | null {
    const n = dests.length;
    for (let step = 1; step <= n; step++) {
      const i = (this.last + step) % n;
      const d = dests[i]!;
      if (d.weight > 0) {
        this.last = i;
        this.lastDest = d;
        return d;
      }
    }
    return null;
  }
}
