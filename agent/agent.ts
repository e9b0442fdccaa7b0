// The agent's core: holds the configuration in use, runs the checkers, and keeps the dataplane's
// table equal to the director's desired table. Re-evaluates when a checker changes state, on
// reload/start/stop, and every few seconds while a re-entered server's weight is still ramping.
import { join } from 'node:path';
import type { LvsConfig } from '../lvs-cf/model.ts';
import type { Dataplane, DataplaneOp } from './dataplane/types.ts';
import type {
  AgentEvent,
  CheckNowResult,
  CheckerInfo,
  CheckersResult,
  ReloadResult,
  Role,
  StatusResult,
  TableResult,
} from './protocol.ts';
import { CheckerPool, type RealState } from './checkers/pool.ts';
import { describeCheck, runCheck, type CheckOutcome } from './checkers/check.ts';
import {
  checkSpecFor,
  cloneTable,
  describeOp,
  desired,
  diff,
  plan,
  record,
  serviceKeyOf,
  type CheckTarget,
  type CheckerView,
  type Plan,
  type Problem,
  type Table,
} from './director.ts';
import { loadConfig } from './config.ts';
import type { Redundancy } from './ha/controller.ts';
import type { HaStatus } from './ha/index.ts';
import { RpcError, type Handlers } from './socket-server.ts';
import type { Logger } from './log.ts';

/** How often the table is re-evaluated while a weight ramp is in progress (nanny stepped every ~20 s). */
export const RAMP_TICK_MS = 5000;
/** Checker changes arriving within this window are applied together (one diff, not one per server). */
const COALESCE_MS = 10;
/** Above this many operations the log gets one summary line instead of one line per operation. */
const LOG_OPS_LIMIT = 12;

export interface AgentOptions {
  root: string;
  dataplane: Dataplane;
  logger: Logger;
  /** The software version reported by hello/status. */
  version: string;
  now?: () => number;
}

/** Thrown by Agent.init when the agent must not start (invalid lvs.cf, dataplane unusable). */
export class StartupError extends Error {}

export class Agent {
  readonly configPath: string;
  private readonly dp: Dataplane;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly startedAt: Date;
  private readonly eventListeners = new Set<(e: AgentEvent) => void>();

  private running = false;
  private role: Role = 'standalone';
  private since: Date;
  private model: LvsConfig | null = null;
  /** The text of lvs.cf the model came from: what a configuration sync sends to the partner. */
  private text: string | null = null;
  /** Set when this agent is one router of a pair; the role machine then decides when it serves. */
  private redundancy: Redundancy | null = null;
  /** Conditions shown in status.problems under their key (e.g. `redundancy`), set by main. */
  private readonly notes = new Map<string, string>();
  private configNote: string | null = null;
  private lastReloadError: string | null = null;
  private plan: Plan = { services: [], targets: [], problems: [] };
  private targetsByKey = new Map<string, CheckTarget>();
  /** What this agent has put in the dataplane (and therefore owns): never anything else. */
  private applied: Table = new Map();
  /** Weight each checked server has in the dataplane now (for CheckerInfo and weight-change events). */
  private weights = new Map<string, number>();
  /** Operations the dataplane refused, by service key: shown in status, retried at every evaluation. */
  private applyFailures = new Map<string, string>();
  private pool: CheckerPool;
  private chain: Promise<unknown> = Promise.resolve();
  private coalesceTimer: NodeJS.Timeout | null = null;
  private rampTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private control: Promise<unknown> = Promise.resolve();
  /** The dataplane's per-service problems, read at most once a second: status is polled often. */
  private dpProblems: { at: number; list: Problem[] } | null = null;

  constructor(private readonly opts: AgentOptions) {
    this.configPath = join(opts.root, 'lvs.cf');
    this.dp = opts.dataplane;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.startedAt = new Date(this.now());
    this.since = this.startedAt;
    this.pool = new CheckerPool();
    this.pool.on('change', (st: RealState) => this.onCheckerChange(st));
    this.log.onEntry((entry) => this.emit({ event: 'log', data: entry }));
  }

  /**
   * Loads lvs.cf (refusing an invalid one), prepares the dataplane, and starts directing unless
   * `direct` is false (a router of a pair starts standby: redundancy decides when it serves).
   */
  async init(opts: { direct?: boolean } = {}): Promise<void> {
    const loaded = await loadConfig(this.configPath);
    if (loaded.kind === 'invalid') throw new StartupError(loaded.message);
    if (loaded.kind === 'missing') {
      this.configNote = `no configuration at ${this.configPath}; running with an empty one until it is created and reloaded`;
      this.log.log(this.configNote);
    } else {
      for (const w of loaded.warnings) this.log.log(w);
      this.useModel(loaded.model, loaded.text);
    }
    try {
      await this.dp.start();
    } catch (err) {
      throw new StartupError(`the ${this.dp.kind} dataplane cannot start: ${(err as Error).message}`);
    }
    this.log.log(`using the ${this.dp.kind} dataplane; configuration ${this.describeConfig()}`);
    if (opts.direct !== false) await this.startDirecting();
  }

  /** The configuration in use (null without lvs.cf). */
  currentModel(): LvsConfig | null {
    return this.model;
  }

  /**
   * Makes this agent one router of a pair: status/haStatus report it, reloads are forwarded to it.
   * A standby router keeps checking its real servers (as keepalived's backup does; nanny ran only
   * on the active one): at a failover it knows at once which servers are up, so it serves within
   * deadtime instead of after a first round of checks, and its console shows their health.
   */
  attachRedundancy(redundancy: Redundancy): void {
    this.redundancy = redundancy;
    if (!this.running) this.pool.update(this.plan.targets.map((t) => t.spec));
  }

  /** While a member of a pair, checks run on standby too (see attachRedundancy). */
  private checkingOnStandby(): boolean {
    return this.redundancy?.joined === true && !this.closed;
  }

  /** A condition shown in status.problems (null clears it). */
  setNote(key: string, message: string | null): void {
    if ((this.notes.get(key) ?? null) === message) return;
    if (message === null) this.notes.delete(key);
    else {
      this.notes.set(key, message);
      this.log.log(message);
    }
    this.emitState();
  }

  /** The redundancy module's status changed: tell subscribers. */
  notifyHa(status: HaStatus): void {
    this.emit({ event: 'ha', data: status });
  }

  /** Redundancy activated this router: serve the configuration in use (VIPs are already up). */
  async activate(): Promise<void> {
    if (this.running || this.closed) return;
    await this.startDirecting();
  }

  /** Redundancy deactivated this router: remove our services (the VIPs go after this). */
  async deactivate(): Promise<void> {
    if (!this.running) return;
    await this.stopDirecting();
  }

  /** The partner pushed lvs.cf (validated and written): load it without pushing it back. */
  reloadFromPartner(): Promise<LvsConfig | null> {
    return this.serialized(async () => {
      await this.reloadFile();
      return this.model;
    });
  }

  onEvent(listener: (e: AgentEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** The method handlers for the socket server. */
  handlers(): Handlers {
    return {
      status: async () => this.status(),
      table: async () => this.table(),
      checkers: async () => this.checkers(),
      // One control action at a time: a reload racing a stop from another console must not interleave.
      reload: () => this.serialized(() => this.reload()),
      start: () => this.serialized(() => this.start()),
      stop: () => this.serialized(() => this.stop()),
      checkNow: async (p) => this.checkNow(p.virtual, p.server),
      haStatus: async () => this.redundancy?.status() ?? null,
    };
  }

  /** Set by the redundancy module (active/standby); an agent without a pair stays standalone. */
  setRole(role: Role): void {
    if (role === this.role) return;
    this.log.log(`role ${this.role} -> ${role}`);
    this.role = role;
    this.since = new Date(this.now());
    this.emitState();
  }

  async status(): Promise<StatusResult> {
    const problems: Problem[] = [];
    if (this.configNote) problems.push({ service: 'lvs.cf', message: this.configNote });
    for (const [service, message] of this.notes) problems.push({ service, message });
    problems.push(...this.plan.problems);
    for (const [service, message] of this.applyFailures) problems.push({ service, message });
    if (this.running) problems.push(...(await this.dataplaneProblems()));
    return {
      running: this.running,
      role: this.role,
      since: this.since.toISOString(),
      serial: this.model ? this.model.serial_no : null,
      configPath: this.configPath,
      dataplane: this.dp.kind,
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      lastReloadError: this.lastReloadError,
      problems,
    };
  }

  /** Only the services this agent owns: a shared IPVS table may hold others that are none of our business. */
  async table(): Promise<TableResult> {
    const services = (await this.dp.table()).filter((s) => this.applied.has(s.key));
    return { services };
  }

  checkers(): CheckersResult {
    const states = new Map(this.pool.states().map((s) => [s.key, s]));
    const out: CheckerInfo[] = [];
    for (const t of this.plan.targets) {
      const st = states.get(t.key);
      if (st) out.push(this.checkerInfo(t, st));
    }
    return { checkers: out };
  }

  /**
   * Re-reads lvs.cf. An invalid file changes nothing: the old table keeps running. In a pair the
   * redundancy module takes the new file too, and the active router pushes it to its partner.
   */
  async reload(): Promise<ReloadResult> {
    const result = await this.reloadFile();
    if (this.redundancy && this.model && this.text !== null) await this.redundancy.configChanged(this.model, this.text);
    return result;
  }

  private async reloadFile(): Promise<ReloadResult> {
    const loaded = await loadConfig(this.configPath);
    if (loaded.kind === 'invalid') {
      this.lastReloadError = loaded.message;
      this.log.log(`reload refused, keeping the configuration in use (${this.describeConfig()}):\n${loaded.message}`);
      this.emitState();
      throw new RpcError('E_CONFIG_INVALID', loaded.message);
    }
    const hadError = this.lastReloadError !== null;
    this.lastReloadError = null;
    this.dpProblems = null;
    if (loaded.kind === 'missing') {
      this.configNote = `no configuration at ${this.configPath}; running with an empty one until it is created and reloaded`;
      this.useModel(null, null);
    } else {
      this.configNote = null;
      for (const w of loaded.warnings) this.log.log(w);
      this.useModel(loaded.model, loaded.text);
    }
    let operations = 0;
    if (this.running) {
      this.pool.update(this.plan.targets.map((t) => t.spec));
      operations = await this.reconcile();
    } else if (this.checkingOnStandby()) {
      this.pool.update(this.plan.targets.map((t) => t.spec));
    }
    const result: ReloadResult = { serial: this.model ? this.model.serial_no : null, operations };
    this.log.log(`reloaded ${this.describeConfig()}: ${operations} dataplane operation${operations === 1 ? '' : 's'}`);
    this.emit({ event: 'reload', data: result });
    if (hadError) this.emitState();
    return result;
  }

  /**
   * Re-reads lvs.cf and serves it; a no-op when already running. In a pair it rejoins the pair
   * instead (after a STOP): the role machine then decides whether this router serves.
   */
  async start(): Promise<StatusResult> {
    if (this.redundancy?.joined) return this.status();
    if (this.running) return this.status();
    const loaded = await loadConfig(this.configPath);
    if (loaded.kind === 'invalid') {
      this.lastReloadError = loaded.message;
      this.emitState();
      throw new RpcError('E_CONFIG_INVALID', loaded.message);
    }
    this.lastReloadError = null;
    this.configNote = loaded.kind === 'missing' ? `no configuration at ${this.configPath}; running with an empty one until it is created and reloaded` : null;
    this.useModel(loaded.kind === 'ok' ? loaded.model : null, loaded.kind === 'ok' ? loaded.text : null);
    if (this.redundancy) {
      if (!this.model) throw new RpcError('E_CONFIG_INVALID', `no configuration at ${this.configPath}: cannot rejoin the pair`);
      try {
        await this.redundancy.join(this.model);
      } catch (err) {
        throw new RpcError('E_INTERNAL', `cannot rejoin the pair: ${(err as Error).message}`);
      }
      if (!this.running) this.pool.update(this.plan.targets.map((t) => t.spec));
      this.log.log(`rejoined the pair as the ${this.redundancy.node}`);
      return this.status();
    }
    await this.startDirecting();
    return this.status();
  }

  /**
   * Removes this agent's services from the dataplane and stops the checkers; the socket stays up.
   * In a pair it leaves the pair (as stopping pulse did): the partner is told to take over at once.
   */
  async stop(): Promise<StatusResult> {
    if (this.redundancy?.joined) {
      await this.redundancy.leave();
      this.pool.update([]);
      this.log.log('left the pair: the partner serves until START');
    }
    if (!this.running) return this.status();
    await this.stopDirecting();
    return this.status();
  }

  private async stopDirecting(): Promise<void> {
    this.running = false;
    this.since = new Date(this.now());
    this.clearTimers();
    if (!this.checkingOnStandby()) this.pool.update([]);
    await this.reconcile();
    this.log.log('stopped: services removed from the dataplane');
    this.emitState();
  }

  async checkNow(virtual: string, server: string): Promise<CheckNowResult> {
    const found = this.findServer(virtual, server);
    let outcome: CheckOutcome;
    const pooled = this.running && this.targetsByKey.has(found.key);
    outcome = pooled ? await this.pool.checkNow(found.key) : await runCheck(found.spec);
    return {
      virtual,
      server,
      sent: outcome.sent,
      received: outcome.received,
      verdict: outcome.ok ? 'up' : 'down',
      error: outcome.error,
      durationMs: outcome.durationMs,
    };
  }

  /** SIGTERM/SIGINT: remove our services, stop checkers and the dataplane. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    if (this.running) {
      this.running = false;
      this.pool.update([]);
      await this.reconcile();
    }
    this.pool.stop();
    await this.chain.catch(() => {});
    await this.dp.stop();
    this.log.log('shut down');
  }

  // --- internals -----------------------------------------------------------------------------

  private serialized<T>(action: () => Promise<T>): Promise<T> {
    const run = this.control.then(action);
    this.control = run.catch(() => {});
    return run;
  }

  private async dataplaneProblems(): Promise<Problem[]> {
    const now = this.now();
    if (this.dpProblems && now - this.dpProblems.at < 1000 && now >= this.dpProblems.at) return this.dpProblems.list;
    const list: Problem[] = [];
    try {
      for (const s of await this.dp.table()) {
        if (s.problem && this.applied.has(s.key)) list.push({ service: s.name || s.key, message: s.problem });
      }
    } catch (err) {
      list.push({ service: 'dataplane', message: `cannot read the table: ${(err as Error).message}` });
    }
    this.dpProblems = { at: now, list };
    return list;
  }

  private async startDirecting(): Promise<void> {
    this.running = true;
    this.since = new Date(this.now());
    this.pool.update(this.plan.targets.map((t) => t.spec));
    const ops = await this.reconcile();
    this.log.log(`running: ${this.plan.services.length} service${this.plan.services.length === 1 ? '' : 's'}, ${this.plan.targets.length} real server${this.plan.targets.length === 1 ? '' : 's'} checked (${ops} operations)`);
    this.emitState();
  }

  private useModel(model: LvsConfig | null, text: string | null): void {
    this.model = model;
    this.text = text;
    this.plan = model ? plan(model) : { services: [], targets: [], problems: [] };
    this.targetsByKey = new Map(this.plan.targets.map((t) => [t.key, t]));
    for (const p of this.plan.problems) this.log.log(p.message);
  }

  private describeConfig(): string {
    if (!this.model) return 'empty (no lvs.cf)';
    return `serial ${this.model.serial_no}`;
  }

  private findServer(virtual: string, server: string): { key: string; spec: CheckTarget['spec'] } {
    if (!this.model) throw new RpcError('E_NOT_FOUND', `no configuration is loaded, so there is no virtual server ${virtual}`);
    const v = this.model.virtuals.find((x) => x.name === virtual);
    if (!v) throw new RpcError('E_NOT_FOUND', `no virtual server named ${virtual}`);
    const s = v.servers.find((x) => x.name === server);
    if (!s) throw new RpcError('E_NOT_FOUND', `virtual server ${virtual} has no real server named ${server}`);
    if (v.address === null) throw new RpcError('E_NOT_FOUND', `virtual server ${virtual} has no address`);
    const target = this.plan.targets.find((t) => t.virtual === virtual && t.server === server);
    if (target) return { key: target.key, spec: target.spec };
    const key = `${serviceKeyOf(v)}>${s.address}:${s.port}`;
    return { key, spec: checkSpecFor(v, s, key) };
  }

  private onCheckerChange(st: RealState): void {
    const t = this.targetsByKey.get(st.key);
    if (!t) return;
    const why = st.state === 'down' && st.lastError ? `: ${st.lastError}` : '';
    this.log.log(`real server ${t.server} (${t.spec.address}:${t.spec.port}) of ${t.virtual} is ${st.state}${why}`);
    this.emit({ event: 'checker', data: this.checkerInfo(t, st) });
    this.scheduleReconcile();
  }

  private scheduleReconcile(): void {
    if (this.coalesceTimer || !this.running) return;
    this.coalesceTimer = setTimeout(() => {
      this.coalesceTimer = null;
      void this.reconcile();
    }, COALESCE_MS);
  }

  /** Serialized: one evaluation at a time, each against what the previous one applied. */
  private reconcile(): Promise<number> {
    const run = this.chain.then(() => this.reconcileOnce());
    this.chain = run.catch((err) => this.log.log(`internal error while applying the table: ${(err as Error).message}`));
    return run;
  }

  private async reconcileOnce(): Promise<number> {
    const views = new Map<string, CheckerView>();
    if (this.running) {
      for (const s of this.pool.states()) {
        views.set(s.key, { state: s.state, upSince: s.upSince, reentered: s.reentered, wasUp: s.wasUp });
      }
    }
    const want =
      this.running && this.model
        ? desired(this.model, this.plan, views, this.now())
        : { table: new Map() as Table, weights: new Map<string, number>(), rampInProgress: false };
    const ops = diff(this.applied, want.table);
    if (ops.length > 0) await this.apply(ops);
    this.noteWeights(want.weights);
    this.scheduleRamp(want.rampInProgress);
    return ops.length;
  }

  private async apply(ops: DataplaneOp[]): Promise<void> {
    this.dpProblems = null;
    const result = await this.dp.apply(ops);
    const failed = new Map(result.failures.map((f) => [f.op, f.message]));
    const failures = new Map<string, string>();
    for (const op of ops) {
      const message = failed.get(op);
      if (message === undefined) {
        record(this.applied, op);
        continue;
      }
      const key = op.op === 'addService' || op.op === 'editService' ? op.service.key : op.key;
      const line = `${describeOp(op)} failed: ${message}`;
      // Retried at every evaluation; logged only when the reason is new, to keep one line per change.
      if (this.applyFailures.get(key) !== line) this.log.log(line);
      failures.set(key, line);
    }
    // Keys whose operations all succeeded this time are no longer failing.
    for (const op of ops) {
      const key = op.op === 'addService' || op.op === 'editService' ? op.service.key : op.key;
      if (!failures.has(key)) this.applyFailures.delete(key);
    }
    for (const [k, v] of failures) this.applyFailures.set(k, v);
    for (const k of this.applyFailures.keys()) if (!this.plan.services.some((s) => s.spec.key === k)) this.applyFailures.delete(k);
    const applied = ops.filter((op) => !failed.has(op));
    if (applied.length === 0) return;
    if (applied.length <= LOG_OPS_LIMIT) for (const op of applied) this.log.log(describeOp(op));
    else this.log.log(`applied ${applied.length} dataplane operations (${summarizeOps(applied)})`);
  }

  private noteWeights(next: Map<string, number>): void {
    const prev = this.weights;
    this.weights = next;
    if (this.eventListeners.size === 0) return;
    const states = new Map(this.pool.states().map((s) => [s.key, s]));
    for (const [key, w] of next) {
      if (prev.get(key) === w) continue;
      const t = this.targetsByKey.get(key);
      const st = states.get(key);
      if (t && st) this.emit({ event: 'checker', data: this.checkerInfo(t, st) });
    }
  }

  private scheduleRamp(inProgress: boolean): void {
    if (!inProgress || this.rampTimer || !this.running) return;
    this.rampTimer = setTimeout(() => {
      this.rampTimer = null;
      if (this.running) void this.reconcile();
    }, RAMP_TICK_MS);
    this.rampTimer.unref();
  }

  private clearTimers(): void {
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer);
    if (this.rampTimer) clearTimeout(this.rampTimer);
    this.coalesceTimer = null;
    this.rampTimer = null;
  }

  private checkerInfo(t: CheckTarget, st: RealState): CheckerInfo {
    return {
      virtual: t.virtual,
      server: t.server,
      address: t.spec.address,
      port: t.spec.port,
      check: describeCheck(t.spec),
      state: st.state,
      since: new Date(st.since).toISOString(),
      lastResult: st.lastResult,
      lastCheck: st.lastCheck === null ? null : new Date(st.lastCheck).toISOString(),
      lastError: st.lastError,
      weight: this.weights.get(t.key) ?? 0,
    };
  }

  private emitState(): void {
    if (this.eventListeners.size === 0) return;
    void this.status().then((data) => this.emit({ event: 'state', data }));
  }

  private emit(e: AgentEvent): void {
    for (const l of this.eventListeners) l(e);
  }
}

function summarizeOps(ops: DataplaneOp[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op.op, (counts.get(op.op) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}
