// The reconciler: which dataplane operations turn a table into the one the configuration and the
// checks' states call for. Pure (the caller passes the time and both tables), like director.ts
// whose desired() and diff() it composes; applier.ts carries the operations out.
//
// The table to change from is the caller's choice: a dry run of a proposed lvs.cf or a repair of a
// table changed by hand passes the dataplane's live table. The agent's own evaluations go service
// by service instead (reconcile-loop.ts), over the services that may have changed.
import type { DataplaneOp } from './dataplane/types.ts';
import type { Configuration } from './config-state.ts';
import { desired, diff, type CheckStates, type Desired, type Table } from './director.ts';

export interface ReconcileInput {
  config: Configuration;
  /** false when the agent is not directing: the wanted table is then empty (our services removed). */
  directing: boolean;
  /** The checks' states by check key. */
  states: CheckStates;
  now: number;
}

export interface Reconciliation extends Desired {
  /** In order; an operation's index in this list is its id when the dataplane reports a failure. */
  ops: DataplaneOp[];
}

/** The table wanted now and the operations that turn `from` into it. */
export function reconcile(input: ReconcileInput, from: Table): Reconciliation {
  const { config, directing } = input;
  const want: Desired = directing && config.model ? desired(config.plan, input.states, input.now) : { table: new Map(), ramping: new Set() };
  return { ...want, ops: diff(from, want.table) };
}
