// All the health checks of the agent in one process (nanny ran one process per real server).
// Each check has its own schedule: a first check soon after it is added (the first checks of a
// batch are spread at FIRST_CHECKS_PER_SECOND, never over more than one interval, so a table of
// thousands is known within a second or two without a burst), then one check every `timeout`
// seconds, never overlapping itself. TCP checks of IPv4 addresses without a regex are
// scheduled and run by the native addon (native-checks.ts); the others (UDP, send_program, regex,
// host names) are scheduled here and run by check.ts, never more at once than slots.ts allows.
// Results drive nanny's state machine (real-state.ts); the pool tells its listeners of each change.
import { EventEmitter } from 'node:events';
import {
  runCheck,
  startCheck,
  describeCheck,
  effectiveTimeoutSec,
  sameCheck,
  type CheckOutcome,
  type CheckSpec,
  type StartCheck,
  nativeTcpPlan,
} from './check.ts';
import type { RunningProbe } from './tcp.ts';
import { addNativeCheck, removeNativeCheck, setNativeMaxInFlight } from './native-checks.ts';
import { CheckHistory, quoted, type CheckRecord, type Observed } from './history.ts';
import { pendingState, recordVerdict, type RealState } from './real-state.ts';
import { defaultMaxInFlight, WaitQueue } from './slots.ts';

export type { RealState } from './real-state.ts';
export { defaultMaxInFlight } from './slots.ts';
import type { ProbeResult } from './outcome.ts';
import { performance } from 'node:perf_hooks';

export type PoolSpec = CheckSpec & { reentrySec: number };

/**
 * How fast the first checks of newly added servers are spread: a batch of N starts within
 * N / FIRST_CHECKS_PER_SECOND seconds (at most one interval). Well within what the checker
 * sustains (bench/checks), and their schedules stay spread over that window afterwards.
 */
export const FIRST_CHECKS_PER_SECOND = 5000;

/** The timer functions the pool uses; tests inject a fake clock's. */
export interface PoolTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface PoolOptions {
  now?: () => number;
  /** Starts a scheduled check (tests inject a scripted one). */
  start?: StartCheck;
  /** Runs a "check now" with its transcript. */
  run?: typeof runCheck;
  /** Spread the first checks of a batch (see FIRST_CHECKS_PER_SECOND; default true); false starts them at once. */
  jitter?: boolean;
  timers?: PoolTimers;
  /** Source of the jitter, in [0, 1). */
  random?: () => number;
  /**
   * Most scheduled checks running at once; a check due beyond that waits for a free slot (it runs
   * late rather than failing). Default: half of the process's open-file limit left after room for
   * the agent's own files; the other half is the dataplane's (a listening socket per service, two
   * per relayed connection), so running out of descriptors (EMFILE) never marks healthy servers down.
   */
  maxInFlight?: number;
  /**
   * Whether TCP checks run natively (native/checks.c). Default: yes, unless `start` or `timers`
   * is given (the tests that script checks or drive a fake clock).
   */
  native?: boolean;
  /** Called with every verdict, scheduled or "check now" (counters, the checks benchmark). */
  onVerdict?: (ok: boolean, error: string | null) => void;
}

interface Entry {
  spec: PoolSpec;
  state: RealState;
  timer: unknown;
  /** Bumped when the schedule restarts, so the answer of a superseded check is ignored. */
  generation: number;
  /** While down: when the current run of successes began (null after a failure). */
  successSince: number | null;
  /** The next check fell due while this one was still running: it starts as soon as this one ends. */
  overdue: boolean;
  /** The check in flight, cancelled when this schedule ends (removal, changed spec, stop()), so no socket or send_program outlives it. */
  inFlight: RunningProbe | null;
  /** The native check's id while native/checks.c schedules this server, else -1. */
  nativeId: number;
  /** This check's ring in the pool's history. */
  history: number;
  /** performance.now() when the scheduled check in flight started (its latency). */
  startedAt: number;
}


/** Stands for a check while its start() is still running. */
const STARTING: RunningProbe = { cancel() {} };

const realTimers: PoolTimers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    // The pool alone must not keep a process alive; the agent's socket server does that.
    t.unref();
    return t;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

function crashMessage(err: unknown): string {
  return `check crashed: ${(err as Error)?.message ?? String(err)}`;
}

function failedOutcome(spec: CheckSpec, err: unknown): CheckOutcome {
  return {
    ok: false,
    sent: '',
    received: '',
    error: crashMessage(err),
    durationMs: 0,
    description: describeCheck(spec),
  };
}

export class CheckerPool extends EventEmitter {
  private readonly entries = new Map<string, Entry>();
  private readonly history = new CheckHistory();
  private readonly now: () => number;
  private readonly start: StartCheck;
  private readonly run: typeof runCheck;
  private readonly jitter: boolean;
  private readonly timers: PoolTimers;
  private readonly random: () => number;
  private readonly maxInFlight: number;
  private readonly native: boolean;
  private readonly onVerdict: ((ok: boolean, error: string | null) => void) | null;
  private running = 0;
  /** Checks due while maxInFlight were running, oldest first. */
  private readonly waiting = new WaitQueue<{ entry: Entry; generation: number }>();

  constructor(opts: PoolOptions = {}) {
    super();
    this.now = opts.now ?? Date.now;
    this.start = opts.start ?? startCheck;
    this.run = opts.run ?? runCheck;
    this.jitter = opts.jitter ?? true;
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? defaultMaxInFlight());
    this.native = opts.native ?? (opts.start === undefined && opts.timers === undefined);
    this.onVerdict = opts.onVerdict ?? null;
    // The native checks have their own slots: a TCP check holds a socket either way.
    if (this.native) setNativeMaxInFlight(this.maxInFlight);
  }

  /** Adds new keys, removes missing ones, keeps the state of the others; a changed check restarts its schedule. */
  update(specs: PoolSpec[]): void {
    const wanted = new Map<string, PoolSpec>();
    for (const s of specs) wanted.set(s.key, s);
    for (const [key, entry] of this.entries) {
      if (!wanted.has(key)) {
        this.cancel(entry);
        this.history.release(entry.history);
        this.entries.delete(key);
      }
    }
    let added = 0;
    for (const key of wanted.keys()) if (!this.entries.has(key)) added++;
    const spreadMs = (added * 1000) / FIRST_CHECKS_PER_SECOND;
    for (const [key, spec] of wanted) {
      const entry = this.entries.get(key);
      if (!entry) {
        const t = this.now();
        const fresh: Entry = {
          spec,
          state: pendingState(key, t),
          timer: null,
          generation: 0,
          successSince: null,
          overdue: false,
          inFlight: null,
          nativeId: -1,
          history: this.history.open(),
          startedAt: 0,
        };
        this.entries.set(key, fresh);
        this.begin(fresh, spreadMs);
      } else if (sameCheck(entry.spec, spec)) {
        entry.spec = spec;
      } else {
        this.cancel(entry);
        // Results of the check as it was would read as this one's.
        this.history.clear(entry.history);
        entry.spec = spec;
        this.begin(entry, spreadMs);
      }
    }
  }

  /** Copies of every check's state. */
  states(): RealState[] {
    return Array.from(this.entries.values(), (e) => ({ ...e.state }));
  }

  /** The state of one check as the pool holds it (read it, do not keep it: it changes in place). */
  view(key: string): Readonly<RealState> | undefined {
    return this.entries.get(key)?.state;
  }

  /** Checks in the pool. */
  get size(): number {
    return this.entries.size;
  }

  /** One checker's state (a copy), undefined when `key` is not checked. */
  stateOf(key: string): RealState | undefined {
    const e = this.entries.get(key);
    return e === undefined ? undefined : { ...e.state };
  }

  /** The last results of `key`'s check, newest first; undefined when `key` is not checked. */
  historyOf(key: string): CheckRecord[] | undefined {
    const e = this.entries.get(key);
    return e === undefined ? undefined : this.history.read(e.history);
  }

  /**
   * Runs one check of `key` now and returns its transcript. The schedule is left alone; the result
   * is recorded like any other, since it is as real an observation as a scheduled one.
   */
  async checkNow(key: string): Promise<CheckOutcome> {
    const entry = this.entries.get(key);
    if (!entry) throw new Error(`no health check for ${key}`);
    const generation = entry.generation;
    let outcome: CheckOutcome;
    try {
      outcome = await this.run(entry.spec);
    } catch (err) {
      outcome = failedOutcome(entry.spec, err);
    }
    if (this.entries.get(key) === entry && entry.generation === generation) {
      this.record(entry, outcome.ok, outcome.error, { latencyMs: outcome.durationMs, received: outcome.received, exitCode: outcome.exitCode });
    }
    return outcome;
  }

  stop(): void {
    for (const entry of this.entries.values()) {
      this.cancel(entry);
      this.history.release(entry.history);
    }
    this.entries.clear();
    this.waiting.clear();
  }

  private intervalMs(spec: CheckSpec): number {
    return effectiveTimeoutSec(spec.timeoutSec) * 1000;
  }

  /** Starts a check's schedule, its first check within `spreadMs` (and never later than one interval). */
  private begin(entry: Entry, spreadMs: number): void {
    const delay = this.jitter ? Math.floor(this.random() * Math.min(spreadMs, this.intervalMs(entry.spec))) : 0;
    const plan = this.native ? nativeTcpPlan(entry.spec) : null;
    if (plan === null) {
      this.schedule(entry, delay);
      return;
    }
    const generation = entry.generation;
    // A passing check read exactly the expected bytes: those are what it received.
    const matched = plan.expect === null ? '' : quoted(plan.expect);
    entry.nativeId = addNativeCheck(plan, this.intervalMs(entry.spec), delay, (ok, error, micros, received) => {
      if (entry.generation === generation) this.record(entry, ok, error, { latencyMs: micros / 1000, received: ok ? matched : quoted(received) });
    });
  }

  private schedule(entry: Entry, delay: number): void {
    const generation = entry.generation;
    entry.timer = this.timers.set(() => this.fire(entry, generation), delay);
  }

  private cancel(entry: Entry): void {
    entry.generation++;
    if (entry.timer !== null) this.timers.clear(entry.timer);
    entry.timer = null;
    entry.overdue = false;
    if (entry.nativeId >= 0) removeNativeCheck(entry.nativeId);
    entry.nativeId = -1;
    const inFlight = entry.inFlight;
    entry.inFlight = null;
    inFlight?.cancel();
  }

  private fire(entry: Entry, generation: number): void {
    if (entry.generation !== generation) return;
    entry.timer = null;
    if (entry.inFlight !== null) {
      // Never overlap: a slow check is followed at once by the next, when it ends.
      entry.overdue = true;
      return;
    }
    if (this.running >= this.maxInFlight) {
      this.waiting.push({ entry, generation });
      return;
    }
    this.launch(entry, generation);
  }

  /** Starts the oldest waiting checks that are still current, while slots are free. */
  private drain(): void {
    while (this.running < this.maxInFlight && this.waiting.length > 0) {
      const { entry, generation } = this.waiting.shift()!;
      if (entry.generation === generation) this.launch(entry, generation);
    }
  }

  private launch(entry: Entry, generation: number): void {
    this.running++;
    // Fixed rate from the start of each check. The next one is timed now, with the same delay for
    // every check of this interval: Node keeps one timer list per distinct delay, and delays of
    // "interval minus how long this check took" made thousands of lists come and go each second.
    this.schedule(entry, this.intervalMs(entry.spec));
    // Marked as running before start() returns (its callback always runs on a later turn).
    entry.inFlight = STARTING;
    entry.startedAt = performance.now();
    try {
      // An inline callback, not a named closure: tsx names every named function it creates, and
      // this one is created ten thousand times a second. start() calls it exactly once.
      entry.inFlight = this.start(entry.spec, (ok, error, result) => this.finished(entry, generation, ok, error, result));
    } catch (err) {
      process.nextTick(() => this.finished(entry, generation, false, crashMessage(err)));
    }
  }

  /** A check ended: free its slot, record the verdict, and start the next one if it is already due. */
  private finished(entry: Entry, generation: number, ok: boolean, error: string | null, result?: ProbeResult): void {
    this.running--;
    this.drain();
    if (entry.generation !== generation) return;
    entry.inFlight = null;
    const latencyMs = performance.now() - entry.startedAt;
    this.record(entry, ok, error, { latencyMs, received: quoted(result?.received), exitCode: result?.exitCode });
    if (entry.overdue) {
      entry.overdue = false;
      this.fire(entry, generation);
    }
  }

  private record(entry: Entry, ok: boolean, error: string | null, seen: Observed = { latencyMs: 0 }): void {
    this.onVerdict?.(ok, error);
    const t = this.now();
    const s = entry.state;
    const changed = recordVerdict(s, entry, entry.spec.reentrySec, { ok, error, latencyMs: seen.latencyMs }, t);
    this.history.add(entry.history, { at: t, ok, latencyMs: seen.latencyMs, received: seen.received, exitCode: seen.exitCode, error: s.lastError });
    if (changed) this.emit('change', { ...s });
  }
}
