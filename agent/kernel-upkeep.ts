// What the agent looks after beyond its own operations when the dataplane is the kernel's: the
// table's drift from what it applied (drift-watch.ts: reported, repaired only on `reconcile`) and the
// kernel settings IPVS relies on (router-settings.ts). On the userspace dataplane neither applies:
// drift is always none and no setting is managed.
import type { Applier } from './applier.ts';
import type { DataplaneView } from './dataplane-view.ts';
import type { Dataplane } from './dataplane/types.ts';
import type { Problem } from './service-plan.ts';
import type { ReconcileLoop } from './reconcile-loop.ts';
import type { LvsConfig } from '../lvs-cf/model.ts';
import type { DriftResult, ReconcileResult, RouterSettingsResult } from './protocol/index.ts';
import { DriftWatch } from './drift-watch.ts';
import { RouterSettings } from './router-settings.ts';
import { driftToWire } from './wire-map.ts';

export interface KernelUpkeepOptions {
  dataplane: Pick<Dataplane, 'kind'>;
  view: DataplaneView;
  applier: Applier;
  loop: ReconcileLoop;
  /** The service keys of the configuration in use. */
  planned(): ReadonlySet<string>;
  now(): number;
  log(message: string): void;
  /** The drift changed: tell subscribers. */
  onDrift(drift: DriftResult): void;
}

export class KernelUpkeep {
  private readonly drift: DriftWatch;
  private readonly settings: RouterSettings | null;

  constructor(o: KernelUpkeepOptions) {
    // Only the kernel's table can be changed by others (ipvsadm by hand), and only it needs sysctls.
    const kernel = o.dataplane.kind === 'ipvs';
    this.settings = kernel ? new RouterSettings(o.log) : null;
    this.drift = new DriftWatch({
      watched: kernel, view: o.view, applier: o.applier, loop: o.loop, planned: o.planned, now: o.now, log: o.log,
      onChange: (r) => o.onDrift(driftToWire(r)),
    });
  }

  /** The dataplane started: set the kernel settings `model` needs and start watching the table. */
  async start(model: LvsConfig | null): Promise<void> {
    await this.settings?.configure(model);
    this.drift.start();
  }

  /** A new configuration is in use: it may need other settings. */
  async configure(model: LvsConfig | null): Promise<void> {
    await this.settings?.configure(model);
  }

  stop(): void {
    this.drift.stop();
  }

  /** Settings not in force, for status.problems. */
  async problems(): Promise<Problem[]> {
    return (await this.settings?.problems()) ?? [];
  }

  /** Compares the live table with what was applied, now. */
  async driftNow(): Promise<DriftResult> {
    return driftToWire(await this.drift.check());
  }

  /** Restores the applied table with the minimal operations. */
  async reconcile(): Promise<ReconcileResult> {
    const r = await this.drift.repair();
    return { operations: r.operations, failed: r.failed, drift: driftToWire(r.after) };
  }

  async routerSettings(): Promise<RouterSettingsResult> {
    return { managed: this.settings !== null, settings: (await this.settings?.report()) ?? [] };
  }
}
