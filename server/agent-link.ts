// The console's connection to the agent. One persistent connection, re-opened on demand after the
// agent goes away. Every answer is either data or the reason the agent could not be asked, so the
// CONTROL/MONITORING panel can say "The agent is not reachable at PATH: <reason>" and the rest of the
// console keeps working. Concurrent page views share one in-flight snapshot request (single flight),
// which keeps the panel cheap under load while every view still shows live data. The client checks
// every answer against the protocol's schemas: one that does not fit comes back as a failed answer
// with code E_BAD_REPLY and the field named, shown like any other agent error.
import { AgentClient } from '../agent/client.ts';
import type { CheckerInfo, CheckHistoryResult, SeriesResult, CheckNowResult, HaStatus, Methods, PlanParams, PlanResult, ReloadResult, ServiceStats, StatusResult } from '../agent/protocol/index.ts';
import { AgentHealth } from './agent-health.ts';

/** How long a page waits for the agent before it says the agent does not answer (default). */
export const PAGE_TIMEOUT_MS = 2000;

export type AgentAnswer<T> = { ok: true; data: T } | { ok: false; reason: string; code?: string };

export interface AgentSnapshot {
  status: StatusResult;
  services: ServiceStats[];
  checkers: CheckerInfo[];
  /**
   * Redundancy, asked alongside: its own answer, so an agent that cannot tell (an older one without
   * haStatus) still gives CONTROL/MONITORING its tables, with the reason in place of the summary.
   */
  ha: AgentAnswer<HaStatus | null>;
}

export class AgentLink {
  private client: AgentClient | null = null;
  private connecting: Promise<AgentClient> | null = null;
  private inflight: Promise<AgentAnswer<AgentSnapshot>> | null = null;
  private haInflight: Promise<AgentAnswer<HaStatus | null>> | null = null;

  /** Whether the agent answers, from every call made through this link (and the watchdog's). */
  readonly health = new AgentHealth();

  constructor(
    readonly socketPath: string | null,
    private readonly timeoutMs = 5000,
    /** What a page waits at most for the agent (shorter than timeoutMs: a hung agent must not hang pages). */
    readonly pageTimeoutMs = PAGE_TIMEOUT_MS,
  ) {}

  async snapshot(): Promise<AgentAnswer<AgentSnapshot>> {
    if (!this.inflight) {
      this.inflight = this.fetchSnapshot().finally(() => {
        this.inflight = null;
      });
    }
    return this.forPage(this.inflight);
  }

  /** A real server's check history (the check history page, the REAL SERVER panel). */
  checkHistory(virtual: string, server: string): Promise<AgentAnswer<CheckHistoryResult>> {
    return this.forPage(this.ask('checkHistory', { virtual, server }));
  }

  /** The sampled traffic of some virtual servers (the TRAFFIC section of CONTROL/MONITORING). */
  series(virtuals: string[]): Promise<AgentAnswer<SeriesResult>> {
    return this.forPage(this.ask('series', { virtuals }));
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
    if (!this.haInflight) {
      this.haInflight = this.ask('haStatus', {}).finally(() => {
        this.haInflight = null;
      });
    }
    return this.forPage(this.haInflight);
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
  checkNow(virtual: string, server: string): Promise<AgentAnswer<CheckNowResult>> {
    return this.ask('checkNow', { virtual, server });
  }
  /** The operations a proposed lvs.cf would cause (the plan page). */
  plan(params: PlanParams): Promise<AgentAnswer<PlanResult>> {
    return this.ask('plan', params);
  }
  /** The services of one virtual server, with their counters (the drain page). */
  tableOf(virtual: string): Promise<AgentAnswer<ServiceStats[]>> {
    return this.forPage(this.ask('table', { virtual })).then((a) => (a.ok ? { ok: true, data: a.data.services } : a));
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  private async fetchSnapshot(): Promise<AgentAnswer<AgentSnapshot>> {
    const [status, table, checkers, ha] = await Promise.all([
      this.ask('status', {}),
      this.ask('table', {}),
      this.ask('checkers', {}),
      this.haStatus(),
    ]);
    if (!status.ok) return status;
    if (!table.ok) return table;
    if (!checkers.ok) return checkers;
    return { ok: true, data: { status: status.data, services: table.data.services, checkers: checkers.data.checkers, ha } };
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
