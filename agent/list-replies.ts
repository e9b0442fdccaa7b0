// The replies of `table` and `checkers`: the agent's services and checked real servers filtered,
// ordered and paged by listing.ts, with the summary of the whole table. Counters are read from the
// dataplane for the rows of the page alone, a few services at a time, and rows stop once the reply
// would pass MAX_LIST_REPLY_BYTES, so a page costs what it shows, not what the table holds.
import type { CheckerPool } from './checkers/pool.ts';
import type { Configuration } from './config-state.ts';
import type { ServiceKey } from './dataplane/types.ts';
import type { DataplaneView } from './dataplane-view.ts';
import type { Table } from './director.ts';
import type { CheckerReports } from './checker-reports.ts';
import { ReplyBudget, selectCheckers, selectServices, type ServiceEntry, type StateCounts } from './listing.ts';
import type { CheckerInfo, CheckersParams, CheckersResult, ListSummary, ServiceStats, TableParams, TableResult } from './protocol/index.ts';
import { MAX_LIST_REPLY_BYTES } from './protocol/index.ts';
import { serviceToWire } from './wire-map.ts';

/** Services whose counters are read from the dataplane at once while filling a reply. */
const STATS_CHUNK = 64;

export interface ListSources {
  config(): Configuration;
  /** What the agent has put in the dataplane (the services it owns). */
  applied(): Table;
  /** Services with a refused operation. */
  failing(): Iterable<ServiceKey>;
  pool: CheckerPool;
  view: DataplaneView;
  reports: CheckerReports;
}

export class ListReplies {
  constructor(
    private readonly src: ListSources,
    /** Bytes of rows one reply may carry (MAX_LIST_REPLY_BYTES; tests pass less). */
    private readonly budget = MAX_LIST_REPLY_BYTES,
  ) {}

  /** Counts of the whole table and of every check, whatever the filters. */
  async summary(problems?: ReadonlySet<ServiceKey>): Promise<ListSummary> {
    const applied = this.src.applied();
    problems ??= await this.problemKeys();
    let problem = 0;
    let inTable = 0;
    for (const [key, s] of applied) {
      if (problems.has(key)) problem++;
      inTable += s.reals.size;
    }
    const plan = this.src.config().plan;
    return { services: { total: applied.size, problem }, reals: { checked: plan.targetCount, ...this.stateCounts(false), inTable } };
  }

  /**
   * Checked real servers in each state, counted per check (a check shared by many real servers
   * counts for each of them). `started`: only checks that have started (the rows `checkers` lists);
   * else a check not started yet counts as pending.
   */
  private stateCounts(started: boolean): StateCounts {
    const counts: StateCounts = { up: 0, down: 0, pending: 0 };
    for (const [key, c] of this.src.config().plan.checks) {
      const st = this.src.pool.view(key)?.state;
      if (st !== undefined) counts[st] += c.targets.length;
      else if (!started) counts.pending += c.targets.length;
    }
    return counts;
  }

  async table(p: TableParams): Promise<TableResult> {
    const problems = await this.problemKeys();
    const summary = await this.summary(problems);
    const { rows, total, offset } = selectServices(this.serviceEntries(problems), p);
    const budget = new ReplyBudget(this.budget);
    const services: ServiceStats[] = [];
    for (let i = 0; i < rows.length && !budget.truncated; i += STATS_CHUNK) {
      const chunk = rows.slice(i, i + STATS_CHUNK);
      const stats = new Map((await this.src.view.services(new Set(chunk.map((r) => r.key)))).map((s) => [s.key, s]));
      for (const r of chunk) {
        const s = stats.get(r.key);
        if (!s) continue;
        const row = serviceToWire(s);
        if (!budget.take(row)) break;
        services.push(row);
      }
    }
    return { services, summary, page: { offset, total, truncated: budget.truncated } };
  }

  async checkers(p: CheckersParams): Promise<CheckersResult> {
    const summary = await this.summary();
    const pool = this.src.pool;
    const { rows, total, offset } = selectCheckers(this.src.config().plan.services, (check) => pool.view(check)?.state, p, this.stateCounts(true));
    const budget = new ReplyBudget(this.budget);
    const checkers: CheckerInfo[] = [];
    for (const t of rows) {
      const info = this.src.reports.info(t);
      if (!info) continue;
      if (!budget.take(info)) break;
      checkers.push(info);
    }
    return { checkers, summary, page: { offset, total, truncated: budget.truncated } };
  }

  private async problemKeys(): Promise<Set<ServiceKey>> {
    const keys = new Set(await this.src.view.problemKeys());
    for (const k of this.src.failing()) keys.add(k);
    return keys;
  }

  /** Every service the agent owns, in lvs.cf's order (services no longer planned last). */
  private serviceEntries(problems: ReadonlySet<ServiceKey>): ServiceEntry[] {
    const plan = this.src.config().plan;
    const table = this.src.applied();
    const out: ServiceEntry[] = [];
    for (const planned of plan.services) {
      const applied = table.get(planned.spec.key);
      if (applied) out.push({ key: planned.spec.key, applied, planned, order: planned.virtualIndex, problem: problems.has(planned.spec.key) });
    }
    let late = plan.services.length;
    for (const [key, applied] of table) {
      if (!plan.byKey.has(key)) out.push({ key, applied, planned: undefined, order: late++, problem: problems.has(key) });
    }
    return out;
  }
}
