// The agent's side of redundancy: starts the HA runtime with callbacks into the director, forwards
// saves to the partner, and lets the console's START/STOP leave and rejoin the pair (pulse's
// `service pulse stop|start`). The director stays standby until the role machine activates it;
// VIPs are added before onActivate runs, so the dataplane binds them on the first try.
import type { LvsConfig } from '../../lvs-cf/model.ts';
import type { HaNode } from './heartbeat-packet.ts';
import { startHa, type Ha, type HaStatus } from './index.ts';
import type { KernelConnectionSync, SyncRole } from './conn-sync.ts';
import type { LinkReader } from './links.ts';
import { ProblemLog } from './problem-log.ts';
import type { Runner } from '../run-program.ts';

/** What the controller needs from the director (implemented by Agent). */
export interface DirectorHooks {
  /** Serve the configuration in use (no file read: it is the one the pair agreed on). */
  activate(): Promise<void>;
  /** Remove our services; the process and socket stay up. */
  deactivate(): Promise<void>;
  setRole(role: 'active' | 'standby'): void;
  /** Re-read lvs.cf after the partner pushed it, without pushing it back; returns the model in use. */
  reloadFromPartner(): Promise<LvsConfig | null>;
}

export interface RedundancyOptions {
  root: string;
  keyFile: string;
  node: HaNode;
  log(msg: string): void;
  hooks: DirectorHooks;
  /** Every visible change of the pair's status (becomes the `ha` event). */
  onStatus(status: HaStatus): void;
  /**
   * The kernel's connection sync (ipvs dataplane), run as lvs.cf's syncdaemon says; null on a
   * dataplane that has none (userspace): a syncdaemon = 1 there is shown as a warning.
   */
  connectionSync: KernelConnectionSync | null;
  runner?: Runner;
  linkReader?: LinkReader;
}

export class Redundancy {
  private ha: Ha | null = null;
  private last: HaStatus | null = null;
  /** Pushes go out one at a time and in save order, so the partner never ends on an older file. */
  private pushes: Promise<unknown> = Promise.resolve();
  /** Failures of the wiring itself (a reload the runtime could not take), shown with the runtime's. */
  private readonly problems = new ProblemLog((message) => this.opts.log(message));
  /** The lvs.cf in use, for the sync daemon's settings. */
  private config: LvsConfig | null = null;

  constructor(private readonly opts: RedundancyOptions) {}

  get joined(): boolean {
    return this.ha !== null;
  }

  get node(): HaNode {
    return this.opts.node;
  }

  /** Joins the pair: binds heartbeats and sync; throws on a bad key file or an unusable address. */
  async join(config: LvsConfig): Promise<void> {
    if (this.ha) return;
    this.last = null;
    this.config = config;
    const { hooks, log } = this.opts;
    // A router joins standby: it receives the active router's connections until it takes over.
    await this.syncAs('backup');
    const noSync = this.noSyncWarning();
    if (noSync) log(noSync);
    const ha = await startHa({
      root: this.opts.root,
      config,
      node: this.opts.node,
      keyFile: this.opts.keyFile,
      log,
      runner: this.opts.runner,
      linkReader: this.opts.linkReader,
      onStatus: (s) => this.publish(s),
      onActivate: async () => {
        hooks.setRole('active');
        await hooks.activate();
        await this.syncAs('master');
      },
      onDeactivate: async () => {
        hooks.setRole('standby');
        await hooks.deactivate();
        await this.syncAs('backup');
      },
      onConfigReceived: async () => {
        const model = await hooks.reloadFromPartner();
        if (model) await ha.updateConfig(model);
      },
    });
    this.ha = ha;
    this.publish(ha.status());
  }

  /** Leaves the pair (console STOP, SIGTERM): deactivates if active and tells the partner to take over now. */
  async leave(): Promise<void> {
    const ha = this.ha;
    if (!ha) return;
    await ha.stop();
    await this.syncAs(null);
    this.last = ha.status();
    this.ha = null;
    this.publish(this.last);
  }

  status(): HaStatus | null {
    const s = this.ha ? this.ha.status() : this.last;
    if (!s) return null;
    const warnings = this.ha ? [...s.warnings] : [...s.warnings, 'Redundancy is stopped on this router (STOP): it neither serves nor takes over. START rejoins the pair.'];
    const noSync = this.noSyncWarning();
    if (noSync) warnings.push(noSync);
    return { ...s, problems: [...s.problems, ...this.problems.list()].sort((a, b) => a.time.localeCompare(b.time)), warnings };
  }

  /**
   * After a successful local reload: the runtime takes the new timings/addresses, and the active
   * router pushes the file to its partner (in the background: the console's reload must not wait
   * for an unreachable partner; the answer shows in haStatus.sync and the `ha` event).
   */
  async configChanged(config: LvsConfig, text: string): Promise<void> {
    const ha = this.ha;
    if (!ha) return;
    this.config = config;
    try {
      await ha.updateConfig(config);
      await this.syncAs(ha.status().state === 'active' ? 'master' : 'backup');
    } catch (err) {
      this.problem(`the new lvs.cf could not be applied to redundancy: ${(err as Error).message}`);
      return;
    }
    if (ha.status().state !== 'active') return;
    this.pushes = this.pushes.then(async () => {
      const answer = await ha.pushConfig(text);
      if (!answer.ok) this.opts.log(`configuration sync: the partner did not take serial ${config.serial_no}`);
    });
  }

  /** Resolves once the pushes queued so far are answered (tests and shutdown). */
  settled(): Promise<void> {
    return this.pushes.then(
      () => undefined,
      () => undefined,
    );
  }

  /** lvs.cf asks for connection sync on a dataplane that has none (userspace). */
  private noSyncWarning(): string | null {
    if (!this.config?.syncdaemon || this.opts.connectionSync) return null;
    return "syncdaemon = 1 has no effect on the userspace dataplane: connection sync is the kernel's IPVS sync daemon (run the agent with --dataplane ipvs); established connections are lost at a failover.";
  }

  /** Runs the kernel's sync daemon of `role` (none: null) as lvs.cf says; failures become problems. */
  private async syncAs(role: SyncRole | null): Promise<void> {
    const sync = this.opts.connectionSync;
    if (!sync) return;
    for (const p of await sync.set(role ? this.config : null, role)) this.problem(p);
  }

  private publish(s: HaStatus): void {
    // The runtime's own status plus this controller's problems and warnings.
    this.opts.onStatus(this.status() ?? s);
  }

  private problem(message: string): void {
    this.problems.add(message);
    const s = this.status();
    if (s) this.opts.onStatus(s);
  }
}
