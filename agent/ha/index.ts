// The redundancy subsystem as the agent sees it: startHa() binds the heartbeat and sync channels,
// runs the role machine on a timer, and carries out its decisions (VIPs, gratuitous ARP,
// active_cmd/inactive_cmd, the agent's own onActivate/onDeactivate). One transition at a time:
// actions go through a queue so an activation never interleaves with a deactivation.
import { performance } from 'node:perf_hooks';
import type { LvsConfig } from '../../lvs-cf/model.ts';
import type { HaNode, Heartbeat, WireState } from './heartbeat-packet.ts';
import { DROP_REASONS, HeartbeatLink, type DropReason } from './heartbeat.ts';
import { loadKey } from './heartbeat-key.ts';
import { ProblemLog, type Problem } from './problem-log.ts';
import { linkUp, sysfsLinkReader, type LinkReader } from './links.ts';
import { detectNode, localAddresses, resolvePeers, type Peers } from './peers.ts';
import { RoleMachine, type HaState, type PartnerState, type RoleAction, type Transition } from './role.ts';
import { ConfigSync, type SyncAnswer, type SyncState } from './sync.ts';
import { SplitBrainWatch, findDuplicate, type SplitBrain } from './split-brain.ts';
import { VipManager, floatingAddresses, runTransitionCommand, type FloatingAddress, type VipProblem } from './vip.ts';
import { spawnRunner, type Runner } from '../run-program.ts';

export interface HaOptions {
  root: string;
  config: LvsConfig;
  /** Overrides detection from this machine's addresses (`--node`). */
  node?: HaNode;
  keyFile: string;
  onActivate(): Promise<void>;
  onDeactivate(): Promise<void>;
  /** The partner pushed a new lvs.cf, already validated and written: reload it (then call updateConfig). */
  onConfigReceived(text: string): Promise<void>;
  log(msg: string): void;
  /**
   * Called with the new status whenever something a console shows changed: this router's state,
   * the partner's state or serial, the failover history, sync, problems, held VIPs, link, warnings.
   * Heartbeat arrival times and drop counters alone do not count (they change every second).
   */
  onStatus?(status: HaStatus): void;
  /** Allow configuration sync without a key (both routers must say so). Off by default. */
  allowUnauthenticatedSync?: boolean;
  /** For tests: what runs `ip`, `arping`, active_cmd and inactive_cmd. */
  runner?: Runner;
  linkReader?: LinkReader;
}

export interface HaStatus {
  role: HaNode;
  state: HaState;
  partner: { lastHeartbeat: string | null; state: PartnerState; serial: number | null; addresses: string[] } | null;
  dropped: Record<DropReason, number>;
  history: Transition[];
  keyConfigured: boolean;
  sync: SyncState;
  /** Addresses held now (while active). */
  vips: { address: string; prefix: number; device: string; label: string | null }[];
  linkUp: boolean;
  /** Failures of the last transition (ip, arping, active_cmd, the dataplane), newest last. */
  problems: Problem[];
  /** Things the console should show as warnings (no key, serials differ). */
  warnings: string[];
  /** Active with a silent partner, and another machine answers ARP for a held address. */
  splitBrain: SplitBrain | null;
}

export interface Ha {
  status(): HaStatus;
  pushConfig(text: string): Promise<SyncAnswer>;
  updateConfig(config: LvsConfig): Promise<void>;
  stop(): Promise<void>;
}

/** The role machine's clock: monotonic (immune to wall-clock steps) but in epoch milliseconds. */
const clock = () => performance.timeOrigin + performance.now();
const TICK_MS = 100;
const LINK_POLL_MS = 500;

export async function startHa(opts: HaOptions): Promise<Ha> {
  const key = await loadKey(opts.keyFile);
  const node = opts.node ?? detectNode(opts.config, localAddresses());
  const ha = new HaRuntime(opts, key, node);
  await ha.open(opts.config);
  return ha;
}

class HaRuntime implements Ha {
  private config!: LvsConfig;
  private peers!: Peers;
  private link: HeartbeatLink | null = null;
  private readonly sync: ConfigSync;
  private readonly machine: RoleMachine;
  private readonly vip: VipManager;
  private readonly run: Runner;
  private timers: NodeJS.Timeout[] = [];
  private sendTimer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly problems = new ProblemLog((message) => this.opts.log(message));
  private droppedBefore: Record<string, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0]));
  private linkIsUp = true;
  private stopped = false;
  private readonly splitBrain = new SplitBrainWatch();
  private probing = false;
  /** What onStatus was last called with, minus the fields that change all the time. */
  private lastFingerprint = '';

  constructor(
    private readonly opts: HaOptions,
    private readonly key: Buffer | null,
    private readonly node: HaNode,
  ) {
    this.run = opts.runner ?? spawnRunner;
    this.vip = new VipManager({ run: this.run, log: opts.log });
    this.sync = new ConfigSync({
      root: opts.root,
      node,
      key,
      allowUnauthenticated: opts.allowUnauthenticatedSync ?? false,
      log: opts.log,
      onConfigReceived: (text) => opts.onConfigReceived(text),
    });
    this.machine = new RoleMachine({ node, deadtimeMs: opts.config.deadtime * 1000, backupActive: false });
    if (!key) opts.log('no heartbeat key: heartbeats are unauthenticated and anyone on the network can force a failover; configuration sync is off');
  }

  async open(config: LvsConfig): Promise<void> {
    await this.bindChannels(config);
    this.machine.update({ deadtimeMs: config.deadtime * 1000, backupActive: this.peers.channels.length > 0 });
    this.opts.log(
      `redundancy: this router is the ${this.node}` +
        (this.peers.channels.length > 0
          ? `; heartbeats every ${config.keepalive} s on port ${config.heartbeat_port} to ${this.peers.partnerAddresses.join(', ')}, partner dead after ${config.deadtime} s`
          : this.node === 'primary'
            ? `; no backup (backup_active = 0): activating after ${config.deadtime} s`
            : '; backup_active = 0: this backup stays inactive'),
    );
    this.execute(this.machine.handle({ type: 'start', now: clock() }));
    this.timers.push(
      setInterval(() => {
        this.execute(this.machine.handle({ type: 'tick', now: clock() }));
        this.notifyIfChanged();
      }, TICK_MS),
    );
    if (config.monitor_links) this.timers.push(setInterval(() => void this.pollLinks(), LINK_POLL_MS));
    if (this.peers.channels.length > 0) this.timers.push(setInterval(() => void this.watchSplitBrain(), Math.max(1, config.keepalive) * 1000));
    this.scheduleSend();
  }

  status(): HaStatus {
    const s = this.machine.snapshot();
    const partner = s.partner
      ? {
          lastHeartbeat: s.partner.lastHeartbeatMs === null ? null : new Date(s.partner.lastHeartbeatMs).toISOString(),
          state: s.partner.state,
          serial: s.partner.serial,
          addresses: this.peers.partnerAddresses,
        }
      : null;
    this.sync.setSerials(this.config.serial_no, s.partner?.serial ?? null);
    const warnings: string[] = [];
    if (!this.key) warnings.push('No heartbeat key: anyone on the network can send heartbeats and force a failover, and configuration sync is off. Run piranha-heartbeat-key and copy conf/heartbeat.key to the partner.');
    if (this.sync.state.inSync === false) {
      warnings.push(`The routers run different configurations: serial_no ${this.sync.state.localSerial} here, ${this.sync.state.partnerSerial} on the partner.`);
    }
    return {
      role: this.node,
      state: s.state,
      partner,
      dropped: sumDrops(this.droppedBefore, this.link?.dropped) as Record<DropReason, number>,
      history: s.history,
      keyConfigured: this.key !== null,
      sync: { ...this.sync.state },
      vips: this.vip.holding().map(({ address, prefix, device, label }) => ({ address, prefix, device, label })),
      linkUp: s.linkUp,
      problems: this.problems.list(),
      warnings,
      splitBrain: this.splitBrain.state,
    };
  }

  async pushConfig(text: string): Promise<SyncAnswer> {
    const targets = this.peers.channels.map((c) => ({ address: c.partner, local: c.local }));
    const answer = await this.sync.push(text, targets, this.config.heartbeat_port + 1);
    this.notifyIfChanged();
    return answer;
  }

  async updateConfig(config: LvsConfig): Promise<void> {
    const before = JSON.stringify({ p: this.peers, port: this.config.heartbeat_port });
    const peers = resolvePeers(config, this.node);
    if (JSON.stringify({ p: peers, port: config.heartbeat_port }) !== before) {
      this.opts.log('redundancy: addresses or heartbeat port changed, rebinding');
      this.closeChannels();
      await this.bindChannels(config);
    } else {
      this.config = config;
    }
    this.machine.update({ deadtimeMs: config.deadtime * 1000, backupActive: this.peers.channels.length > 0 });
    this.scheduleSend();
    // While active, make the held addresses match the new file: drop the VIPs that went, add the new ones.
    this.enqueue(async () => {
      if (this.machine.snapshot().state !== 'active') return;
      const want = floatingAddresses(config);
      const same = (a: FloatingAddress, b: FloatingAddress) => a.address === b.address && a.prefix === b.prefix && a.device === b.device && a.label === b.label;
      const gone = this.vip.holding().filter((h) => !want.some((w) => same(w, h)));
      const added = want.filter((w) => !this.vip.holding().some((h) => same(w, h)));
      this.report(await this.vip.deactivate(gone));
      const { problems, announced } = await this.vip.activate(added);
      this.report(problems);
      void announced.then((p) => this.report(p));
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.sendTimer) clearInterval(this.sendTimer);
    this.execute(this.machine.handle({ type: 'stop', now: clock() }));
    await this.queue;
    this.notifyIfChanged();
    // The last word to the partner: take over now instead of after deadtime (pulse #134007).
    if (this.link && this.linkIsUp) await this.link.send('stopping', this.config.serial_no, this.config.keepalive * 1000);
    this.closeChannels();
  }

  /**
   * Polled every tick (and after a push or stop): one onStatus call per visible change, however it
   * came about (a transition, a heartbeat with a new partner state or serial, a received push).
   */
  private notifyIfChanged(): void {
    if (!this.opts.onStatus) return;
    const s = this.status();
    const { partner, dropped: _dropped, ...rest } = s;
    const fingerprint = JSON.stringify({ ...rest, partner: partner && { state: partner.state, serial: partner.serial, addresses: partner.addresses } });
    if (fingerprint === this.lastFingerprint) return;
    this.lastFingerprint = fingerprint;
    this.opts.onStatus(s);
  }

  private async bindChannels(config: LvsConfig): Promise<void> {
    this.config = config;
    this.peers = resolvePeers(config, this.node);
    if (this.peers.channels.length === 0) return;
    this.link = await HeartbeatLink.open({
      node: this.node,
      channels: this.peers.channels,
      port: config.heartbeat_port,
      key: this.key,
      log: this.opts.log,
      onHeartbeat: (hb) => this.onHeartbeat(hb),
    });
    try {
      await this.sync.listen(
        this.peers.channels.map((c) => c.local),
        config.heartbeat_port + 1,
        this.peers.partnerAddresses,
      );
    } catch (err) {
      this.closeChannels();
      throw new Error(`configuration sync cannot listen on port ${config.heartbeat_port + 1}: ${(err as Error).message}`);
    }
  }

  private closeChannels(): void {
    if (this.link) this.droppedBefore = sumDrops(this.droppedBefore, this.link.dropped);
    this.link?.close();
    this.link = null;
    this.sync.close();
  }

  private onHeartbeat(hb: Heartbeat): void {
    if (this.stopped) return;
    this.execute(this.machine.handle({ type: 'heartbeat', now: clock(), state: hb.state, serial: hb.serial }));
  }

  private scheduleSend(): void {
    if (this.sendTimer) clearInterval(this.sendTimer);
    this.sendTimer = setInterval(() => this.sendHeartbeat(), Math.max(1, this.config.keepalive) * 1000);
  }

  private sendHeartbeat(): void {
    // pulse stopped heartbeats while a monitored link was down, so the partner takes over.
    if (!this.link || !this.linkIsUp || this.stopped) return;
    const state: WireState = this.machine.snapshot().state;
    void this.link.send(state, this.config.serial_no, this.config.keepalive * 1000);
  }

  /** While active with a silent partner: does another machine answer for our addresses? */
  private async watchSplitBrain(): Promise<void> {
    const s = this.machine.snapshot();
    if (this.probing) return;
    this.probing = true;
    try {
      const found = s.state === 'active' && s.partner?.state === 'dead' ? await findDuplicate(this.run, 'arping', this.vip.holding()) : null;
      if (!this.splitBrain.update(found, clock())) return;
      this.opts.log(found ? `split brain: the partner is silent, yet ${found.mac} also answers for ${found.address}: both routers are active` : 'split brain over');
    } finally {
      this.probing = false;
    }
  }

  private async pollLinks(): Promise<void> {
    const local = localAddresses();
    const devices = [...new Set(this.peers.channels.map((c) => local.get(c.local)).filter((d): d is string => d !== undefined))];
    const states = await Promise.all(devices.map((d) => linkUp(d, this.opts.linkReader ?? sysfsLinkReader)));
    const down = states.filter((s) => !s.up);
    // The address vanished with its interface: that is a link failure too.
    const missing = this.peers.channels.filter((c) => !local.has(c.local)).map((c) => `${c.local} is on no interface`);
    const up = down.length === 0 && missing.length === 0;
    const detail = up ? states.map((s) => s.detail).join(', ') : [...down.map((s) => s.detail), ...missing].join(', ');
    if (up !== this.linkIsUp) this.opts.log(`monitor_links: ${detail}`);
    this.linkIsUp = up;
    this.execute(this.machine.handle({ type: 'link', now: clock(), up, detail }));
  }

  private execute(actions: RoleAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'sendHeartbeat':
          this.sendHeartbeat();
          break;
        case 'activate':
          this.opts.log(`activating: ${a.reason}`);
          this.enqueue(() => this.activate());
          break;
        case 'deactivate':
          this.opts.log(`deactivating: ${a.reason}`);
          this.enqueue(() => this.deactivate());
          break;
        case 'reannounce':
          this.opts.log(a.reason);
          this.enqueue(async () => {
            void this.vip.announce().then((p) => this.report(p));
            void runTransitionCommand('active_cmd', this.config.active_cmd, this.run, this.opts.log).then((p) => this.report(p ? [p] : []));
          });
          break;
        case 'announce':
          this.opts.log(a.reason);
          this.enqueue(async () => void this.vip.announce().then((p) => this.report(p)));
          break;
      }
    }
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((err: Error) => this.problem(`redundancy: ${err.message}`));
  }

  private async activate(): Promise<void> {
    if (this.machine.snapshot().state !== 'active') return; // superseded while queued
    const { problems, announced } = await this.vip.activate(floatingAddresses(this.config));
    this.report(problems);
    void announced.then((p) => this.report(p));
    void runTransitionCommand('active_cmd', this.config.active_cmd, this.run, this.opts.log).then((p) => this.report(p ? [p] : []));
    try {
      await this.opts.onActivate();
    } catch (err) {
      const message = `the dataplane did not start: ${(err as Error).message}`;
      this.problem(message);
      this.execute(this.machine.handle({ type: 'activationFailed', now: clock(), error: message }));
    }
  }

  private async deactivate(): Promise<void> {
    if (this.machine.snapshot().state !== 'standby') return;
    // The addresses go first: a router that yields (both were active, the primary keeps the VIPs)
    // must stop answering ARP for them at once, while the partner announces them. Emptying the
    // kernel table takes a while on a large or loaded router; a neighbour that asked meanwhile
    // would be sent back to this one.
    this.report(await this.vip.deactivate());
    void runTransitionCommand('inactive_cmd', this.config.inactive_cmd, this.run, this.opts.log).then((p) => this.report(p ? [p] : []));
    try {
      await this.opts.onDeactivate();
    } catch (err) {
      this.problem(`stopping the dataplane failed: ${(err as Error).message}`);
    }
  }

  private report(problems: VipProblem[]): void {
    for (const p of problems) this.problem(p.message);
  }

  private problem(message: string): void {
    this.problems.add(message);
  }
}

function sumDrops(a: Record<string, number>, b: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}

export type { SyncAnswer, SyncState } from './sync.ts';
export type { FloatingAddress, VipProblem } from './vip.ts';
export { floatingAddresses } from './vip.ts';
