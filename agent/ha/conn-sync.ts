// Connection sync of a router pair (lvs.cf `syncdaemon`, `syncd_iface`, `syncd_id`): the kernel's
// own IPVS sync daemon, which multicasts the active router's connection table so that the standby's
// kernel knows every established connection when it takes over. As pulse's syncDaemon() did: the
// active router runs the `master` daemon, the standby the `backup` one; a transition stops both and
// starts the one of the new role (ipvsadm --stop-daemon/--start-daemon, argument arrays, never a
// shell). The plan is pure; KernelConnectionSync carries it out and remembers what runs.
import type { LvsConfig } from '../../lvs-cf/model.ts';
import type { RunResult } from '../run-program.ts';

export type SyncRole = 'master' | 'backup';

export interface SyncSettings {
  iface: string;
  /** 0–255: pulse passed syncd_id & 0xff. */
  id: number;
}

/** What the kernel runs: a daemon of one role with its settings, or nothing. */
export type SyncDaemonState = { role: SyncRole; settings: SyncSettings } | null;

/** The settings lvs.cf asks for, null when `syncdaemon` is off. */
export function syncSettings(config: LvsConfig): SyncSettings | null {
  if (!config.syncdaemon) return null;
  return { iface: config.syncd_iface || 'eth0', id: config.syncd_id & 0xff };
}

const same = (a: SyncDaemonState, b: SyncDaemonState) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The ipvsadm argument lists that take the kernel from `from` to `to`: nothing when they are the
 * same, else stop what runs (both roles when the state is not known) and start the wanted daemon.
 */
export function syncDaemonSteps(from: SyncDaemonState | 'unknown', to: SyncDaemonState): string[][] {
  if (from !== 'unknown' && same(from, to)) return [];
  const stops: SyncRole[] = from === 'unknown' ? ['master', 'backup'] : from ? [from.role] : [];
  const steps = stops.map((role) => ['--stop-daemon', role]);
  if (to) steps.push(['--start-daemon', to.role, '--mcast-interface', to.settings.iface, '--syncid', String(to.settings.id)]);
  return steps;
}

export interface ConnectionSyncOptions {
  /** Path of ipvsadm: the one the ipvs dataplane found when it started. */
  ipvsadm(): string;
  run(file: string, args: string[]): Promise<RunResult>;
  log(msg: string): void;
}

export class KernelConnectionSync {
  /** What runs now; 'unknown' until the first change (a daemon may be left from an earlier agent). */
  private current: SyncDaemonState | 'unknown' = 'unknown';
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ConnectionSyncOptions) {}

  get running(): SyncDaemonState | 'unknown' {
    return this.current;
  }

  /**
   * Makes the kernel run the daemon of `role` with the file's settings (none when syncdaemon is
   * off or `role` is null). Returns the failures, as messages; one change at a time.
   */
  set(config: LvsConfig | null, role: SyncRole | null): Promise<string[]> {
    const settings = config ? syncSettings(config) : null;
    const want: SyncDaemonState = settings && role ? { role, settings } : null;
    const next = this.queue.then(() => this.apply(want));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async apply(want: SyncDaemonState): Promise<string[]> {
    const problems: string[] = [];
    const steps = syncDaemonSteps(this.current, want);
    if (steps.length === 0) return problems;
    for (const args of steps) {
      const r = await this.opts.run(this.opts.ipvsadm(), args);
      const failed = r.error !== undefined || r.code !== 0;
      // Stopping a daemon that does not run is not a failure ("No such process" or similar).
      if (failed && args[0] === '--start-daemon') problems.push(`connection sync: ipvsadm ${args.join(' ')} failed: ${(r.error ?? r.stderr.trim()) || `exit ${r.code}`}`);
    }
    const started = want && problems.length === 0;
    this.current = started || want === null ? want : null;
    if (started) this.opts.log(`connection sync: the kernel's ${want.role} sync daemon runs on ${want.settings.iface}, syncid ${want.settings.id}`);
    else if (want === null) this.opts.log('connection sync: no sync daemon');
    for (const p of problems) this.opts.log(p);
    return problems;
  }
}
