// The reconciler: which dataplane operations turn a table into the one the configuration and the
// checkers' verdicts call for. Pure (the caller passes the time and both tables), like director.ts
// whose desired() and diff() it composes; applier.ts carries the operations out.
//
// The table to change from is the caller's choice: the agent passes what it has applied; a dry run
// of a proposed lvs.cf or a repair of a table changed by hand passes the dataplane's live table.
import type { DataplaneOp } from './dataplane/types.ts';
import type { Configuration } from './config-state.ts';
import type { RealState } from './checkers/pool.ts';
import { desired, diff, type CheckerView, type Desired, type Table } from './director.ts';

export interface ReconcileInput {
  config: Configuration;
  /** false when the agent is not directing: the wanted table is then empty (our services removed). */
  directing: boolean;
  /** The checkers' verdicts by target key. */
  checkers: ReadonlyMap<string, CheckerView>;
  now: number;
}

export interface Reconciliation extends Desired {
  /** In order; an operation's index in this list is its id when the dataplane reports a failure. */
  ops: DataplaneOp[];
}

/** What the director needs of each checker's state. */
export function checkerViews(states: Iterable<RealState>): Map<string, CheckerView> {
  const views = new Map<string, CheckerView>();
  for (const s of states) views.set(s.key, { state: s.state, upSince: s.upSince, reentered: s.reentered, wasUp: s.wasUp });
  return views;
}

/** The table wanted now and the operations that turn `from` into it. */
export function reconcile(input: ReconcileInput, from: Table): Reconciliation {
  const { config, directing } = input;
  const want: Desired =
    directing && config.model
      ? desired(config.model, config.plan, input.checkers, input.now)
      : { table: new Map(), weights: new Map(), rampInProgress: false };
  return { ...want, ops: diff(from, want.table) };
}
