// The director (lvsd's job, without its bugs): from the plan of the configuration (plan.ts) and the
// checks' states compute what each service should hold, then the smallest list of operations that
// turns the current table into it, one service at a time so that a change touching one service
// costs the work of that service only. Pure functions only; the reconcile loop owns the state.
//
// Differences from lvsd on purpose: services are matched by their IPVS key (so a scheduler,
// persistence or weight change on reload is applied with an edit, not ignored), nothing is ever
// flushed wholesale (lvsd ran `ipvsadm -C`), and one changed weight is exactly one operation.
import type { DataplaneOp, ForwardMethod, RealSpec, ServiceKey, ServiceSpec } from './dataplane/types.ts';
import { rampedWeight } from './checkers/weights.ts';
import { noAddress, realKey, type Plan, type PlannedService } from './service-plan.ts';

/** What the director needs to know about one check's state (the pool's RealState has these fields). */
export interface CheckerView {
  state: 'pending' | 'up' | 'down';
  /** When the current run of success began (ms since the epoch), null when not up. */
  upSince: number | null;
  /** True when the server came back after a failure: its weight ramps up like nanny's. */
  reentered: boolean;
  /** True when the server was up at some point since its checker started (quiesce applies only then). */
  wasUp: boolean;
}

/** The state of a check by its key; undefined for a check that has not started. */
export type CheckStates = (check: string) => CheckerView | undefined;

export interface TableService {
  spec: ServiceSpec;
  /** Keyed by `ADDRESS:PORT` (see realKey), in the order the reals were added. */
  reals: Map<string, RealSpec>;
}
export type Table = Map<ServiceKey, TableService>;

export interface DesiredService {
  service: TableService;
  /** True while some re-entered server of it has not reached its configured weight (re-evaluate soon). */
  ramping: boolean;
}

export interface Desired {
  table: Table;
  /** Services with a re-entered server still ramping up. */
  ramping: Set<ServiceKey>;
}

/**
 * What one planned service should hold now: the real servers that are up (ramped when re-entered),
 * the quiesced ones at weight 0, or the sorry server when none is up.
 */
export function desiredService(ps: PlannedService, method: ForwardMethod, states: CheckStates, now: number): DesiredService {
  const { spec, virtual, targets } = ps;
  const reals = new Map<string, RealSpec>();
  let up = 0;
  let ramping = false;
  for (const t of targets) {
    const st = states(t.check);
    if (!st) continue;
    let weight: number | null = null;
    if (st.state === 'up') {
      up++;
      weight = t.weight;
      if (st.reentered && st.upSince !== null) {
        const ramped: number = rampedWeight(t.weight, st.upSince, now);
        if (ramped < t.weight) ramping = true;
        weight = ramped;
      }
    } else if (virtual.quiesce_server && st.wasUp) {
      // nanny -q: a failed server keeps its entry at weight 0 so established connections finish.
      weight = 0;
    }
    if (weight === null) continue;
    reals.set(t.realKey, { address: t.address, port: t.port, weight, method });
  }
  if (up === 0 && !noAddress(virtual.sorry_server)) {
    const sorry = virtual.sorry_server as string;
    const rk = realKey(sorry, virtual.port);
    if (!reals.has(rk)) reals.set(rk, { address: sorry, port: virtual.port, weight: 1, method });
  }
  return { service: { spec, reals }, ramping };
}

/** The whole table the dataplane should hold now (every planned service). */
export function desired(p: Plan, states: CheckStates, now: number): Desired {
  const table: Table = new Map();
  const ramping = new Set<ServiceKey>();
  for (const ps of p.services) {
    const d = desiredService(ps, p.method, states, now);
    table.set(ps.spec.key, d.service);
    if (d.ramping) ramping.add(ps.spec.key);
  }
  return { table, ramping };
}

function sameService(a: ServiceSpec, b: ServiceSpec): boolean {
  return (
    a.name === b.name &&
    a.protocol === b.protocol &&
    a.address === b.address &&
    a.port === b.port &&
    a.fwmark === b.fwmark &&
    a.scheduler === b.scheduler &&
    a.persistent === b.persistent &&
    a.pmask === b.pmask
  );
}

/**
 * Appends the operations that turn service `key` from `have` into `want` (either may be absent):
 * a removal, or an add or an edit, then its real servers' removals, additions and edits. A service
 * whose only change is one weight costs exactly one editReal.
 */
export function diffService(key: ServiceKey, have: TableService | undefined, want: TableService | undefined, ops: DataplaneOp[]): void {
  if (!want) {
    if (have) ops.push({ op: 'deleteService', key });
    return;
  }
  if (!have) {
    ops.push({ op: 'addService', service: want.spec });
    for (const real of want.reals.values()) ops.push({ op: 'addReal', key, real });
    return;
  }
  if (!sameService(have.spec, want.spec)) ops.push({ op: 'editService', service: want.spec });
  for (const [rk, real] of have.reals) {
    if (!want.reals.has(rk)) ops.push({ op: 'deleteReal', key, address: real.address, port: real.port });
  }
  for (const [rk, real] of want.reals) {
    const old = have.reals.get(rk);
    if (!old) ops.push({ op: 'addReal', key, real });
    else if (old.weight !== real.weight || old.method !== real.method) ops.push({ op: 'editReal', key, real });
  }
}

/**
 * The operations that turn `current` into `target`: removed services first (freeing their keys),
 * then per service an add or an edit and its real servers' changes.
 */
export function diff(current: Table, target: Table): DataplaneOp[] {
  const ops: DataplaneOp[] = [];
  for (const key of current.keys()) {
    if (!target.has(key)) ops.push({ op: 'deleteService', key });
  }
  for (const [key, want] of target) diffService(key, current.get(key), want, ops);
  return ops;
}

/** Records one applied operation in `table` (the agent's view of what it owns in the dataplane). */
export function record(table: Table, op: DataplaneOp): void {
  switch (op.op) {
    case 'addService':
      table.set(op.service.key, { spec: op.service, reals: new Map() });
      return;
    case 'editService': {
      const s = table.get(op.service.key);
      if (s) s.spec = op.service;
      return;
    }
    case 'deleteService':
      table.delete(op.key);
      return;
    case 'addReal':
    case 'editReal':
      table.get(op.key)?.reals.set(realKey(op.real.address, op.real.port), op.real);
      return;
    case 'deleteReal':
      table.get(op.key)?.reals.delete(realKey(op.address, op.port));
      return;
  }
}

/** A deep copy, so a desired table can be compared later against what was actually applied. */
export function cloneTable(t: Table): Table {
  const out: Table = new Map();
  for (const [k, s] of t) out.set(k, { spec: { ...s.spec }, reals: new Map([...s.reals].map(([rk, r]) => [rk, { ...r }])) });
  return out;
}

/** One short human line per operation, for the log ("one line per state change"). */
export function describeOp(op: DataplaneOp): string {
  switch (op.op) {
    case 'addService':
      return `add service ${op.service.key} (${op.service.name}, ${op.service.scheduler}${op.service.persistent ? `, persistent ${op.service.persistent}s` : ''})`;
    case 'editService':
      return `edit service ${op.service.key} (${op.service.scheduler}${op.service.persistent ? `, persistent ${op.service.persistent}s` : ''}${op.service.pmask ? ` mask ${op.service.pmask}` : ''})`;
    case 'deleteService':
      return `remove service ${op.key}`;
    case 'addReal':
      return `add real server ${realKey(op.real.address, op.real.port)} to ${op.key} weight ${op.real.weight}`;
    case 'editReal':
      return `set real server ${realKey(op.real.address, op.real.port)} of ${op.key} to weight ${op.real.weight}`;
    case 'deleteReal':
      return `remove real server ${realKey(op.address, op.port)} from ${op.key}`;
  }
}
