// The agent's internal views (the dataplane's table, a checker's state, the redundancy module's
// status) mapped to the protocol's wire types, field by field: an internal field added or renamed
// stays internal until the protocol (agent/protocol/) says otherwise, and the compiler checks each
// field the wire carries.
import type { RealStats as DataplaneReal, ServiceStats as DataplaneService } from './dataplane/types.ts';
import type { HaStatus as InternalHaStatus } from './ha/index.ts';
import type { RealState } from './checkers/pool.ts';
import type { CheckTarget } from './service-plan.ts';
import type { CheckerInfo, DriftResult, HaStatus, RealStats, ServiceStats } from './protocol/index.ts';
import type { DriftReport } from './drift-watch.ts';

function realToWire(r: DataplaneReal): RealStats {
  return {
    address: r.address,
    port: r.port,
    method: r.method,
    weight: r.weight,
    activeConns: r.activeConns,
    inactiveConns: r.inactiveConns,
    connections: r.connections,
    packetsIn: r.packetsIn,
    packetsOut: r.packetsOut,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
  };
}

export function serviceToWire(s: DataplaneService): ServiceStats {
  return {
    key: s.key,
    name: s.name,
    protocol: s.protocol,
    address: s.address,
    port: s.port,
    fwmark: s.fwmark,
    scheduler: s.scheduler,
    persistent: s.persistent,
    pmask: s.pmask,
    reals: s.reals.map(realToWire),
    problem: s.problem,
  };
}

/** One checked real server: its target in the configuration, what its check does, the check's state, its weight now. */
export function checkerToWire(t: CheckTarget, check: string, st: Readonly<RealState>, weight: number): CheckerInfo {
  return {
    virtual: t.virtual,
    server: t.server,
    address: t.address,
    port: t.port,
    check,
    state: st.state,
    since: new Date(st.since).toISOString(),
    lastResult: st.lastResult,
    lastCheck: st.lastCheck === null ? null : new Date(st.lastCheck).toISOString(),
    lastError: st.lastError,
    weight,
    lastLatencyMs: st.lastLatencyMs,
  };
}

export function haStatusToWire(s: InternalHaStatus): HaStatus {
  return {
    role: s.role,
    state: s.state,
    partner: s.partner && {
      lastHeartbeat: s.partner.lastHeartbeat,
      state: s.partner.state,
      serial: s.partner.serial,
      addresses: [...s.partner.addresses],
    },
    dropped: { ...s.dropped },
    history: s.history.map((h) => ({ time: h.time, from: h.from, to: h.to, reason: h.reason })),
    keyConfigured: s.keyConfigured,
    sync: {
      localSerial: s.sync.localSerial,
      partnerSerial: s.sync.partnerSerial,
      inSync: s.sync.inSync,
      lastSync: s.sync.lastSync && { time: s.sync.lastSync.time, direction: s.sync.lastSync.direction, serial: s.sync.lastSync.serial },
      lastError: s.sync.lastError && { time: s.sync.lastError.time, message: s.sync.lastError.message },
    },
    vips: s.vips.map((v) => ({ address: v.address, prefix: v.prefix, device: v.device, label: v.label })),
    linkUp: s.linkUp,
    problems: s.problems.map((p) => ({ time: p.time, message: p.message })),
    warnings: [...s.warnings],
    splitBrain: s.splitBrain && { since: s.splitBrain.since, address: s.splitBrain.address, mac: s.splitBrain.mac },
  };
}

export function driftToWire(r: DriftReport): DriftResult {
  return {
    watched: r.watched,
    checkedAt: r.checkedAt === null ? null : new Date(r.checkedAt).toISOString(),
    differences: r.entries.map((e) => ({ service: e.service, virtual: e.virtual, kind: e.kind, text: e.text })),
    operations: r.operations,
    error: r.error,
  };
}
