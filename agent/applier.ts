// Carries a reconciliation's operations out on the dataplane and records what it now owns. The
// dataplane reports each refused operation by its index in the batch: a result is matched to its
// operation by that index, never by object identity (a dataplane validates, and may return, copies
// of the operations it was given), so a refused operation is never recorded as applied and is
// retried at the next evaluation.
import type { ApplyResult, Dataplane, DataplaneOp } from './dataplane/types.ts';
import { describeOp, record, type Table } from './director.ts';
import type { Problem } from './service-plan.ts';

/** Above this many operations the log gets one summary line instead of one line per operation. */
const LOG_OPS_LIMIT = 12;

export interface ApplyReport {
  applied: DataplaneOp[];
  failed: { op: DataplaneOp; message: string }[];
}

/** The service an operation is about. */
export function serviceOfOp(op: DataplaneOp): string {
  return op.op === 'addService' || op.op === 'editService' ? op.service.key : op.key;
}

/**
 * Splits a batch by the dataplane's result: each failure names its operation by index. A failure
 * whose index names no operation of the batch is a dataplane bug; it is returned in `unmatched`
 * rather than attached to a guess.
 */
export function matchResults(ops: readonly DataplaneOp[], result: ApplyResult): ApplyReport & { unmatched: ApplyResult['failures'] } {
  const failedAt = new Map<number, string>();
  const unmatched: ApplyResult['failures'] = [];
  for (const f of result.failures) {
    if (Number.isInteger(f.index) && f.index >= 0 && f.index < ops.length && !failedAt.has(f.index)) failedAt.set(f.index, f.message);
    else unmatched.push(f);
  }
  const applied: DataplaneOp[] = [];
  const failed: ApplyReport['failed'] = [];
  ops.forEach((op, i) => {
    const message = failedAt.get(i);
    if (message === undefined) applied.push(op);
    else failed.push({ op, message });
  });
  return { applied, failed, unmatched };
}

export class Applier {
  /** What this agent has put in the dataplane (and therefore owns): never anything else. */
  readonly applied: Table = new Map();
  /** Operations the dataplane refused, by service key: shown in status, retried at every evaluation. */
  private readonly failing = new Map<string, string>();

  constructor(
    private readonly dp: Dataplane,
    /** Refusals: each logged once per new reason. */
    private readonly log: (message: string) => void,
    /** The operations applied: detail of a change its cause already logged (a check, a reload). */
    private readonly detail: (message: string) => void = () => {},
  ) {}

  /** Whether this agent put the service in the dataplane. */
  owns(key: string): boolean {
    return this.applied.has(key);
  }

  /** The refusals still standing, for status.problems. */
  failures(): Problem[] {
    return [...this.failing].map(([service, message]) => ({ service, message }));
  }

  /** The services with a refused operation (retried at every evaluation). */
  failingServices(): Iterable<string> {
    return this.failing.keys();
  }

  /**
   * Applies `ops` in one batch and records those the dataplane accepted. `planned` says whether a
   * service is still in the configuration: refusals of services that left it are forgotten.
   */
  async apply(ops: DataplaneOp[], planned: (serviceKey: string) => boolean): Promise<ApplyReport> {
    if (ops.length === 0) return { applied: [], failed: [] };
    const { applied, failed, unmatched } = matchResults(ops, await this.dp.apply(ops));
    for (const f of unmatched) this.log(`the ${this.dp.kind} dataplane reported a failure for no operation of the batch (#${f.index} of ${ops.length}): ${f.message}`);
    for (const op of applied) record(this.applied, op);
    const failures = new Map<string, string>();
    for (const { op, message } of failed) {
      const key = serviceOfOp(op);
      const line = `${describeOp(op)} failed: ${message}`;
      // Retried at every evaluation; logged only when the reason is new, to keep one line per change.
      if (this.failing.get(key) !== line) this.log(line);
      failures.set(key, line);
    }
    // Services whose operations all succeeded this time are no longer failing.
    for (const op of ops) {
      const key = serviceOfOp(op);
      if (!failures.has(key)) this.failing.delete(key);
    }
    for (const [k, v] of failures) this.failing.set(k, v);
    for (const k of [...this.failing.keys()]) if (!planned(k)) this.failing.delete(k);
    if (applied.length > 0 && applied.length <= LOG_OPS_LIMIT) for (const op of applied) this.detail(describeOp(op));
    else if (applied.length > 0) this.detail(`applied ${applied.length} dataplane operations (${summarizeOps(applied)})`);
    return { applied, failed };
  }
}

function summarizeOps(ops: DataplaneOp[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op.op, (counts.get(op.op) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}
