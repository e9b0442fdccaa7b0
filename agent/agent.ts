// The agent's core: holds the configuration in use (config-state.ts), runs the checkers, keeps the
// dataplane's table equal to the director's desired table (reconciler.ts, applier.ts, evaluated by
// reconcile-loop.ts; agent-parts.ts builds and wires them), and follows steering.ts on whether it
// directs: the console's START/STOP, the router pair's decisions, shutdown. It answers in the
// protocol's types and fails with the domain errors of errors.ts; rpc-handlers.ts puts it on the
// socket, main.ts wires the process.
import type { LvsConfig } from '../lvs-cf/model.ts';
import type { Dataplane, ServiceStats as DataplaneService } from './dataplane/types.ts';
import type { AgentEvent, CheckHistoryResult, CheckNowResult, CheckersParams, CheckersResult, PlanParams, PlanResult, ReconcileResult, ReloadResult, StatusResult, TableParams, TableResult } from './protocol/index.ts';
import { CheckerPool } from './checkers/pool.ts';
import type { ConfigState, Proposal } from './config-state.ts';
import { checkersRun, initialSteering, startAction, steer, stopAction, type Steering, type SteeringEvent } from './steering.ts';
import { ConfigInvalidError, PairError, StartupError } from './errors.ts';
import { haStatusToWire } from './wire-map.ts';
import { releaseAfterRead } from './memory.ts';
import { EventHub, type ListenOptions } from './event-hub.ts';
import type { DirectorHooks, Redundancy } from './ha/controller.ts';
import type { HaStatus } from './ha/index.ts';
import type { Logger } from './log.ts';
import { planChange } from './plan/planner.ts';
import { checkHistoryOf } from './check-history.ts';
import { checkNowOf } from './check-now.ts';
import { ControlQueue } from './control-queue.ts';
import { agentParts } from './agent-parts.ts';
import type { Applier } from './applier.ts';
import type { ReconcileLoop } from './reconcile-loop.ts';
import type { ListReplies } from './list-replies.ts';
import type { DataplaneView } from './dataplane-view.ts';
import type { KernelUpkeep } from './kernel-upkeep.ts';
import { Notes, runningLine, statusReport } from './status-report.ts';

/** What the core needs of the pair's redundancy controller (ha/controller.ts's Redundancy). */
export type PairMember = Pick<Redundancy, 'node' | 'join' | 'leave' | 'status' | 'configChanged'>;

export interface AgentOptions {
  config: ConfigState;
  dataplane: Dataplane;
  logger: Logger;
  now?: () => number;
  /** The health checks (tests pass a pool whose checks are scripted and whose timers they fire). */
  pool?: CheckerPool;
}

export class Agent implements DirectorHooks {
  private readonly config: ConfigState;
  private readonly dp: Dataplane;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly startedAt: Date;
  private readonly events = new EventHub();
  private readonly pool: CheckerPool;
  private readonly applier: Applier;
  private readonly loop: ReconcileLoop;
  private readonly view: DataplaneView;
  /** Drift of the kernel's table and the kernel settings (the socket's drift, reconcile, routerSettings). */
  readonly kernel: KernelUpkeep;
  private readonly lists: ListReplies;
  private steering: Steering;
  /** Set when this agent is one router of a pair. */
  private redundancy: PairMember | null = null;
  /** Conditions shown in status.problems under their key (e.g. `redundancy`), set by main. */
  private readonly notes = new Notes();
  /** One control action at a time: a reload racing a stop from another console must not interleave. */
  private readonly control = new ControlQueue();

  constructor(opts: AgentOptions) {
    this.config = opts.config;
    this.dp = opts.dataplane;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.startedAt = new Date(this.now());
    this.steering = initialSteering(this.now());
    this.pool = opts.pool ?? new CheckerPool();
    // The checkers' reports are wired to the pool and the loop there: the core does not call them.
    ({ applier: this.applier, view: this.view, lists: this.lists, loop: this.loop, kernel: this.kernel } = agentParts({
      config: this.config, dataplane: this.dp, pool: this.pool, logger: this.log, events: this.events, now: this.now, directing: () => this.steering.directing,
    }));
  }

  /**
   * Takes the configuration read at startup (refusing an invalid one) and prepares the dataplane.
   * The agent does not direct yet: startup then calls serve() (standalone) or joinPair().
   */
  async init(first: Proposal): Promise<void> {
    if (!first.ok) throw new StartupError(first.message);
    // The garbage of reading the file is collected once the agent serves (main.ts), not before.
    this.loop.lookAt(this.config.adopt(first.config));
    try {
      await this.dp.start();
    } catch (err) {
      throw new StartupError(`the ${this.dp.kind} dataplane cannot start: ${(err as Error).message}`);
    }
    this.log.log(`using the ${this.dp.kind} dataplane; configuration ${this.config.describe()}`);
    await this.kernel.start(this.config.current.model);
  }

  /** The configuration in use (null without lvs.cf). */
  currentModel(): LvsConfig | null {
    return this.config.current.model;
  }

  /** A standalone agent serves the configuration in use (startup). */
  async serve(): Promise<void> {
    await this.steer({ type: 'start' });
  }

  /**
   * Makes this agent one router of a pair and joins it (startup): it stands by until the role
   * machine activates it. Rejects with the redundancy module's own error.
   */
  async joinPair(redundancy: PairMember): Promise<void> {
    this.redundancy = redundancy;
    await this.steer({ type: 'pair' });
    await this.joinRedundancy();
  }

  /** Leaves the pair (STOP, SIGTERM): this router deactivates and the partner is told to take over now. */
  async leavePair(): Promise<void> {
    if (!this.redundancy || !this.steering.pair?.joined) return;
    await this.redundancy.leave();
    await this.steer({ type: 'left' });
  }

  /** A condition shown in status.problems (null clears it). */
  setNote(key: string, message: string | null): void {
    if (!this.notes.set(key, message)) return;
    if (message !== null) this.log.log(message);
    this.emitState();
  }

  /** The redundancy module's status changed: tell subscribers. */
  notifyHa(status: HaStatus): void {
    this.events.emit({ event: 'ha', data: haStatusToWire(status) });
  }

  // --- what the pair's role machine tells the director (DirectorHooks) ---------------------------

  /** Redundancy activated this router: serve the configuration in use (VIPs are already up). */
  async activate(): Promise<void> {
    await this.steer({ type: 'activate' });
  }

  /** Redundancy deactivated this router: remove our services (the VIPs go after this). */
  async deactivate(): Promise<void> {
    await this.steer({ type: 'deactivate' });
  }

  /** Set by the redundancy module (active/standby); an agent without a pair stays standalone. */
  setRole(role: 'active' | 'standby'): void {
    void this.steer({ type: 'role', role });
  }

  /** The partner pushed lvs.cf (validated and written): load it without pushing it back. */
  reloadFromPartner(): Promise<LvsConfig | null> {
    return this.control.run(async () => {
      await this.reloadFile();
      return this.config.current.model;
    });
  }

  // --- control actions ---------------------------------------------------------------------------

  /**
   * Re-reads lvs.cf. An invalid file changes nothing: the old table keeps running. In a pair the
   * redundancy module takes the new file too, and the active router pushes it to its partner.
   */
  reload(): Promise<ReloadResult> {
    return this.control.run(async () => {
      const result = await this.reloadFile();
      const { model, text } = this.config.current;
      if (this.redundancy && model && text !== null) await this.redundancy.configChanged(model, text);
      return result;
    });
  }

  /**
   * Re-reads lvs.cf and serves it; a no-op when already running. In a pair it rejoins the pair
   * instead (after a STOP): the role machine then decides whether this router serves.
   */
  start(): Promise<StatusResult> {
    return this.control.run(async () => {
      const action = startAction(this.steering);
      if (action === 'none') return this.status();
      await this.adoptFile();
      releaseAfterRead(this.config.lastReadLength);
      if (action === 'serve') {
        await this.steer({ type: 'start' });
        return this.status();
      }
      if (!this.config.current.model) throw new ConfigInvalidError(`no configuration at ${this.config.path}: cannot rejoin the pair`);
      try {
        await this.joinRedundancy();
      } catch (err) {
        throw new PairError(`cannot rejoin the pair: ${(err as Error).message}`);
      }
      this.log.log(`rejoined the pair as the ${this.redundancy!.node}`);
      return this.status();
    });
  }

  /**
   * Removes this agent's services from the dataplane and stops the checkers; the socket stays up.
   * In a pair it leaves the pair (as stopping pulse did): the partner is told to take over at once.
   */
  stop(): Promise<StatusResult> {
    return this.control.run(async () => {
      const action = stopAction(this.steering);
      if (action === 'leave') {
        await this.leavePair();
        this.log.log('left the pair: the partner serves until START');
      } else if (action === 'withdraw') {
        await this.steer({ type: 'stop' });
      }
      return this.status();
    });
  }

  /** SIGTERM/SIGINT (after leavePair): remove our services, stop checkers and the dataplane. */
  async shutdown(): Promise<void> {
    if (this.steering.closed) return;
    await this.steer({ type: 'shutdown' });
    this.pool.stop();
    this.kernel.stop();
    await this.loop.idle();
    await this.dp.stop();
    this.log.log('shut down');
  }

  // --- queries -------------------------------------------------------------------------------------

  async status(): Promise<StatusResult> {
    const config = this.config.current;
    const refused = this.applier.failures();
    const kernel = await this.kernel.problems();
    const dataplaneProblems = this.steering.directing ? await this.view.problems() : [];
    return statusReport({
      config, configPath: this.config.path, lastReloadError: this.config.lastReloadError, notes: this.notes, steering: this.steering,
      dataplane: this.dp.kind, pid: process.pid, startedAt: this.startedAt, refused, kernel, dataplaneProblems,
    });
  }

  /** Every service this agent owns with its counters, for the traffic sampler. */
  trafficTable(): Promise<DataplaneService[]> {
    return this.view.services();
  }

  /** The services this agent owns, filtered and paged (see agent/protocol/listing.ts). */
  table(params: TableParams = {}): Promise<TableResult> {
    return this.lists.table(params);
  }

  /** The operations a proposed lvs.cf would cause against the live table; applies nothing. */
  plan(params: PlanParams): Promise<PlanResult> {
    const directing = () => this.steering.directing;
    const checker = (key: string) => (directing() ? this.pool.stateOf(key) : undefined);
    const live = (keys: ReadonlySet<string> | null) => this.view.services(keys ?? undefined);
    return planChange({ current: () => this.config.current, path: this.config.path, checker, live, directing, role: () => this.steering.role, now: this.now }, params);
  }

  /** Restores the table this agent applied (explicit only: drift is never corrected on its own). */
  reconcile(): Promise<ReconcileResult> {
    return this.control.run(() => this.kernel.reconcile());
  }

  /** The checked real servers, filtered and paged. */
  checkers(params: CheckersParams = {}): Promise<CheckersResult> {
    return this.lists.checkers(params);
  }

  /** The pair's status, null for a standalone agent. */
  haStatus(): HaStatus | null {
    return this.redundancy?.status() ?? null;
  }

  checkHistory(virtual: string, server: string): CheckHistoryResult {
    return checkHistoryOf(this.config.current, this.pool, virtual, server);
  }

  checkNow(virtual: string, server: string): Promise<CheckNowResult> {
    return checkNowOf({ config: this.config.current, pool: this.pool, directing: this.steering.directing }, virtual, server);
  }

  /** Calls `listener` with the agent's events (see EventHub: by kind, while someone is there). */
  onEvent(listener: (e: AgentEvent) => void, opts: ListenOptions = {}): () => void {
    return this.events.on(listener, opts);
  }

  // --- internals -------------------------------------------------------------------------------

  /**
   * Feeds an event to the steering machine and carries out what changed: the role (logged), the
   * checkers (the only place their targets are set), and directing begun or ended (reconciled).
   * Directing begins with the services listening and the checks started after them: the first
   * evaluation of a checker just started puts no real server in (it is pending), and starting the
   * checks of 200,000 real servers first would keep every VIP closed meanwhile.
   */
  private async steer(event: SteeringEvent): Promise<void> {
    const before = this.steering;
    const { state, directing, roleChanged } = steer(before, event, this.now());
    this.steering = state;
    if (roleChanged) {
      this.log.log(`role ${before.role} -> ${state.role}`);
      this.emitState();
    }
    if (directing === 'ceased') this.loop.clearTimers();
    if (directing !== 'began') this.syncCheckers();
    if (directing === null) return;
    this.loop.touchAll();
    let ops: number;
    try {
      ops = await this.loop.run();
    } finally {
      if (directing === 'began') this.syncCheckers();
    }
    // At shutdown the services go without a word: "shut down" follows.
    if (state.closed) return;
    if (directing === 'began') {
      this.log.log(runningLine(this.config.current.plan, ops));
    } else {
      this.log.log('stopped: services removed from the dataplane');
    }
    this.emitState();
  }

  /** The checks of the configuration in use run, or none (see steering.checkersRun). */
  private syncCheckers(): void {
    this.pool.update(checkersRun(this.steering) ? Array.from(this.config.current.plan.checks.values(), (c) => c.spec) : []);
  }

  private async joinRedundancy(): Promise<void> {
    const model = this.config.current.model;
    if (!model) throw new Error(`no configuration at ${this.config.path}`);
    await this.redundancy!.join(model);
    await this.steer({ type: 'joined' });
  }

  /** Reads lvs.cf and makes it the configuration in use, or records the refusal and throws. */
  private async adoptFile(): Promise<void> {
    const changed = await this.config.load().catch((err: unknown) => {
      this.emitState(); // the refusal shows in status (lastReloadError)
      throw err;
    });
    this.loop.lookAt(changed);
    this.view.invalidate();
  }

  private async reloadFile(): Promise<ReloadResult> {
    const hadError = this.config.lastReloadError !== null;
    try {
      await this.adoptFile();
    } catch (err) {
      if (err instanceof ConfigInvalidError) {
        this.log.error(`reload refused, keeping the configuration in use (${this.config.describe()}):\n${err.message}`);
      }
      releaseAfterRead(this.config.lastReadLength);
      throw err;
    }
    this.syncCheckers();
    await this.kernel.configure(this.config.current.model);
    const operations = this.steering.directing ? await this.loop.run() : 0;
    const model = this.config.current.model;
    const result: ReloadResult = { serial: model ? model.serial_no : null, operations };
    this.log.log(`reloaded ${this.config.describe()}: ${operations} dataplane operation${operations === 1 ? '' : 's'}`);
    this.events.emit({ event: 'reload', data: result });
    if (hadError) this.emitState();
    // After the table changed: the collection's pause must not delay the reload's operations.
    releaseAfterRead(this.config.lastReadLength);
    return result;
  }

  private emitState(): void {
    if (!this.events.listening('state')) return;
    void this.status().then((data) => this.events.emit({ event: 'state', data }));
  }
}
