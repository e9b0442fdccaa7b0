// The operations a proposed configuration would cause, computed the way the agent computes the ones
// it applies (service-plan.plan → director.desired → diff), against the dataplane's live table,
// without applying anything. Pure: the caller passes the live table, the checks' states and the time.
//
// Limited to the services a change touches (`keys`), it costs what the change costs: the planned
// services are those of the virtual servers mapping to those keys, first-come per key as the
// director decides, and the live table is read for those keys only.
import type { LvsConfig } from '../../lvs-cf/index.ts';
import type { RealState } from '../checkers/pool.ts';
import type { DataplaneOp } from '../dataplane/types.ts';
import { desired, diff, type CheckerView, type Table } from '../director.ts';
import { plan, realKey, serviceKeyOf, targetsOf, type Plan } from '../service-plan.ts';

export interface DryRunInput {
  model: LvsConfig;
  /** The services to compare (those a change touches), or null for every service of the model. */
  keys: ReadonlySet<string> | null;
  /** The live table, limited to `keys` when they are given (only the agent's own services). */
  live: Table;
  /** The state of a check by its key, undefined when it has none (a real server new to the checks). */
  checker: (check: string) => RealState | undefined;
  now: number;
}

export interface DryRun {
  ops: DataplaneOp[];
  plan: Plan;
  /** Target keys (`SERVICE>ADDRESS:PORT`) whose additions wait for a first passing check. */
  afterCheck: Set<string>;
  /** Real servers of the proposal that are down, so stay out of the table whatever it says. */
  down: { virtual: string; server: string; real: string }[];
}

function addressed(a: string | null): boolean {
  return a !== null && a !== '' && a !== '0.0.0.0';
}

/** The service keys of the active, addressed virtual servers among `virtuals`. */
export function keysOf(virtuals: LvsConfig['virtuals']): Set<string> {
  const keys = new Set<string>();
  for (const v of virtuals) if (v.active && addressed(v.address)) keys.add(serviceKeyOf(v));
  return keys;
}

export function dryRun(input: DryRunInput): DryRun {
  const { keys, now } = input;
  const model = keys === null ? input.model : { ...input.model, virtuals: input.model.virtuals.filter((v) => keys.has(serviceKeyOf(v))) };
  const p = plan(model).plan;
  const views = new Map<string, CheckerView>();
  const afterCheck = new Set<string>();
  const down: DryRun['down'] = [];
  for (const t of targetsOf(p)) {
    const st = input.checker(t.check);
    if (st === undefined || st.state === 'pending') {
      // Not checked yet: the director adds it once its first check passes, at its weight.
      afterCheck.add(targetKeyOf(t.serviceKey, t.address, t.port));
      views.set(t.check, { state: 'up', upSince: now, reentered: false, wasUp: true });
      continue;
    }
    if (st.state === 'down') down.push({ virtual: t.virtual, server: t.server, real: t.realKey });
    views.set(t.check, { state: st.state, upSince: st.upSince, reentered: st.reentered, wasUp: st.wasUp });
  }
  const want = desired(p, (k) => views.get(k), now);
  return { ops: diff(input.live, want.table), plan: p, afterCheck, down };
}

/** The target key of a real-server operation, as the checkers name it. */
export function targetKeyOf(serviceKey: string, address: string, port: number): string {
  return `${serviceKey}>${realKey(address, port)}`;
}
