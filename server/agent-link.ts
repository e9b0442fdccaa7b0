// The console's connection to the agent. One persistent connection, re-opened on demand after the
// agent goes away. Every answer is either data or the reason the agent could not be asked, so the
// CONTROL/MONITORING panel can say "The agent is not reachable at PATH: <reason>" and the rest of the
// console keeps working. Concurrent page views share one in-flight snapshot request (single flight),
// which keeps the panel cheap under load while every view still shows live data. The client checks
// every answer against the protocol's schemas: one that does not fit comes back as a failed answer
// with code E_BAD_REPLY and the field named, shown like any other agent error.
import { AgentClient } from '../agent/client.ts';
import type { CheckerInfo, CheckNowResult, DriftResult, HaStatus, Methods, PlanParams, PlanResult, ReconcileResult, ReloadResult, RouterSettingsResult, ServiceStats, StatusResult } from '../agent/protocol/index.ts';

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

  constructor(readonly socketPath: string | null, private readonly timeoutMs = 5000) {}

  async snapshot(): Promise<AgentAnswer<AgentSnapshot>> {
    if (!this.inflight) {
      this.inflight = this.fetchSnapshot().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  /** The pair's status (null: this router runs standalone), single flight like snapshot(). */
  haStatus(): Promise<AgentAnswer<HaStatus | null>> {
    if (!this.haInflight) {
      this.haInflight = this.ask('haStatus', {}).finally(() => {
        this.haInflight = null;
      });
    }
    return this.haInflight;
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
    return this.ask('table', { virtual }).then((a) => (a.ok ? { ok: true, data: a.data.services } : a));
  }

  /** How the dataplane's table differs from what the agent applied (the kernel panel). */
  drift(): Promise<AgentAnswer<DriftResult>> {
    return this.ask('drift', {});
  }
  /** Restores the table the agent applied (RECONCILE). */
  reconcile(): Promise<AgentAnswer<ReconcileResult>> {
    return this.ask('reconcile', {});
  }

  /** The kernel settings the agent manages (the kernel panel). */
  routerSettings(): Promise<AgentAnswer<RouterSettingsResult>> {
    return this.ask('routerSettings', {});
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
      return { ok: true, data: await client.call(method, params) };
    } catch (err) {
      const e = err as Error & { code?: string };
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
