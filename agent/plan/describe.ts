// A dry run's operations as the protocol carries them: each with the lvs.cf names it concerns, the
// weight before and after, and one sentence an administrator reads on the plan page.
import type { DataplaneOp, ServiceSpec } from '../dataplane/types.ts';
import type { PlanOperation } from '../protocol/index.ts';
import type { Table } from '../director.ts';
import { realKey, type CheckTarget } from '../service-plan.ts';
import { targetKeyOf } from './dry-run.ts';

/** `tcp|10.0.0.1|80` → `TCP 10.0.0.1:80`, `fwm|7` → `FWM 7`. */
export function serviceLabel(key: string): string {
  const [kind, a, b] = key.split('|');
  return kind === 'fwm' ? `FWM ${a}` : `${(kind ?? '').toUpperCase()} ${a}:${b}`;
}

function scheduling(s: ServiceSpec): string {
  return `${s.scheduler}${s.persistent ? `, persistent ${s.persistent} s${s.pmask ? ` mask ${s.pmask}` : ''}` : ''}`;
}

/** A real server of a plan by its service key and `ADDRESS:PORT`. */
export type FindTarget = (serviceKey: string, realKey: string) => CheckTarget | undefined;

export interface Names {
  /** Targets of the proposal (added and changed real servers). */
  proposed: FindTarget;
  /** Targets of the configuration in use (removed real servers). */
  current: FindTarget;
}

export function describePlanOp(op: DataplaneOp, live: Table, afterCheck: ReadonlySet<string>, names: Names): PlanOperation {
  const base = { weight: null, afterCheck: false, real: null, server: null };
  switch (op.op) {
    case 'addService':
      return { ...base, op: op.op, service: op.service.key, virtual: op.service.name, text: `add service ${serviceLabel(op.service.key)} (${op.service.name}), ${scheduling(op.service)}` };
    case 'editService': {
      const before = live.get(op.service.key)?.spec;
      const from = before ? scheduling(before) : '?';
      return { ...base, op: op.op, service: op.service.key, virtual: op.service.name, text: `change service ${serviceLabel(op.service.key)} (${op.service.name}) from ${from} to ${scheduling(op.service)}` };
    }
    case 'deleteService': {
      const before = live.get(op.key);
      const name = before?.spec.name ?? op.key;
      const n = before?.reals.size ?? 0;
      return { ...base, op: op.op, service: op.key, virtual: name, text: `remove service ${serviceLabel(op.key)} (${name})${n ? ` and its ${n} real server${n === 1 ? '' : 's'}` : ''}` };
    }
    case 'addReal':
    case 'editReal': {
      const rk = realKey(op.real.address, op.real.port);
      const tk = targetKeyOf(op.key, op.real.address, op.real.port);
      const t = names.proposed(op.key, rk);
      const virtual = t?.virtual ?? live.get(op.key)?.spec.name ?? op.key;
      const server = t?.server ?? null;
      const who = `real server ${server ? `${server} ` : ''}${rk}`;
      const from = live.get(op.key)?.reals.get(rk)?.weight ?? null;
      const waits = op.op === 'addReal' && afterCheck.has(tk);
      const text =
        op.op === 'addReal'
          ? `add ${who} to ${virtual}, weight ${op.real.weight}${waits ? ' (once its first health check passes)' : ''}`
          : `set ${who} of ${virtual} to weight ${op.real.weight} (from ${from ?? '?'})`;
      return { op: op.op, service: op.key, virtual, real: rk, server, weight: { from: op.op === 'addReal' ? null : from, to: op.real.weight }, afterCheck: waits, text };
    }
    case 'deleteReal': {
      const rk = realKey(op.address, op.port);
      const t = names.current(op.key, rk);
      const virtual = t?.virtual ?? live.get(op.key)?.spec.name ?? op.key;
      const server = t?.server ?? null;
      const from = live.get(op.key)?.reals.get(rk)?.weight ?? null;
      return { op: op.op, service: op.key, virtual, real: rk, server, weight: { from, to: null }, afterCheck: false, text: `remove real server ${server ? `${server} ` : ''}${rk} from ${virtual}` };
    }
  }
}
