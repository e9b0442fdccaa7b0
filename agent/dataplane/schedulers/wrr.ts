// Weighted round robin, as ip_vs_wrr.c: a cursor walks the list; every time it passes the list head
// the current weight `cw` drops by the gcd of the weights (`di`), wrapping to the maximum weight
// `mw`; a destination is picked when its weight is >= cw. For weights 4,3,2 one cycle is
// A A B A B C A B C. mw is reduced by (di - 1) so the last pass is always cw = 1 (kernel change
// "ipvs: fix WRR scheduling when weights are reduced below di").
// Overload flags (upper thresholds) do not exist here, so the kernel's "all overloaded" exits
// reduce to: no destination with weight > 0.
import type { Destination, SchedulerAlgorithm } from './types.ts';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class WeightedRoundRobin<D extends Destination> implements SchedulerAlgorithm<D> {
  readonly name = 'wrr' as const;
  /** Cursor: index of the current destination, -1 = the list head. */
  private cl = -1;
  private cw = 0;
  private mw = 0;
  private di = 1;

  constructor(dests: readonly D[]) {
    this.recompute(dests);
    this.cw = this.mw;
  }

  private recompute(dests: readonly D[]): void {
    let g = 0;
    let max = 0;
    for (const d of dests) {
      if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
      if (d.weight > max) max = d.weight;
    }
    this.di = g > 0 ? g : 1;
    this.mw = max - (this.di - 1);
  }

  destinationsChanged(dests: readonly D[]): void {
    // ip_vs_wrr_dest_changed: back to the head, keep cw if it still makes sense.
    this.cl = -1;
    this.recompute(dests);
    if (this.cw > this.mw || this.cw === 0) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }

  schedule(dests: readonly D[], _source: number, _destination: number): D | null {
    const n = dests.length;
    if (this.mw <= 0 || n === 0) return null;
    // Without overload flags a pick is certain within mw/di passes over the list; the bound only
    // guards against a weight lowered to 0 without destinationsChanged() being called.
    const limit = (n + 1) * (Math.ceil(this.mw / this.di) + 1);
    let i = this.cl;
    for (let steps = 0; steps < limit; steps++) {
      i++;
      if (i >= n) {
        i = -1;
        this.cw -= this.di;
        if (this.cw <= 0) this.cw = this.mw;
        continue;
      }
      const d = dests[i]!;
      if (d.weight > 0 && d.weight >= this.cw) {
        this.cl = i;
        return d;
      }
    }
    this.cl = i;
    return null;
  }
}
