// One place that turns an lvs.cf scheduler name into its algorithm.
import type { Scheduler } from '../../../lvs-cf/model.ts';
import { DestinationHashing, SourceHashing } from './hash.ts';
import { LeastConnection, WeightedLeastConnection } from './lc.ts';
import { LocalityBasedLeastConnection } from './lblc.ts';
import { LocalityBasedLeastConnectionReplicated } from './lblcr.ts';
import { RoundRobin } from './rr.ts';
import type { Destination, SchedulerAlgorithm } from './types.ts';
import { WeightedRoundRobin } from './wrr.ts';

export type { Destination, SchedulerAlgorithm } from './types.ts';

export interface SchedulerOptions {
  /** Clock for the lblc/lblcr tables (tests pass a fake one). */
  now?: () => number;
  /** lblc_expiration / lblcr_expiration in milliseconds. */
  localityExpiration?: number;
}

export function createScheduler<D extends Destination>(
  name: Scheduler,
  dests: readonly D[],
  opts: SchedulerOptions = {},
): SchedulerAlgorithm<D> {
  switch (name) {
    case 'rr':
      return new RoundRobin<D>();
    case 'wrr':
      return new WeightedRoundRobin<D>(dests);
    case 'lc':
      return new LeastConnection<D>();
    case 'wlc':
      return new WeightedLeastConnection<D>();
    case 'lblc':
      return new LocalityBasedLeastConnection<D>(opts.now, opts.localityExpiration);
    case 'lblcr':
      return new LocalityBasedLeastConnectionReplicated<D>(opts.now, opts.localityExpiration);
    case 'dh':
      return new DestinationHashing<D>(dests);
    case 'sh':
      return new SourceHashing<D>(dests);
  }
}
