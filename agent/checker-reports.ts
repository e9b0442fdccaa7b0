// What the checkers tell the console: one CheckerInfo per checked real server (its state and the
// weight it has in the dataplane), a log line and a `checker` event when a server changes state or
// its weight changes (quiesce, a ramp step).
import type { CheckerPool, RealState } from './checkers/pool.ts';
import type { CheckTarget } from './director.ts';
import type { Configuration } from './config-state.ts';
import type { AgentEvent, CheckNowResult, CheckerInfo } from './protocol/index.ts';
import { findCheckTarget } from './config-state.ts';
import { runCheck } from './checkers/check.ts';
import { checkerToWire } from './wire-map.ts';

export interface CheckerReportsOptions {
  pool: CheckerPool;
  config(): Configuration;
  /** Weight each checked server has in the dataplane now. */
  weights(): ReadonlyMap<string, number>;
  emit(event: AgentEvent): void;
  /** Whether anyone listens for events (building them is skipped otherwise). */
  listening(): boolean;
  log(message: string): void;
}

export class CheckerReports {
  constructor(private readonly opts: CheckerReportsOptions) {}

  /**
   * Runs a real server's check now: through its checker while the agent directs (the result feeds
   * its state like a scheduled check), else directly.
   */
  async checkNow(virtual: string, server: string, directing: boolean): Promise<CheckNowResult> {
    const config = this.opts.config();
    const found = findCheckTarget(config, virtual, server);
    const pooled = directing && config.targetsByKey.has(found.key);
    const o = pooled ? await this.opts.pool.checkNow(found.key) : await runCheck(found.spec);
    return { virtual, server, sent: o.sent, received: o.received, verdict: o.ok ? 'up' : 'down', error: o.error, durationMs: o.durationMs };
  }

  /** Every checked real server of the configuration in use that has a checker. */
  list(): CheckerInfo[] {
    const states = new Map(this.opts.pool.states().map((s) => [s.key, s]));
    const out: CheckerInfo[] = [];
    for (const t of this.opts.config().plan.targets) {
      const st = states.get(t.key);
      if (st) out.push(this.info(t, st));
    }
    return out;
  }

  /** A checker changed state: one log line and one event. Returns false for a server no longer configured. */
  stateChanged(st: RealState): boolean {
    const t = this.opts.config().targetsByKey.get(st.key);
    if (!t) return false;
    const why = st.state === 'down' && st.lastError ? `: ${st.lastError}` : '';
    this.opts.log(`real server ${t.server} (${t.spec.address}:${t.spec.port}) of ${t.virtual} is ${st.state}${why}`);
    this.opts.emit({ event: 'checker', data: this.info(t, st) });
    return true;
  }

  /** After an evaluation: an event for each checked server whose weight in the dataplane changed. */
  weightsChanged(next: ReadonlyMap<string, number>, prev: ReadonlyMap<string, number>): void {
    if (!this.opts.listening()) return;
    const states = new Map(this.opts.pool.states().map((s) => [s.key, s]));
    const targets = this.opts.config().targetsByKey;
    for (const [key, w] of next) {
      if (prev.get(key) === w) continue;
      const t = targets.get(key);
      const st = states.get(key);
      if (t && st) this.opts.emit({ event: 'checker', data: this.info(t, st) });
    }
  }

  private info(t: CheckTarget, st: RealState): CheckerInfo {
    return checkerToWire(t, st, this.opts.weights().get(t.key) ?? 0);
  }
}
