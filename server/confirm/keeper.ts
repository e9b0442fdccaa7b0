// Holds the confirmation window of a change applied "with confirmation" and carries it out: the
// console, not the browser, owns the deadline, so a closed browser or a router the browser can no
// longer reach still gets its roll back. The state is written to <root>/pending-confirmation.json
// at every step and read again when the console starts: a deadline that passed while the console
// was down is carried out at once, one still ahead is waited for.
//
// A roll back is a save like any other (ConfigStore.restore: the mutex, the stale check, history/,
// audit.log), followed by the agent's reload. Every save goes through save() here, under one lock
// with the roll back, so a save cannot slip between the roll back's read and its write.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ConfigStore, SaveRequest, SaveResult, Snapshot } from '../config-store.ts';
import { versionOf } from '../config-store.ts';
import { Mutex } from '../mutex.ts';
import { StateFile } from '../state-file.ts';
import { close, confirmStateSchema, describeSeconds, EMPTY, isDue, msLeft, recordSave, undoPatches, type ConfirmState, type Outcome, type Pending } from './pending.ts';

export const DEFAULT_WINDOWS = [30, 60, 120, 300, 600] as const;
/** setTimeout's longest delay; a longer wait is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface KeeperOptions {
  store: ConfigStore;
  root: string;
  /** The windows an operator may choose, in seconds. */
  windows?: readonly number[];
  /** Asks the agent to re-read lvs.cf after a roll back; says what happened (null: no agent configured). */
  reload: () => Promise<{ ok: boolean; message: string } | null>;
  log?: (message: string) => void;
  now?: () => number;
}

export class ConfirmKeeper {
  readonly windows: readonly number[];
  private readonly store: ConfigStore;
  private readonly file: StateFile<typeof confirmStateSchema>;
  private readonly reload: KeeperOptions['reload'];
  private readonly log: (message: string) => void;
  private readonly now: () => number;
  private readonly lock = new Mutex();
  private state: ConfirmState = EMPTY;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(opts: KeeperOptions) {
    this.store = opts.store;
    this.windows = [...(opts.windows ?? DEFAULT_WINDOWS)].sort((a, b) => a - b);
    this.log = opts.log ?? ((m) => console.error(`piranha-gui: ${m}`));
    this.file = new StateFile(join(opts.root, 'pending-confirmation.json'), confirmStateSchema, EMPTY, this.log);
    this.reload = opts.reload;
    this.now = opts.now ?? Date.now;
  }

  /** Reads the saved window and arms its deadline (a passed one is carried out at once). */
  async start(): Promise<void> {
    this.state = await this.file.read();
    const p = this.state.pending;
    if (p) this.log(`a change waits for confirmation until ${p.deadline}: ${p.actions.join('; ')}`);
    this.arm();
  }

  /**
   * No deadline fires any more; resolves once a save, CONFIRM or roll back in progress has finished,
   * so that the console never stops (nor its root is removed) in the middle of restoring lvs.cf.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.lock.run(async () => {});
  }

  get pending(): Pending | null {
    return this.state.pending;
  }

  get outcome(): Outcome | null {
    return this.state.outcome;
  }

  /** Milliseconds left in the open window, null when none is open. */
  msLeft(): number | null {
    return msLeft(this.state, this.now());
  }

  /** Whether `seconds` is one of the windows offered. */
  offers(seconds: number): boolean {
    return this.windows.includes(seconds);
  }

  /**
   * Saves (ConfigStore.save) under the lock the roll back takes. A save with `seconds` opens a
   * window, or joins the open one and restarts its clock; a save without joins an open window.
   */
  save(req: SaveRequest, seconds: number | null): Promise<{ result: SaveResult; pending: Pending | null }> {
    return this.lock.run(async () => {
      const result = await this.store.save(req);
      if (result.kind === 'saved') {
        const next = recordSave(this.state, {
          client: req.client,
          action: req.action,
          from: { version: result.base.version, serial: result.serialFrom },
          to: { version: result.snapshot.version, serial: result.serialTo },
          patch: result.patch,
        }, seconds, this.now(), () => randomBytes(12).toString('base64url'));
        if (next !== this.state) await this.commit(next);
      }
      return { result, pending: this.state.pending };
    });
  }

  /**
   * Saves an earlier version again (the HISTORY panel's REVERT) under the lock the roll back takes,
   * so a revert and a roll back never interleave.
   */
  restore(req: Parameters<ConfigStore['restore']>[0]): Promise<SaveResult> {
    return this.lock.run(() => this.store.restore(req));
  }

  /** CONFIRM: the change stays. False when no such window is open (confirmed or rolled back already). */
  confirm(id: string, client: string): Promise<boolean> {
    return this.lock.run(async () => {
      const p = this.state.pending;
      if (!p || p.id !== id) return false;
      await this.store.audit({ action: `confirm change: ${p.actions.join('; ')}`, client, serial: [p.restore.serial, p.last.serial] });
      await this.commit(close(this.state, 'confirmed', client, `Confirmed by ${client}: lvs.cf stays at serial ${p.last.serial}.`, this.now()));
      return true;
    });
  }

  /** ROLL BACK NOW. False when no such window is open. */
  rollBack(id: string, client: string): Promise<boolean> {
    return this.lock.run(async () => {
      const p = this.state.pending;
      if (!p || p.id !== id) return false;
      await this.rollBackNow(p, client, `ROLL BACK NOW from ${client}`);
      return true;
    });
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const left = this.msLeft();
    if (left === null || this.closed) return;
    this.timer = setTimeout(() => void this.expire(), Math.min(left, MAX_TIMER_MS));
  }

  private async expire(): Promise<void> {
    await this.lock.run(async () => {
      const p = this.state.pending;
      if (!p || this.closed) return;
      if (!isDue(this.state, this.now())) return this.arm();
      await this.rollBackNow(p, 'console', `not confirmed within ${describeSeconds(p.seconds)}`);
    }).catch((err) => this.log(`the roll back of an unconfirmed change failed: ${(err as Error).stack ?? err}`));
  }

  /** Restores the version before the window (a new, audited version) and reloads the agent. */
  private async rollBackNow(p: Pending, by: string, why: string): Promise<void> {
    const restoreText = async (current: Snapshot): Promise<string> => {
      // The file as the last save left it: undo the saves' own patches (the cost of the change).
      if (current.version === p.last.version) {
        try {
          const text = undoPatches(current.text, p.patches);
          if (versionOf(text) === p.restore.version) return text;
        } catch {
          // fall through to history/
        }
      }
      // Changed otherwise since (a hand edit): the version before the window, from history/.
      const kept = await this.store.textOf(p.restore.version);
      if (kept === null) throw new Error(`the version before the change (serial ${p.restore.serial}) is no longer in ${this.store.historyDir}`);
      return kept;
    };
    const action = `roll back (${why}): ${p.actions.join('; ')}`;
    let outcome: { kind: Outcome['kind']; message: string };
    try {
      let result: SaveResult;
      // The file may change between reading its version and the restore's own read: try twice.
      let attempts = 0;
      do {
        const current = await this.store.read();
        result = await this.store.restore({ baseVersion: current.version, client: by, action, note: { rollback: { restored: p.restore.version, serial: p.restore.serial } }, restoreText });
      } while (result.kind === 'conflict' && ++attempts < 2);
      if (result.kind !== 'saved') throw new Error(result.kind === 'invalid' ? `the restored file does not validate: ${result.diagnostics.map((d) => d.message).join('; ')}` : `lvs.cf kept changing (${result.kind})`);
      const agent = await this.reload();
      outcome = {
        kind: 'rolled-back',
        message: `Rolled back (${why}): lvs.cf holds the configuration of serial ${p.restore.serial} again, saved as serial ${result.serialTo}.${agent ? ` ${agent.message}` : ''}`,
      };
      this.log(`${action}: lvs.cf restored as serial ${result.serialTo}`);
    } catch (err) {
      const message = `The roll back failed: ${(err as Error).message}. lvs.cf was left as it is; restore it from ${this.store.historyDir}.`;
      await this.store.audit({ action: `${action}: failed`, client: by, ok: false, result: (err as Error).message });
      this.log(message);
      outcome = { kind: 'rollback-failed', message };
    }
    await this.commit(close(this.state, outcome.kind, by, outcome.message, this.now()));
  }

  private async commit(next: ConfirmState): Promise<void> {
    this.state = next;
    await this.file.write(next);
    this.arm();
  }
}
