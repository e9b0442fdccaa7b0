// What the dataplane says about this agent's services: its table filtered to the services the agent
// owns (a shared IPVS table may hold others that are none of our business), and the per-service
// problems shown in status, read at most once a second because consoles poll status often.
import type { Dataplane, ServiceStats } from './dataplane/types.ts';
import type { Problem } from './director.ts';

const PROBLEMS_TTL_MS = 1000;

export class DataplaneView {
  private cached: { at: number; list: Problem[] } | null = null;

  constructor(
    private readonly dp: Dataplane,
    private readonly owns: (serviceKey: string) => boolean,
    private readonly now: () => number,
  ) {}

  /** The dataplane's view of the services this agent owns (only `keys` when given), with their counters. */
  async services(keys?: ReadonlySet<string>): Promise<ServiceStats[]> {
    return (await this.dp.table(keys)).filter((s) => this.owns(s.key));
  }

  /** Why owned services carry no traffic (or why the table cannot be read), cached briefly. */
  async problems(): Promise<Problem[]> {
    const now = this.now();
    const c = this.cached;
    if (c && now - c.at < PROBLEMS_TTL_MS && now >= c.at) return c.list;
    const list: Problem[] = [];
    try {
      for (const s of await this.dp.table()) {
        if (s.problem && this.owns(s.key)) list.push({ service: s.name || s.key, message: s.problem });
      }
    } catch (err) {
      list.push({ service: 'dataplane', message: `cannot read the table: ${(err as Error).message}` });
    }
    this.cached = { at: now, list };
    return list;
  }

  /** The table changed (operations applied, a new configuration): the next read is fresh. */
  invalidate(): void {
    this.cached = null;
  }
}
