// What the agent says about itself, given what its parts know: the socket's `status` (the
// configuration's note and plan problems, the conditions main.ts notes, refused operations,
// kernel and dataplane problems) and the line it logs when it begins directing. Pure.
import type { Problem, StatusResult } from './protocol/index.ts';
import type { Configuration } from './config-state.ts';
import type { Steering } from './steering.ts';
import type { Plan } from './service-plan.ts';

/** Conditions shown in status.problems under their key (e.g. `redundancy`), set by main.ts. */
export class Notes {
  private readonly byKey = new Map<string, string>();

  /** Sets (or with null clears) the note of `key`; false when that changed nothing. */
  set(key: string, message: string | null): boolean {
    if ((this.byKey.get(key) ?? null) === message) return false;
    if (message === null) this.byKey.delete(key);
    else this.byKey.set(key, message);
    return true;
  }

  problems(): Problem[] {
    return Array.from(this.byKey, ([service, message]) => ({ service, message }));
  }
}

export interface StatusParts {
  config: Configuration;
  configPath: string;
  lastReloadError: string | null;
  notes: Notes;
  steering: Steering;
  dataplane: StatusResult['dataplane'];
  pid: number;
  startedAt: Date;
  /** Refused operations, then the kernel's problems, then (only while directing) the dataplane's. */
  refused: Problem[];
  kernel: Problem[];
  dataplaneProblems: Problem[];
}

export function statusReport(p: StatusParts): StatusResult {
  const problems: Problem[] = [];
  if (p.config.note) problems.push({ service: 'lvs.cf', message: p.config.note });
  problems.push(...p.notes.problems(), ...p.config.plan.problems, ...p.refused, ...p.kernel);
  if (p.steering.directing) problems.push(...p.dataplaneProblems);
  return {
    running: p.steering.directing,
    role: p.steering.role,
    since: new Date(p.steering.since).toISOString(),
    serial: p.config.model ? p.config.model.serial_no : null,
    configPath: p.configPath,
    dataplane: p.dataplane,
    pid: p.pid,
    startedAt: p.startedAt.toISOString(),
    lastReloadError: p.lastReloadError,
    problems,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The line logged when the agent begins directing: what it serves and how many operations that took. */
export function runningLine(plan: Pick<Plan, 'services' | 'targetCount' | 'checks'>, operations: number): string {
  const { services, targetCount, checks } = plan;
  const shared = checks.size < targetCount ? ` by ${plural(checks.size, 'check')}` : '';
  return `running: ${plural(services.length, 'service')}, ${plural(targetCount, 'real server')} checked${shared} (${operations} operations)`;
}
