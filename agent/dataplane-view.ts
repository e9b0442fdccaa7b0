// What the dataplane says about this agent's services: its table restricted to the services the
// agent owns (a shared IPVS table may hold others that are none of our business), and the
// per-service problems shown in status, read at most once a second because consoles poll status often.
import type { Dataplane, ServiceKey, ServiceStats } from './dataplane/types.ts';
import type { Problem } from './service-plan.ts';

const PROBLEMS_TTL_MS = 1000;

interface Problems {
  at: number;
  list: Problem[];
  /** The owned services with a problem. */
  keys: Set<ServiceKey>;
}

export class DataplaneView {
  private cached: Problems | null = null;

  constructor(
    private readonly dp: Dataplane,
    private readonly owns: (serviceKey: string) => boolean,
    private readonly now: () => number,
  ) {}

  /** The dataplane's view of the services this agent owns (of `only`, when given), with their counters. */
  async services(only?: ReadonlySet<ServiceKey>): Promise<ServiceStats[]> {
    return (await this.dp.table(only)).filter((s) => this.owns(s.key));
  }

  /** Why owned services carry no traffic (or why the table cannot be read), cached briefly. */
  async problems(): Promise<Problem[]> {
    return (await this.read()).list;
  }

  /** The owned services the dataplane reports a problem for, cached like problems(). */
  async problemKeys(): Promise<ReadonlySet<ServiceKey>> {
    return (await this.read()).keys;
  }

  /** The table changed (operations applied, a new configuration): the next read is fresh. */
  invalidate(): void {
    this.cached = null;
  }

  private async read(): Promise<Problems> {
    const now = this.now();
    const c = this.cached;
    if (c && now - c.at < PROBLEMS_TTL_MS && now >= c.at) return c;
    const list: Problem[] = [];
    const keys = new Set<ServiceKey>();
    try {
      for (const s of await this.dp.problems()) {
        if (!this.owns(s.key)) continue;
        list.push({ service: s.name || s.key, message: s.problem });
        keys.add(s.key);
      }
    } catch (err) {
      list.push({ service: 'dataplane', message: `cannot read the table: ${(err as Error).message}` });
    }
    const fresh = { at: now, list, keys };
    this.cached = fresh;
    return fresh;
  }
}
