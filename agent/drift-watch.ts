// Watches a shared dataplane table (the kernel's IPVS table) for changes made outside Piranha, and
// repairs them when asked. It polls the live table every few seconds (longer when reading a large
// table takes long), keeps the last finding for `drift` and CONTROL/MONITORING, logs each change of
// it and tells subscribers.
//
// Drift is never corrected on its own: an administrator who changed the table by hand may be in the
// middle of something (taking a server out for a minute, testing a weight), and an agent that undid
// it behind their back within seconds would fight them. The agent reports it and restores the
// applied table only on an explicit `reconcile` (the RECONCILE button), with the minimal operations.
// Its own evaluations keep working from what it applied, so an operation on a real server removed
// by hand fails with the kernel's reason (shown in status.problems) until the table is reconciled.
import type { Applier } from './applier.ts';
import type { DataplaneView } from './dataplane-view.ts';
import type { ReconcileLoop } from './reconcile-loop.ts';
import type { DataplaneOp } from './dataplane/types.ts';
import { describeOp } from './director.ts';
import { findDrift, type DriftEntry } from './drift.ts';
import { fewOf } from '../common/listing.ts';

/** How often the live table is compared at least; see nextDelay for large tables. */
export const DRIFT_POLL_MS = 5000;
/** A poll may take at most this share of the time (a 10,000-service table takes seconds to read). */
const POLL_SHARE = 10;
/** Differences named in the log line; the socket and CONTROL list them all. */
const NAMED_IN_LOG = 5;

export interface DriftReport {
  /** Whether this dataplane's table can change outside Piranha (false: drift is always none). */
  watched: boolean;
  /** When the live table was last compared (ms since the epoch), null before the first poll. */
  checkedAt: number | null;
  entries: DriftEntry[];
  /** How many operations `reconcile` would apply. */
  operations: number;
  /** Why the live table could not be read at the last poll, else null. */
  error: string | null;
}

export interface RepairResult {
  operations: number;
  failed: { service: string; message: string }[];
  /** The drift found after the repair (none when every operation was applied). */
  after: DriftReport;
}

export interface DriftWatchOptions {
  /** false for a table only this agent can change (the userspace dataplane): no polls, no drift. */
  watched: boolean;
  /** The live view of the services this agent owns (invalidated after a repair). */
  view: Pick<DataplaneView, 'services' | 'invalidate'>;
  /** What this agent applied; repairs are applied through it, like the agent's own operations. */
  applier: Pick<Applier, 'applied' | 'apply'>;
  /** Polls and repairs run between the agent's own evaluations. */
  loop: Pick<ReconcileLoop, 'exclusive'>;
  /** The service keys of the configuration in use (refusals of others are forgotten). */
  planned(): ReadonlySet<string>;
  now(): number;
  log(message: string): void;
  /** The finding changed (new entries, drift gone, the table unreadable). */
  onChange(report: DriftReport): void;
}

export class DriftWatch {
  private report: DriftReport;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(private readonly opts: DriftWatchOptions) {
    this.report = { watched: opts.watched, checkedAt: null, entries: [], operations: 0, error: null };
  }

  /** The last finding (CONTROL/MONITORING polls this often; it costs no read of the table). */
  get last(): DriftReport {
    return this.report;
  }

  /** Starts polling (a watched table only). */
  start(): void {
    if (!this.opts.watched || !this.stopped) return;
    this.stopped = false;
    this.schedule(DRIFT_POLL_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Compares the live table with the applied one now (the `drift` call: one poll). */
  check(): Promise<DriftReport> {
    if (!this.opts.watched) return Promise.resolve(this.report);
    return this.opts.loop.exclusive(async () => (await this.compare()).report);
  }

  /** Restores the applied table: the operations of a fresh comparison, applied as one batch. */
  repair(): Promise<RepairResult> {
    if (!this.opts.watched) return Promise.resolve({ operations: 0, failed: [], after: this.report });
    return this.opts.loop.exclusive(async () => {
      const { ops, report } = await this.compare();
      if (report.error !== null) throw new Error(`cannot read the table to reconcile it: ${report.error}`);
      if (ops.length === 0) {
        this.opts.log('reconcile: the table is as Piranha applied it; nothing to do');
        return { operations: 0, failed: [], after: report };
      }
      const planned = this.opts.planned();
      const applied = await this.opts.applier.apply(ops, (key) => planned.has(key));
      this.opts.view.invalidate();
      const failed = applied.failed.map((f) => ({ service: f.op.op === 'addService' || f.op.op === 'editService' ? f.op.service.key : f.op.key, message: `${describeOp(f.op)} failed: ${f.message}` }));
      this.opts.log(`reconcile: ${applied.applied.length} of ${ops.length} operation${ops.length === 1 ? '' : 's'} restored the table Piranha applied${failed.length ? ` (${failed.length} refused)` : ''}`);
      return { operations: ops.length, failed, after: (await this.compare()).report };
    });
  }

  private async compare(): Promise<{ report: DriftReport; ops: DataplaneOp[] }> {
    const applied = this.opts.applier.applied;
    let next: DriftReport;
    let ops: DataplaneOp[] = [];
    try {
      const drift = applied.size === 0 ? { entries: [], ops: [] } : findDrift(applied, await this.opts.view.services());
      ops = drift.ops;
      next = { watched: true, checkedAt: this.opts.now(), entries: drift.entries, operations: ops.length, error: null };
    } catch (err) {
      next = { watched: true, checkedAt: this.opts.now(), entries: [], operations: 0, error: (err as Error).message };
    }
    const prev = this.report;
    this.report = next;
    if (changed(prev, next)) {
      if (next.error !== null) this.opts.log(`drift: cannot read the table: ${next.error}`);
      else if (next.entries.length === 0) this.opts.log('drift: none (the table is as Piranha applied it)');
      else this.opts.log(`drift: the table differs from what Piranha applied (${next.operations} operation${next.operations === 1 ? '' : 's'} to reconcile): ${fewOf(next.entries.map((e) => e.text), NAMED_IN_LOG, '; ')}`);
      this.opts.onChange(next);
    }
    return { report: next, ops };
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const began = this.opts.now();
      void this.check().then(
        () => this.schedule(Math.max(DRIFT_POLL_MS, (this.opts.now() - began) * POLL_SHARE)),
        () => this.schedule(DRIFT_POLL_MS),
      );
    }, delay);
    this.timer.unref();
  }
}

function changed(a: DriftReport, b: DriftReport): boolean {
  if (a.error !== b.error) return true;
  const texts = (r: DriftReport) => r.entries.map((e) => e.text).join('\n');
  return texts(a) !== texts(b) || (a.checkedAt === null && b.entries.length > 0);
}
