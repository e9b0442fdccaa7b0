// The director's plan of a configuration: which dataplane services the active virtual servers make,
// which real servers are checked, and which checks they need. Pure, computed once per (re)load.
//
// Built for large files (10,000 virtual servers × 20 real servers) in two ways:
// - A check is shared: real servers checked the same way (same address, port, request, expected
//   answer, timeout and re-entry time, as when one host serves many VIPs) share one check and its
//   state, so a host behind 85 VIPs is checked once per interval, not 85 times.
// - A reload re-plans only what changed: a virtual server equal to the one of the previous plan
//   keeps its planned service (same objects), and the plan says which services changed, so the
//   reconciler looks at those alone. One changed weight is one changed service.
import type { LvsConfig, Network, RealServer, VirtualServer } from '../lvs-cf/model.ts';
import type { ForwardMethod, ServiceKey, ServiceSpec } from './dataplane/types.ts';
import { checkMethodIdentity, type CheckSpec } from './checkers/check.ts';

export const FORWARD_METHOD: Record<Network, ForwardMethod> = { nat: 'm', direct: 'g', tunnel: 'i' };

export type PoolSpec = CheckSpec & { reentrySec: number };

export interface Problem {
  service: string;
  message: string;
}

/** One real server of one active virtual server that is checked (and put in the table when up). */
export interface CheckTarget {
  /** The key of the check it shares with every real server checked the same way. */
  check: string;
  serviceKey: ServiceKey;
  /** `ADDRESS:PORT`, the real's key inside its service. */
  realKey: string;
  virtual: string;
  server: string;
  address: string;
  port: number;
  /** Configured weight (before quiesce/ramp). */
  weight: number;
}

/** One check and the real servers that share it. */
export interface PlannedCheck {
  spec: PoolSpec;
  targets: CheckTarget[];
}

export interface PlannedService {
  spec: ServiceSpec;
  virtual: VirtualServer;
  virtualIndex: number;
  targets: CheckTarget[];
  problems: Problem[];
}

export interface Plan {
  /** The active, addressable virtual servers as dataplane services, first-come per key, in file order. */
  services: PlannedService[];
  byKey: Map<ServiceKey, PlannedService>;
  checks: Map<string, PlannedCheck>;
  /** Real servers checked (a real server behind several VIPs counts once per VIP). */
  targetCount: number;
  problems: Problem[];
  method: ForwardMethod;
}

export const EMPTY_PLAN: Plan = { services: [], byKey: new Map(), checks: new Map(), targetCount: 0, problems: [], method: 'm' };

export function serviceKeyOf(v: Pick<VirtualServer, 'fwmark' | 'protocol' | 'address' | 'port'>): ServiceKey {
  return v.fwmark !== 0 ? `fwm|${v.fwmark}` : `${v.protocol}|${v.address}|${v.port}`;
}

export function realKey(address: string, port: number): string {
  return `${address}:${port}`;
}

export function noAddress(a: string | null): boolean {
  return a === null || a === '' || a === '0.0.0.0';
}

/** A port IPVS can hold. The daemons run a file with another one, and their ipvsadm call fails there. */
function servablePort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}

/** What the checker of real server `s` of virtual `v` runs (nanny's options, from the model). */
export function checkSpecFor(v: VirtualServer, s: Pick<RealServer, 'address' | 'port'>, key: string): PoolSpec {
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
 * Short, stable names of check methods (checkMethodIdentity plus the re-entry time): a check key is
 * `ADDRESS:PORT#N`, hashed and compared once per real server at every plan, where the method's
 * own text would be a hundred characters. Kept for the life of the process, so a key means the
 * same check from one plan to the next; there are as many entries as distinct ways of checking
 * ever configured (a handful).
 */
const methodIds = new Map<string, number>();

function methodIdOf(method: string): number {
  let id = methodIds.get(method);
  if (id === undefined) {
    id = methodIds.size;
    methodIds.set(method, id);
  }
  return id;
}

/** The key of the check of a real server at `address:port` checked by method `methodId`. */
export function checkKeyOf(address: string, port: number, methodId: number): string {
  return `${address}:${port}#${methodId}`;
}

function serviceSpecOf(v: VirtualServer, key: ServiceKey): ServiceSpec {
  return {
    key,
    name: v.name,
    protocol: v.protocol,
    address: v.address as string,
    port: v.port,
    fwmark: v.fwmark,
    scheduler: v.scheduler,
    persistent: Math.max(0, v.persistent),
    pmask: v.persistent > 0 && v.pmask && v.pmask !== '0.0.0.0' && v.pmask !== '255.255.255.255' ? v.pmask : null,
  };
}

const VIRTUAL_FIELDS = [
  'kind', 'name', 'active', 'address', 'device', 'vip_nmask', 'sorry_server', 'fwmark', 'protocol', 'port', 'scheduler', 'persistent',
  'pmask', 'send', 'expect', 'use_regex', 'send_program', 'load_monitor', 'timeout', 'reentry', 'quiesce_server', 'client_monitor',
  'start_cmd', 'stop_cmd',
] as const satisfies readonly (keyof VirtualServer)[];

/** Whether two virtual servers mean the same to the director (their line numbers aside). */
export function sameVirtual(a: VirtualServer, b: VirtualServer): boolean {
  if (a === b) return true;
  for (const f of VIRTUAL_FIELDS) if (a[f] !== b[f]) return false;
  if (a.servers.length !== b.servers.length) return false;
  for (let i = 0; i < a.servers.length; i++) {
    const x = a.servers[i]!;
    const y = b.servers[i]!;
    if (x.name !== y.name || x.address !== y.address || x.active !== y.active || x.weight !== y.weight || x.port !== y.port) return false;
  }
  return true;
}

/** Plans one active, addressable virtual server that owns its service key. */
function planService(v: VirtualServer, virtualIndex: number, key: ServiceKey): PlannedService {
  const targets: CheckTarget[] = [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  // The part of every check of this virtual server that does not depend on the real server.
  const method = v.servers.length > 0 ? methodIdOf(`${checkMethodIdentity(checkSpecFor(v, { address: '', port: 0 }, ''))}|${Math.max(0, v.reentry)}`) : -1;
  for (const s of v.servers) {
    if (!s.active) continue;
    if (noAddress(s.address)) {
      problems.push({ service: v.name, message: `real server ${s.name} of ${v.name} has no address; it is not used` });
      continue;
    }
    if (!servablePort(s.port)) {
      problems.push({ service: v.name, message: `real server ${s.name} of ${v.name} has port ${s.port}, which IPVS cannot use (1-65535); it is not used` });
      continue;
    }
    if (s.weight > 65535) {
      problems.push({ service: v.name, message: `real server ${s.name} of ${v.name} has weight ${s.weight}, more than the 65535 IPVS takes; it is not used` });
      continue;
    }
    const rk = realKey(s.address, s.port);
    if (seen.has(rk)) {
      problems.push({ service: v.name, message: `real server ${s.name} of ${v.name} repeats ${rk}; only the first is used` });
      continue;
    }
    seen.add(rk);
    const check = checkKeyOf(s.address, s.port, method);
    targets.push({ check, serviceKey: key, realKey: rk, virtual: v.name, server: s.name, address: s.address, port: s.port, weight: Math.max(0, s.weight) });
  }
  return { spec: serviceSpecOf(v, key), virtual: v, virtualIndex, targets, problems };
}

export interface Planned {
  plan: Plan;
  /**
   * The services whose planned content differs from `prev`'s (added, removed, changed), or 'all'
   * when there was no previous plan or everything may differ (the forwarding method changed).
   */
  changed: Set<ServiceKey> | 'all';
}

/**
 * The plan of `model`. Given the previous plan, a virtual server equal to the one that owned the
 * same service key keeps its planned service, and only the others count as changed.
 */
export function plan(model: LvsConfig, prev: Plan | null = null): Planned {
  const method = FORWARD_METHOD[model.network];
  const reuse = prev !== null && prev.method === method ? prev : null;
  const services: PlannedService[] = [];
  const byKey = new Map<ServiceKey, PlannedService>();
  const problems: Problem[] = [];
  const changed = new Set<ServiceKey>();
  for (let i = 0; i < model.virtuals.length; i++) {
    const v = model.virtuals[i]!;
    if (!v.active) continue;
    if (noAddress(v.address)) {
      problems.push({ service: v.name, message: `virtual server ${v.name} has no address; it is not served` });
      continue;
    }
    if (v.fwmark === 0 && !servablePort(v.port)) {
      problems.push({ service: v.name, message: `virtual server ${v.name} has port ${v.port}, which IPVS cannot serve (1-65535); it is not served` });
      continue;
    }
    const key = serviceKeyOf(v);
    const first = byKey.get(key);
    if (first !== undefined) {
      problems.push({ service: v.name, message: `virtual server ${v.name} maps to the same service (${key}) as ${first.virtual.name}; only ${first.virtual.name} is served` });
      continue;
    }
    const old = reuse?.byKey.get(key);
    let ps: PlannedService;
    if (old !== undefined && sameVirtual(old.virtual, v)) {
      ps = old.virtualIndex === i && old.virtual === v ? old : { ...old, virtual: v, virtualIndex: i };
    } else {
      ps = planService(v, i, key);
      changed.add(key);
    }
    services.push(ps);
    byKey.set(key, ps);
    problems.push(...ps.problems);
  }
  if (reuse) for (const key of reuse.byKey.keys()) if (!byKey.has(key)) changed.add(key);
  const checks = reuse && changed.size * 4 < services.length ? updatedChecks(reuse, byKey, changed) : checksOf(services);
  let targetCount = 0;
  for (const ps of services) targetCount += ps.targets.length;
  return { plan: { services, byKey, checks, targetCount, problems, method }, changed: reuse ? changed : 'all' };
}

/** Every check of the planned services and the real servers sharing it, in file order. */
function checksOf(services: readonly PlannedService[]): Map<string, PlannedCheck> {
  const checks = new Map<string, PlannedCheck>();
  for (const ps of services) {
    for (const t of ps.targets) {
      const c = checks.get(t.check);
      if (c) c.targets.push(t);
      else checks.set(t.check, { spec: checkSpecFor(ps.virtual, t, t.check), targets: [t] });
    }
  }
  return checks;
}

/**
 * The checks of a plan that differs from `prev` in the `changed` services only: prev's checks,
 * with the real servers of the changed services taken out and put back as newly planned (those
 * go last among the real servers of their check). The other checks are prev's objects.
 */
function updatedChecks(prev: Plan, byKey: ReadonlyMap<ServiceKey, PlannedService>, changed: ReadonlySet<ServiceKey>): Map<string, PlannedCheck> {
  const gone = new Set<CheckTarget>();
  const added = new Map<string, CheckTarget[]>();
  for (const key of changed) {
    for (const t of prev.byKey.get(key)?.targets ?? []) gone.add(t);
    for (const t of byKey.get(key)?.targets ?? []) {
      const list = added.get(t.check);
      if (list) list.push(t);
      else added.set(t.check, [t]);
    }
  }
  const affected = new Set<string>(added.keys());
  for (const t of gone) affected.add(t.check);
  const checks = new Map(prev.checks);
  for (const key of affected) {
    const targets = (prev.checks.get(key)?.targets ?? []).filter((t) => !gone.has(t)).concat(added.get(key) ?? []);
    if (targets.length === 0) {
      checks.delete(key);
      continue;
    }
    const first = targets[0]!;
    checks.set(key, { spec: checkSpecFor(byKey.get(first.serviceKey)!.virtual, first, key), targets });
  }
  return checks;
}

/** Every checked real server of the plan, in file order. */
export function* targetsOf(p: Plan): Generator<CheckTarget> {
  for (const s of p.services) yield* s.targets;
}
