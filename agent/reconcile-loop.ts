// When the dataplane is reconciled, and which services each evaluation looks at. An evaluation runs
// at every start, stop and reload (run()), shortly after a check changes state (soon(), coalescing
// a burst of changes into one evaluation), every few seconds while a re-entered server's weight is
// still ramping, and again after a backoff while the dataplane refuses operations (a kernel module
// loaded later, an address that appears later: the agent must converge on its own, as nanny did,
// without waiting for an unrelated check event). Evaluations run one at a time, each against what
// the previous one applied.
//
// An evaluation looks only at the services that may have changed since the last one: those the
// agent touched (a changed check's services, a reload's changed services), those still ramping,
// and those whose operations the dataplane refused (retried at every evaluation). touchAll() makes
// the next one look at every service (start, stop, a configuration planned from scratch). So a
// check that changes state on a table of 200,000 real servers costs the work of its own services.
import type { Applier } from './applier.ts';
import type { DataplaneOp, ServiceKey } from './dataplane/types.ts';
import { desiredService, diffService, type CheckStates } from './director.ts';
import type { Configuration } from './config-state.ts';

/** How often the table is re-evaluated while a weight ramp is in progress (nanny stepped every ~20 s). */
export const RAMP_TICK_MS = 5000;
/** Check changes arriving within this window are applied together (one evaluation, not one per check). */
const COALESCE_MS = 10;
/** First retry after a refusal; doubled at each refusal in a row up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 10_000;

export interface LoopInput {
  config: Configuration;
  /** false when the agent is not directing: the wanted table is then empty (our services removed). */
  directing: boolean;
  /** The checks' states by check key. */
  states: CheckStates;
  now: number;
}

export interface ReconcileLoopOptions {
  applier: Applier;
  /** What to reconcile against, read when each evaluation runs. */
  input(): LoopInput;
  /** Called after each evaluation that applied operations, with those the dataplane accepted. */
  onApplied(applied: DataplaneOp[]): void;
  log(message: string): void;
}

export class ReconcileLoop {
  private chain: Promise<unknown> = Promise.resolve();
  private coalesceTimer: NodeJS.Timeout | null = null;
  private rampTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay = RETRY_FIRST_MS;
  /** The next evaluation looks at every service. */
  private everything = true;
  /** Services the next evaluation looks at. */
  private touched = new Set<ServiceKey>();
  /** Services with a re-entered server still ramping: looked at by every evaluation until done. */
  private readonly ramping = new Set<ServiceKey>();

  constructor(private readonly opts: ReconcileLoopOptions) {}

  /** The next evaluation looks at every service this agent has or plans. */
  touchAll(): void {
    this.everything = true;
  }

  /** The next evaluation looks at these services too. */
  touch(keys: Iterable<ServiceKey>): void {
    if (this.everything) return;
    for (const k of keys) this.touched.add(k);
  }

  /** The next evaluation looks at the services a newly adopted configuration changed ('all': every one). */
  lookAt(changed: Iterable<ServiceKey> | 'all'): void {
    if (changed === 'all') this.touchAll();
    else this.touch(changed);
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

  /** The services the evaluation starting now looks at (and forgets that they were touched). */
  private take(input: LoopInput): Iterable<ServiceKey> {
    const applier = this.opts.applier;
    let keys: Set<ServiceKey>;
    if (this.everything) {
      keys = new Set(applier.applied.keys());
      if (input.directing) for (const k of input.config.plan.byKey.keys()) keys.add(k);
    } else {
      keys = this.touched;
      for (const k of this.ramping) keys.add(k);
      for (const k of applier.failingServices()) keys.add(k);
    }
    this.everything = false;
    this.touched = new Set();
    return keys;
  }

  private async once(): Promise<number> {
    const input = this.opts.input();
    const { plan } = input.config;
    const applied = this.opts.applier.applied;
    const removals: DataplaneOp[] = [];
    const changes: DataplaneOp[] = [];
    for (const key of this.take(input)) {
      const ps = input.directing && input.config.model ? plan.byKey.get(key) : undefined;
      if (ps === undefined) {
        this.ramping.delete(key);
        diffService(key, applied.get(key), undefined, removals);
        continue;
      }
      const want = desiredService(ps, plan.method, input.states, input.now);
      if (want.ramping) this.ramping.add(key);
      else this.ramping.delete(key);
      diffService(key, applied.get(key), want.service, changes);
    }
    // Removed services first, freeing their keys and addresses.
    const ops = removals.length === 0 ? changes : [...removals, ...changes];
    if (ops.length > 0) {
      const report = await this.opts.applier.apply(ops, (key) => plan.byKey.has(key));
      this.opts.onApplied(report.applied);
    }
    this.scheduleRamp(input.directing);
    this.scheduleRetry(!this.opts.applier.failingServices()[Symbol.iterator]().next().done, input.directing);
    return ops.length;
  }

  /** While operations stand refused, evaluates again (the failing services) after a growing delay. */
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

  private scheduleRamp(directing: boolean): void {
    if (this.ramping.size === 0 || this.rampTimer || !directing) return;
    this.rampTimer = setTimeout(() => {
      this.rampTimer = null;
      if (this.opts.input().directing) void this.run();
    }, RAMP_TICK_MS);
    this.rampTimer.unref();
  }
}
