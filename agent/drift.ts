// Drift: how the dataplane's live table differs from what this agent applied to it. Only a table
// others can change has drift: the kernel's IPVS table, where an administrator may run ipvsadm by
// hand. Pure: the caller reads both tables; the operations that restore the applied table are the
// director's own diff from the live table to the applied one, so a repair is the minimal one (a
// weight changed by hand is one editReal, a real server removed by hand one addReal).
//
// Only services this agent owns are compared (the live table passed in holds only those): a service
// added by hand is none of Piranha's business and is never reported or touched.
import type { DataplaneOp, ServiceSpec, ServiceStats } from './dataplane/types.ts';
import { diff, type Table } from './director.ts';
import { realKey } from './service-plan.ts';

export type DriftKind = 'service-missing' | 'scheduling-changed' | 'real-missing' | 'real-added' | 'real-changed';

export interface DriftEntry {
  /** The service key (`tcp|VIP|PORT`, `fwm|MARK`). */
  service: string;
  /** The lvs.cf virtual server the service comes from. */
  virtual: string;
  kind: DriftKind;
  /** One sentence saying what differs, both values named. */
  text: string;
}

export interface Drift {
  entries: DriftEntry[];
  /** The operations that restore the applied table, in order (what `reconcile` applies). */
  ops: DataplaneOp[];
}

/** Persistence netmasks that mean "the whole address" (ipvsadm shows no mask for them). */
function effectiveMask(s: Pick<ServiceSpec, 'persistent' | 'pmask'>): string | null {
  if (s.persistent === 0 || s.pmask === null || s.pmask === '255.255.255.255' || s.pmask === '0.0.0.0') return null;
  return s.pmask;
}

function scheduling(s: Pick<ServiceSpec, 'scheduler' | 'persistent' | 'pmask'>): string {
  const mask = effectiveMask(s);
  return `${s.scheduler}${s.persistent ? ` persistent ${s.persistent}` : ''}${mask ? ` mask ${mask}` : ''}`;
}

/**
 * The live table in the applied table's terms: the applied spec with the scheduling the dataplane
 * reports, and the real servers it holds. A service the dataplane no longer has is left out.
 */
export function liveAsTable(applied: Table, live: readonly ServiceStats[]): Table {
  const out: Table = new Map();
  for (const s of live) {
    const mine = applied.get(s.key);
    if (!mine || s.problem !== null) continue;
    const reported = { scheduler: s.scheduler as ServiceSpec['scheduler'], persistent: s.persistent, pmask: s.pmask };
    const spec = scheduling(reported) === scheduling(mine.spec) ? mine.spec : { ...mine.spec, ...reported };
    const reals = new Map(s.reals.map((r) => [realKey(r.address, r.port), { address: r.address, port: r.port, weight: r.weight, method: r.method }]));
    out.set(s.key, { spec, reals });
  }
  return out;
}

const METHOD: Record<string, string> = { m: 'masquerading', g: 'direct routing', i: 'tunnelling' };

/** What differs between the applied table and the live one, and the operations that restore it. */
export function findDrift(applied: Table, live: readonly ServiceStats[]): Drift {
  const now = liveAsTable(applied, live);
  const ops = diff(now, applied);
  const entries: DriftEntry[] = [];
  for (const op of ops) {
    const key = op.op === 'addService' || op.op === 'editService' ? op.service.key : op.key;
    const virtual = applied.get(key)?.spec.name ?? now.get(key)?.spec.name ?? '';
    const at = { service: key, virtual };
    switch (op.op) {
      case 'addService':
        entries.push({ ...at, kind: 'service-missing', text: `service ${key} (${virtual}) is missing from the table (removed outside Piranha)` });
        break;
      case 'editService':
        entries.push({ ...at, kind: 'scheduling-changed', text: `service ${key} (${virtual}) is scheduled "${scheduling(now.get(key)!.spec)}" in the table, Piranha applied "${scheduling(op.service)}"` });
        break;
      case 'addReal':
        // The reals of a missing service are restored with it: one entry says so.
        if (now.has(key)) entries.push({ ...at, kind: 'real-missing', text: `real server ${realKey(op.real.address, op.real.port)} of ${key} (${virtual}) is missing from the table (removed outside Piranha)` });
        break;
      case 'deleteReal':
        entries.push({ ...at, kind: 'real-added', text: `real server ${realKey(op.address, op.port)} of ${key} (${virtual}) was added outside Piranha` });
        break;
      case 'editReal': {
        const rk = realKey(op.real.address, op.real.port);
        const was = now.get(key)!.reals.get(rk)!;
        const what = was.weight !== op.real.weight
          ? `has weight ${was.weight} in the table, Piranha applied ${op.real.weight}`
          : `is forwarded by ${METHOD[was.method] ?? was.method} in the table, Piranha applied ${METHOD[op.real.method] ?? op.real.method}`;
        entries.push({ ...at, kind: 'real-changed', text: `real server ${rk} of ${key} (${virtual}) ${what}` });
        break;
      }
      case 'deleteService':
        // diff(now, applied) never deletes: `now` holds only services of the applied table.
        break;
    }
  }
  return { entries, ops };
}
