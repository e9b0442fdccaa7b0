// What the checks tell the console: a CheckerInfo per checked real server (its check's state and
// the weight it has in the dataplane), one log line when a check changes state (naming the real
// servers that share it), and `checker` events for each real server whose state or weight in the
// dataplane changed (quiesce, a ramp step). Events are built only while someone listens.
import type { CheckerPool, RealState } from './checkers/pool.ts';
import { describeCheck } from './checkers/check.ts';
import type { Configuration } from './config-state.ts';
import type { DataplaneOp, ServiceKey } from './dataplane/types.ts';
import { realKey, type CheckTarget } from './service-plan.ts';
import type { Table } from './director.ts';
import type { AgentEvent, CheckerInfo } from './protocol/index.ts';
import { checkerToWire } from './wire-map.ts';
import { fewOf } from '../common/listing.ts';

export interface CheckerReportsOptions {
  pool: CheckerPool;
  config(): Configuration;
  /** What the agent has put in the dataplane: each real server's weight there. */
  applied(): Table;
  emit(event: AgentEvent): void;
  /** Whether anyone listens for events (building them is skipped otherwise). */
  listening(): boolean;
  log(message: string): void;
}

/** Real servers named in a log line before the rest are counted. */
const NAMED_IN_LOG = 3;

export class CheckerReports {
  constructor(private readonly opts: CheckerReportsOptions) {}

  /** The wire row of one checked real server, or null when its check has not started. */
  info(t: CheckTarget): CheckerInfo | null {
    const st = this.opts.pool.view(t.check);
    const check = this.opts.config().plan.checks.get(t.check);
    if (!st || !check) return null;
    const weight = this.opts.applied().get(t.serviceKey)?.reals.get(t.realKey)?.weight ?? 0;
    return checkerToWire(t, describeCheck(check.spec), st, weight);
  }

  /**
   * A check changed state: one log line and an event per real server sharing it. Returns the
   * services of those real servers (to re-evaluate), or null for a check no longer configured.
   */
  stateChanged(st: RealState): ServiceKey[] | null {
    const check = this.opts.config().plan.checks.get(st.key);
    if (!check) return null;
    const { targets } = check;
    const why = st.state === 'down' && st.lastError ? `: ${st.lastError}` : '';
    const first = targets[0]!;
    if (targets.length === 1) {
      this.opts.log(`real server ${first.server} (${first.address}:${first.port}) of ${first.virtual} is ${st.state}${why}`);
    } else {
      const named = fewOf(targets.map((t) => `${t.server} of ${t.virtual}`), NAMED_IN_LOG);
      this.opts.log(`real server ${first.address}:${first.port} (${targets.length} real servers: ${named}) is ${st.state}${why}`);
    }
    const services: ServiceKey[] = [];
    const listening = this.opts.listening();
    for (const t of targets) {
      services.push(t.serviceKey);
      if (listening) this.emitInfo(t);
    }
    return services;
  }

  /** After an evaluation: an event for each checked real server whose weight in the dataplane changed. */
  weightsChanged(applied: readonly DataplaneOp[]): void {
    if (!this.opts.listening()) return;
    const plan = this.opts.config().plan;
    for (const op of applied) {
      if (op.op !== 'addReal' && op.op !== 'editReal' && op.op !== 'deleteReal') continue;
      const rk = op.op === 'deleteReal' ? realKey(op.address, op.port) : realKey(op.real.address, op.real.port);
      const t = plan.byKey.get(op.key)?.targets.find((x) => x.realKey === rk);
      if (t) this.emitInfo(t);
    }
  }

  private emitInfo(t: CheckTarget): void {
    const data = this.info(t);
    if (data) this.opts.emit({ event: 'checker', data });
  }
}
