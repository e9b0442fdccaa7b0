// The console's connection to the agent. One persistent connection, re-opened on demand after the
// agent goes away. Every answer is either data or the reason the agent could not be asked, so the
// CONTROL/MONITORING panel can say "The agent is not reachable at PATH: <reason>" and the rest of the
// console keeps working. Concurrent page views of the same view (search, pages) share one in-flight
// request for each read (the snapshot, the traffic, the pair's status: single flight), which keeps
// the panel cheap under load while every view still shows live data. A snapshot asks for one page of the table and of the checks, with the summary
// of the whole, so a page of a 200,000-real-server router moves what it shows, not the table. The client checks
// every answer against the protocol's schemas: one that does not fit comes back as a failed answer
// with code E_BAD_REPLY and the field named, shown like any other agent error.
import { AgentClient } from '../agent/client.ts';
import type { CheckersParams, CheckersResult, CheckHistoryResult, SeriesResult, CheckNowResult, DriftResult, HaStatus, Methods, PlanParams, PlanResult, ReconcileResult, ReloadResult, RouterSettingsResult, ServiceStats, StatusResult, TableParams, TableResult } from '../agent/protocol/index.ts';
import { AgentHealth } from './agent-health.ts';

/** How long a page waits for the agent before it says the agent does not answer (default). */
export const PAGE_TIMEOUT_MS = 2000;

export type AgentAnswer<T> = { ok: true; data: T } | { ok: false; reason: string; code?: string };

/** What a view of CONTROL/MONITORING asks for: a page of the table, a page of the checks, and the checks that are down. */
export interface SnapshotView {
  table: TableParams;
  checkers: CheckersParams;
  down: CheckersParams;
}

export const WHOLE_VIEW: SnapshotView = { table: {}, checkers: {}, down: { state: 'down', limit: 0 } };

export interface AgentSnapshot {
  status: StatusResult;
  table: TableResult;
  checkers: CheckersResult;
  /** The real servers whose check is down (the page of them the view asked for). */
  down: CheckersResult;
  /**
   * Redundancy, asked alongside: its own answer, so an agent that cannot tell (an older one without
   * haStatus) still gives CONTROL/MONITORING its tables, with the reason in place of the summary.
   */
  ha: AgentAnswer<HaStatus | null>;
}

export class AgentLink {
  private client: AgentClient | null = null;
  private connecting: Promise<AgentClient> | null = null;
  /** The read-only calls under way, by method and parameters: concurrent page views share them. */
  private readonly inflight = new Map<string, Promise<AgentAnswer<unknown>>>();

  /** Whether the agent answers, from every call made through this link (and the watchdog's). */
  readonly health = new AgentHealth();

  constructor(
    readonly socketPath: string | null,
    private readonly timeoutMs = 5000,
    /** What a page waits at most for the agent (shorter than timeoutMs: a hung agent must not hang pages). */
    readonly pageTimeoutMs = PAGE_TIMEOUT_MS,
  ) {}

  async snapshot(view: SnapshotView = WHOLE_VIEW): Promise<AgentAnswer<AgentSnapshot>> {
    return this.forPage(this.singleFlight(`snapshot ${JSON.stringify(view)}`, () => this.fetchSnapshot(view)));
  }

  /** The call under way with the same key, or a new one: one agent call serves every page view asking meanwhile. */
  private singleFlight<T>(key: string, call: () => Promise<AgentAnswer<T>>): Promise<AgentAnswer<T>> {
    let flight = this.inflight.get(key) as Promise<AgentAnswer<T>> | undefined;
    if (!flight) {
      flight = call().finally(() => this.inflight.delete(key));
      this.inflight.set(key, flight);
    }
    return flight;
  }

  /** A real server's check history (the check history page, the REAL SERVER panel). */
  checkHistory(virtual: string, server: string): Promise<AgentAnswer<CheckHistoryResult>> {
    return this.forPage(this.ask('checkHistory', { virtual, server }));
  }

  /** The sampled traffic of some virtual servers (the TRAFFIC section of CONTROL/MONITORING), with their real servers' when `reals`. */
  series(virtuals: string[], reals: boolean): Promise<AgentAnswer<SeriesResult>> {
    return this.forPage(this.singleFlight(`series ${reals} ${JSON.stringify(virtuals)}`, () => this.ask('series', { virtuals, reals })));
  }

  /** The agent's status, for the watchdog's probe: always cut at pageTimeoutMs. */
  probe(): Promise<AgentAnswer<StatusResult>> {
    return this.forPage(this.ask('status', {}), this.pageTimeoutMs);
  }

  /**
   * `answer`, or after `ms` a failed answer saying the agent does not answer: the call goes on and
   * its answer is dropped, so a stopped or hung agent costs a page this much at most. By default a
   * page waits the full timeoutMs only while the agent answered within the last two page
   * timeouts (the watchdog asks every 2 s): a large table may take a busy agent more than 2 s to
   * send; an agent that stopped answering gets pageTimeoutMs.
   */
  forPage<T>(answer: Promise<AgentAnswer<T>>, ms = this.pageDeadline()): Promise<AgentAnswer<T>> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<AgentAnswer<T>>((resolve) => {
      timer = setTimeout(() => {
        const reason = `no answer from the agent within ${ms} ms`;
        this.health.failed('E_TIMEOUT', reason);
        resolve({ ok: false, reason, code: 'E_TIMEOUT' });
      }, ms);
    });
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  }

  private pageDeadline(): number {
    const h = this.health.state();
    const recent = h.answering && h.lastAnswer !== null && Date.now() - h.lastAnswer <= 2 * this.pageTimeoutMs;
    return recent ? Math.max(this.timeoutMs, this.pageTimeoutMs) : this.pageTimeoutMs;
  }

  /** The pair's status (null: this router runs standalone), single flight like snapshot(). */
  haStatus(): Promise<AgentAnswer<HaStatus | null>> {
    return this.forPage(this.singleFlight('haStatus', () => this.ask('haStatus', {})));
  }

  reload(): Promise<AgentAnswer<ReloadResult>> {
    return this.ask('reload', {});
  }
  start(): Promise<AgentAnswer<StatusResult>> {
    return this.ask('start', {});
  }
  stop(): Promise<AgentAnswer<StatusResult>> {
    return this.ask('stop', {});
  }
  /** A page of the checked real servers (filtered: by address for the one-host page). */
  checkers(params: CheckersParams): Promise<AgentAnswer<CheckersResult>> {
    return this.ask('checkers', params);
  }
  checkNow(virtual: string, server: string): Promise<AgentAnswer<CheckNowResult>> {
    return this.ask('checkNow', { virtual, server });
  }
  /** The operations a proposed lvs.cf would cause (the plan page). */
  plan(params: PlanParams): Promise<AgentAnswer<PlanResult>> {
    return this.ask('plan', params);
  }
  /** A page of the routing table (filtered: by a real server's address for the one-host page). */
  table(params: TableParams): Promise<AgentAnswer<TableResult>> {
    return this.ask('table', params);
  }
  /** The services of one virtual server, with their counters (the drain page). */
  tableOf(virtual: string): Promise<AgentAnswer<ServiceStats[]>> {
    return this.forPage(this.ask('table', { virtual })).then((a) => (a.ok ? { ok: true, data: a.data.services } : a));
  }

  /** How the dataplane's table differs from what the agent applied (the kernel panel), single flight like snapshot(). */
  drift(): Promise<AgentAnswer<DriftResult>> {
    return this.singleFlight('drift', () => this.ask('drift', {}));
  }
  /** Restores the table the agent applied (RECONCILE). */
  reconcile(): Promise<AgentAnswer<ReconcileResult>> {
    return this.ask('reconcile', {});
  }

  /** The kernel settings the agent manages (the kernel panel), single flight like snapshot(). */
  routerSettings(): Promise<AgentAnswer<RouterSettingsResult>> {
    return this.singleFlight('routerSettings', () => this.ask('routerSettings', {}));
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  private async fetchSnapshot(view: SnapshotView): Promise<AgentAnswer<AgentSnapshot>> {
    const [status, table, checkers, down, ha] = await Promise.all([
      this.ask('status', {}),
      this.ask('table', view.table),
      this.ask('checkers', view.checkers),
      this.ask('checkers', view.down),
      this.haStatus(),
    ]);
    if (!status.ok) return status;
    if (!table.ok) return table;
    if (!checkers.ok) return checkers;
    if (!down.ok) return down;
    return { ok: true, data: { status: status.data, table: table.data, checkers: checkers.data, down: down.data, ha } };
  }

  private async ask<M extends keyof Methods>(method: M, params: Methods[M]['params']): Promise<AgentAnswer<Methods[M]['result']>> {
    if (!this.socketPath) return { ok: false, reason: 'no agent socket was given (--agent-socket)', code: 'E_CONNECT' };
    try {
      const client = await this.connection();
      const data = await client.call(method, params);
      this.health.answered();
      return { ok: true, data };
    } catch (err) {
      const e = err as Error & { code?: string };
      this.health.failed(e.code, e.message);
      return { ok: false, reason: e.message, code: e.code };
    }
  }

  private connection(): Promise<AgentClient> {
    if (this.client && !this.client.isClosed) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = AgentClient.connect(this.socketPath as string, {
        timeoutMs: this.timeoutMs,
        clientName: 'piranha-gui',
      })
        .then((c) => {
          this.client = c;
          c.onClose(() => {
            if (this.client === c) this.client = null;
          });
          return c;
        })
        .finally(() => {
          this.connecting = null;
        });
    }
    return this.connecting;
  }
}
