// The director (lvsd's job, without its bugs): from the model and the checkers' verdicts compute the
// table the dataplane should hold, then the smallest list of operations that turns the current table
// into it. Pure functions only; agent.ts owns the state and the side effects.
//
// Differences from lvsd on purpose: services are matched by their IPVS key (so a scheduler,
// persistence or weight change on reload is applied with an edit, not ignored), nothing is ever
// flushed wholesale (lvsd ran `ipvsadm -C`), and one changed weight is exactly one operation.
import type { LvsConfig, Network, VirtualServer, RealServer } from '../lvs-cf/model.ts';
import type { DataplaneOp, ForwardMethod, RealSpec, ServiceKey, ServiceSpec } from './dataplane/types.ts';
import type { CheckSpec } from './checkers/check.ts';
import { rampedWeight } from './checkers/weights.ts';

export const FORWARD_METHOD: Record<Network, ForwardMethod> = { nat: 'm', direct: 'g', tunnel: 'i' };

/** What the director needs to know about one real server's checker. */
export interface CheckerView {
  state: 'pending' | 'up' | 'down';
  /** When the current run of success began (ms since the epoch), null when not up. */
  upSince: number | null;
  /** True when the server came back after a failure: its weight ramps up like nanny's. */
  reentered: boolean;
  /** True when the server was up at some point since its checker started (quiesce applies only then). */
  wasUp: boolean;
}

export interface TableService {
  spec: ServiceSpec;
  /** Keyed by `ADDRESS:PORT` (see realKey), in the order the reals were added. */
  reals: Map<string, RealSpec>;
}
export type Table = Map<ServiceKey, TableService>;

/** One real server of one active virtual server that gets a checker. */
export interface CheckTarget {
  /** Stable across reloads while the service key, address and port stay the same. */
  key: string;
  serviceKey: ServiceKey;
  /** `ADDRESS:PORT`, the real's key inside its service. */
  realKey: string;
  virtualIndex: number;
  serverIndex: number;
  virtual: string;
  server: string;
  /** Configured weight (before quiesce/ramp). */
  weight: number;
  spec: CheckSpec & { reentrySec: number };
}

export interface Problem {
  service: string;
  message: string;
}

export interface Plan {
  /** The active, addressable virtual servers as dataplane services, first-come per key. */
  services: { spec: ServiceSpec; virtual: VirtualServer; virtualIndex: number; targets: CheckTarget[] }[];
  targets: CheckTarget[];
  problems: Problem[];
}

export interface Desired {
  table: Table;
  /** Weight each checker's real server is given in the dataplane (absent = not in the table). */
  weights: Map<string, number>;
  /** True while some re-entered server has not reached its configured weight (re-evaluate soon). */
  rampInProgress: boolean;
}

export function serviceKeyOf(v: Pick<VirtualServer, 'fwmark' | 'protocol' | 'address' | 'port'>): ServiceKey {
  return v.fwmark !== 0 ? `fwm|${v.fwmark}` : `${v.protocol}|${v.address}|${v.port}`;
}

export function realKey(address: string, port: number): string {
  return `${address}:${port}`;
}

function noAddress(a: string | null): boolean {
  return a === null || a === '' || a === '0.0.0.0';
}

/** A port IPVS can hold. The daemons run a file with another one, and their ipvsadm call fails there. */
function servablePort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}

/** What the checker of real server `s` of virtual `v` runs (nanny's options, from the model). */
export function checkSpecFor(v: VirtualServer, s: RealServer, key: string): CheckSpec & { reentrySec: number } {
  return {
    key,
    address: s.address,
    port: s.port,
    virtualPort: v.port,
    protocol: v.protocol,
    send: v.send,
    expect: v.expect,
    useRegex: v.use_regex,
    sendProgram: v.send_program,
    timeoutSec: v.timeout,
    reentrySec: Math.max(0, v.reentry),
  };
}

/**
 * The part of the desired table that depends only on the configuration: which services exist and
 * which real servers are checked. Computed once per (re)load.
 */
export function plan(model: LvsConfig): Plan {
  const services: Plan['services'] = [];
  const targets: CheckTarget[] = [];
  const problems: Problem[] = [];
  const owner = new Map<ServiceKey, string>();
  model.virtuals.forEach((v, virtualIndex) => {
    if (!v.active) return;
    if (noAddress(v.address)) {
      problems.push({ service: v.name, message: `virtual server ${v.name} has no address; it is not served` });
      return;
    }
    if (v.fwmark === 0 && !servablePort(v.port)) {
      problems.push({ service: v.name, message: `virtual server ${v.name} has port ${v.port}, which IPVS cannot serve (1-65535); it is not served` });
      return;
    }
    const key = serviceKeyOf(v);
    const first = owner.get(key);
    if (first !== undefined) {
      problems.push({
        service: v.name,
        message: `virtual server ${v.name} maps to the same service (${key}) as ${first}; only ${first} is served`,
      });
      return;
    }
    owner.set(key, v.name);
    const own: CheckTarget[] = [];
    services.push({
      virtual: v,
      virtualIndex,
      targets: own,
      spec: {
        key,
        name: v.name,
        protocol: v.protocol,
        address: v.address as string,
        port: v.port,
        fwmark: v.fwmark,
        scheduler: v.scheduler,
        persistent: Math.max(0, v.persistent),
        pmask: v.persistent > 0 && v.pmask && v.pmask !== '0.0.0.0' && v.pmask !== '255.255.255.255' ? v.pmask : null,
      },
    });
    const seen = new Set<string>();
    v.servers.forEach((s: RealServer, serverIndex) => {
      if (!s.active) return;
      if (noAddress(s.address)) {
        problems.push({ service: v.name, message: `real server ${s.name} of ${v.name} has no address; it is not used` });
        return;
      }
      if (!servablePort(s.port)) {
        problems.push({ service: v.name, message: `real server ${s.name} of ${v.name} has port ${s.port}, which IPVS cannot use (1-65535); it is not used` });
        return;
      }
      if (s.weight > 65535) {
        problems.push({ service: v.name, message: `real server ${s.name} of ${v.name} has weight ${s.weight}, more than the 65535 IPVS takes; it is not used` });
        return;
      }
      const rk = realKey(s.address, s.port);
      if (seen.has(rk)) {
        problems.push({ service: v.name, message: `real server ${s.name} of ${v.name} repeats ${rk}; only the first is used` });
        return;
      }
      seen.add(rk);
      own.push({
        key: `${key}>${rk}`,
        serviceKey: key,
        realKey: rk,
        virtualIndex,
        serverIndex,
        virtual: v.name,
        server: s.name,
        weight: Math.max(0, s.weight),
        spec: checkSpecFor(v, s, `${key}>${rk}`),
      });
    });
  });
  for (const s of services) targets.push(...s.targets);
  return { services, targets, problems };
}

/**
 * The table the dataplane should hold now: every planned service; in it the real servers that are
 * up (ramped when re-entered), the quiesced ones at weight 0, or the sorry server when none is up.
 */
export function desired(model: LvsConfig, p: Plan, states: ReadonlyMap<string, CheckerView>, now: number): Desired {
  const method = FORWARD_METHOD[model.network];
  const table: Table = new Map();
  const weights = new Map<string, number>();
  let rampInProgress = false;
  for (const { spec, virtual, targets } of p.services) {
    const reals = new Map<string, RealSpec>();
    let up = 0;
    for (const t of targets) {
      const st = states.get(t.key);
      if (!st) continue;
      let weight: number | null = null;
      if (st.state === 'up') {
        up++;
        weight = t.weight;
        if (st.reentered && st.upSince !== null) {
          const ramped: number = rampedWeight(t.weight, st.upSince, now);
          if (ramped < t.weight) rampInProgress = true;
          weight = ramped;
        }
      } else if (virtual.quiesce_server && st.wasUp) {
        // nanny -q: a failed server keeps its entry at weight 0 so established connections finish.
        weight = 0;
      }
      if (weight === null) continue;
      weights.set(t.key, weight);
      reals.set(t.realKey, { address: t.spec.address, port: t.spec.port, weight, method });
    }
    if (up === 0 && !noAddress(virtual.sorry_server)) {
      const sorry = virtual.sorry_server as string;
      const rk = realKey(sorry, virtual.port);
      if (!reals.has(rk)) reals.set(rk, { address: sorry, port: virtual.port, weight: 1, method });
    }
    table.set(spec.key, { spec, reals });
  }
  return { table, weights, rampInProgress };
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
 * The operations that turn `current` into `target`: removed services first (freeing their keys),
 * then per service an add or an edit, then its real servers' removals, additions and edits.
 * A service whose only change is one weight costs exactly one editReal.
 */
export function diff(current: Table, target: Table): DataplaneOp[] {
  const ops: DataplaneOp[] = [];
  for (const key of current.keys()) {
    if (!target.has(key)) ops.push({ op: 'deleteService', key });
  }
  for (const [key, want] of target) {
    const have = current.get(key);
    if (!have) {
      ops.push({ op: 'addService', service: want.spec });
      for (const real of want.reals.values()) ops.push({ op: 'addReal', key, real });
      continue;
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
