// When the dataplane is reconciled: at every start, stop and reload (run()), shortly after a
// checker changes state (soon(), coalescing a burst of changes into one evaluation), and every few
// seconds while a re-entered server's weight is still ramping, and again after a backoff while the
// dataplane refuses operations (a kernel module loaded later, an address that appears later: the
// agent must converge on its own, as nanny did, without waiting for an unrelated checker event).
// Evaluations run one at a time, each against what the previous one applied.
import type { Applier } from './applier.ts';
import { reconcile, type ReconcileInput } from './reconciler.ts';

/** How often the table is re-evaluated while a weight ramp is in progress (nanny stepped every ~20 s). */
export const RAMP_TICK_MS = 5000;
/** Checker changes arriving within this window are applied together (one diff, not one per server). */
const COALESCE_MS = 10;
/** First retry after a refusal; doubled at each refusal in a row up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 10_000;

export interface ReconcileLoopOptions {
  applier: Applier;
  /** What to reconcile against, read when each evaluation runs. */
  input(): ReconcileInput;
  /** The weights given to checked servers after an evaluation, with those before (for checker events). */
  onWeights(next: ReadonlyMap<string, number>, prev: ReadonlyMap<string, number>): void;
  /** Called after each evaluation that applied operations (cached reads of the dataplane are stale). */
  onApplied(): void;
  log(message: string): void;
}

export class ReconcileLoop {
  private chain: Promise<unknown> = Promise.resolve();
  private coalesceTimer: NodeJS.Timeout | null = null;
  private rampTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay = RETRY_FIRST_MS;
  private current: ReadonlyMap<string, number> = new Map();

  constructor(private readonly opts: ReconcileLoopOptions) {}

  /** Weight each checked server has in the dataplane now. */
  get weights(): ReadonlyMap<string, number> {
    return this.current;
  }

  /** Evaluates now (after any evaluation in progress); resolves with the number of operations. */
  run(): Promise<number> {
    const next = this.chain.then(() => this.once());
    this.chain = next.catch((err) => this.opts.log(`internal error while applying the table: ${(err as Error).message}`));
    return next;
  }

  /**
   * Runs `task` between evaluations, never during one: it sees the dataplane as the last
   * evaluation left it (a read of the live table mid-batch would report changes in flight as drift).
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task);
    this.chain = next.catch(() => {});
    return next;
  }

  /** Evaluates shortly, once for a burst of calls; nothing while the agent is not directing. */
  soon(): void {
    if (this.coalesceTimer || !this.opts.input().directing) return;
    this.coalesceTimer = setTimeout(() => {
      this.coalesceTimer = null;
      void this.run();
    }, COALESCE_MS);
  }

  /** Cancels pending evaluations (the agent stopped directing). */
  clearTimers(): void {
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer);
    if (this.rampTimer) clearTimeout(this.rampTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.coalesceTimer = null;
    this.rampTimer = null;
    this.retryTimer = null;
    this.retryDelay = RETRY_FIRST_MS;
  }

  /** Resolves when the evaluations queued so far have finished. */
  idle(): Promise<void> {
    return this.chain.then(
      () => undefined,
      () => undefined,
    );
  }

  private async once(): Promise<number> {
    const input = this.opts.input();
    const { ops, weights, rampInProgress } = reconcile(input, this.opts.applier.applied);
    if (ops.length > 0) {
      const planned = new Set(input.config.plan.services.map((s) => s.spec.key));
      await this.opts.applier.apply(ops, (key) => planned.has(key));
      this.opts.onApplied();
    }
    const prev = this.current;
    this.current = weights;
    this.opts.onWeights(weights, prev);
    this.scheduleRamp(rampInProgress, input.directing);
    this.scheduleRetry(this.opts.applier.failures().length > 0, input.directing);
    return ops.length;
  }

  private scheduleRetry(refused: boolean, directing: boolean): void {
    if (!refused) {
      this.retryDelay = RETRY_FIRST_MS;
      return;
    }
    if (this.retryTimer || !directing) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.opts.input().directing) void this.run();
    }, delay);
    this.retryTimer.unref();
  }

  private scheduleRamp(inProgress: boolean, directing: boolean): void {
    if (!inProgress || this.rampTimer || !directing) return;
    this.rampTimer = setTimeout(() => {
      this.rampTimer = null;
      if (this.opts.input().directing) void this.run();
    }, RAMP_TICK_MS);
    this.rampTimer.unref();
  }
}
