// The drains in progress (drains.ts), kept in <root>/drains.json so they outlive the browser and a
// restart of the console, and their automatic deactivation: at the time the operator chose, the
// console deactivates the drained server itself, as a save (through the same lock as every save),
// and asks the agent to reload. A drain that no longer holds in lvs.cf is forgotten.
import { join } from 'node:path';
import type { ConfigStore, SaveRequest, SaveResult } from '../config-store.ts';
import { StateFile } from '../state-file.ts';
import { describeSeconds } from '../confirm/pending.ts';
import { drainLabel, drainsStateSchema, endDrain, inEffect, NO_DRAINS, sameDrain, type Drain, type DrainsState } from './drains.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DrainKeeperOptions {
  root: string;
  store: ConfigStore;
  /** Saves through the console's one save path (the confirmation keeper's lock). */
  save: (req: SaveRequest) => Promise<SaveResult>;
  reload: () => Promise<{ ok: boolean; message: string } | null>;
  /** The automatic deactivation delays offered, in seconds. */
  timeouts: readonly number[];
  log?: (message: string) => void;
  now?: () => number;
}

export class DrainKeeper {
  readonly timeouts: readonly number[];
  private readonly file: StateFile<typeof drainsStateSchema>;
  private readonly log: (message: string) => void;
  private readonly now: () => number;
  private state: DrainsState = NO_DRAINS;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: DrainKeeperOptions) {
    this.timeouts = [...opts.timeouts].sort((a, b) => a - b);
    this.log = opts.log ?? ((m) => console.error(`piranha-gui: ${m}`));
    this.file = new StateFile(join(opts.root, 'drains.json'), drainsStateSchema, NO_DRAINS, this.log);
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.state = await this.file.read();
    for (const d of this.state.drains) this.arm(d);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  offers(seconds: number): boolean {
    return this.timeouts.includes(seconds);
  }

  /** The record of a drain, when one was started from the console. */
  find(virtual: string, server: string | null): Drain | undefined {
    return this.state.drains.find((d) => sameDrain(d, virtual, server));
  }

  /** The drains recorded for a virtual server (its own and its real servers'). */
  of(virtual: string): Drain[] {
    return this.state.drains.filter((d) => d.virtual === virtual);
  }

  /** A drain was saved: remember it (replacing an older one of the same servers) and arm its timeout. */
  async begun(d: Drain): Promise<void> {
    await this.begunAll([d]);
  }

  /** Drains saved together (one host in every virtual server): remembered in one write of the record. */
  async begunAll(ds: readonly Drain[]): Promise<void> {
    if (ds.length === 0) return;
    const replaced = new Set(ds.map((d) => this.key(d.virtual, d.server)));
    await this.commit({ drains: [...this.state.drains.filter((x) => !replaced.has(this.key(x.virtual, x.server))), ...ds] });
    for (const d of ds) this.arm(d);
  }

  /** A drain ended (undone, deactivated, or found over): forget it. */
  async ended(virtual: string, server: string | null): Promise<void> {
    await this.endedAll([{ virtual, server }]);
  }

  /** Drains ended together: forgotten in one write of the record. */
  async endedAll(which: readonly { virtual: string; server: string | null }[]): Promise<void> {
    for (const w of which) this.disarm(w.virtual, w.server);
    const gone = new Set(which.map((w) => this.key(w.virtual, w.server)));
    const kept = this.state.drains.filter((x) => !gone.has(this.key(x.virtual, x.server)));
    if (kept.length === this.state.drains.length) return;
    await this.commit({ drains: kept });
  }

  private key(virtual: string, server: string | null): string {
    return `${virtual}\0${server ?? ''}`;
  }

  private arm(d: Drain): void {
    this.disarm(d.virtual, d.server);
    if (d.deactivateAt === null || this.closed) return;
    const left = Math.max(0, Date.parse(d.deactivateAt) - this.now());
    this.timers.set(this.key(d.virtual, d.server), setTimeout(() => void this.expire(d.virtual, d.server), Math.min(left, MAX_TIMER_MS)));
  }

  private disarm(virtual: string, server: string | null): void {
    const k = this.key(virtual, server);
    const t = this.timers.get(k);
    if (t) clearTimeout(t);
    this.timers.delete(k);
  }

  /** The timeout of a drain passed: deactivate what it drains, if the drain still holds. */
  private async expire(virtual: string, server: string | null): Promise<void> {
    const d = this.find(virtual, server);
    if (!d || this.closed) return;
    if (d.deactivateAt && Date.parse(d.deactivateAt) > this.now()) return this.arm(d);
    try {
      const snap = await this.opts.store.read();
      const model = snap.parsed.model;
      if (!model || !inEffect(d, model)) {
        this.log(`the drain of ${drainLabel(virtual, server)} is over (lvs.cf changed): not deactivating it`);
        await this.ended(virtual, server);
        return;
      }
      const after = Math.round((Date.parse(d.deactivateAt!) - Date.parse(d.startedAt)) / 1000);
      const result = await this.opts.save({
        baseVersion: snap.version,
        client: 'console',
        action: `deactivate ${drainLabel(virtual, server)} (drained for ${describeSeconds(after)})`,
        build: (cur) => (cur.parsed.model && inEffect(d, cur.parsed.model) ? endDrain(cur.parsed.model, d, 'deactivate') : []),
      });
      if (result.kind === 'saved') {
        const agent = await this.opts.reload();
        this.log(`deactivated ${drainLabel(virtual, server)} at the end of its drain (lvs.cf serial ${result.serialTo})${agent ? `; ${agent.message}` : ''}`);
        await this.ended(virtual, server);
      } else if (result.kind === 'conflict') {
        // Saved by someone at the same moment: try again shortly, on the new version.
        this.timers.set(this.key(virtual, server), setTimeout(() => void this.expire(virtual, server), 1000));
      } else {
        this.log(`the drain of ${drainLabel(virtual, server)} could not deactivate it (${result.kind}); it stays at weight 0`);
        await this.ended(virtual, server);
      }
    } catch (err) {
      this.log(`the drain of ${drainLabel(virtual, server)} failed to deactivate it: ${(err as Error).message}`);
    }
  }

  private async commit(next: DrainsState): Promise<void> {
    this.state = next;
    await this.file.write(next);
  }
}
