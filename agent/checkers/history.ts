// The last HISTORY_DEPTH results of every health check, kept compact because a site may check
// 200,000 real servers: one slab of typed arrays for all checks (time, latency, verdict, exit
// status per result; no object per check or per result), and a string of at most DETAIL_MAX
// characters only for a result that has something to quote (the first bytes of an answer, a
// program's output, why a check failed). A check holds one slot of the slab, reused once freed.
import { printable } from './escape.ts';

type CheckerStateName = 'pending' | 'up' | 'down';

/** Results kept per check. */
export const HISTORY_DEPTH = 20;
/** Most characters of a result's quoted answer or error message. */
export const DETAIL_MAX = 64;

/** One check result, as it is read back. */
export interface CheckRecord {
  /** ms since the epoch. */
  at: number;
  ok: boolean;
  /** How long the check took, ms (microsecond precision). */
  latencyMs: number;
  /** A program's exit status, null for a network check or a program that did not exit normally. */
  exitCode: number | null;
  /** The first bytes of the answer (a program's output), printable, or '' when none was read. */
  received: string;
  /** Why it failed, null when it passed. */
  error: string | null;
}

/** What the recorder is given for one result. */
export interface CheckResultInput {
  at: number;
  ok: boolean;
  latencyMs: number;
  exitCode?: number | null;
  received?: string;
  error?: string | null;
}

const NO_EXIT = -32768;

/** One result as the pool records it: the verdict, how long it took and what came back. */
export interface Observed {
  latencyMs: number;
  received?: string;
  exitCode?: number | null;
}

/** The first bytes of an answer, printable, for the history. */
export function quoted(b: Buffer | null | undefined): string {
  return b && b.length > 0 ? printable(b.subarray(0, DETAIL_MAX)) : '';
}

/** Why a checker went from `from` to `to`, in words. */
export function changeReason(to: CheckerStateName, from: CheckerStateName, error: string | null, reentrySec: number, reentered: boolean): string {
  if (to === 'down') return error ?? 'check failed';
  if (from === 'pending') return 'first check passed';
  return reentered && reentrySec > 0 ? `checks passed for ${reentrySec} s (reentry)` : 'check passed';
}

/** Cuts a detail to DETAIL_MAX characters (an ellipsis marks the cut). */
export function capDetail(text: string): string {
  return text.length <= DETAIL_MAX ? text : `${text.slice(0, DETAIL_MAX - 1)}…`;
}

export class CheckHistory {
  private capacity = 0;
  private at = new Float64Array(0);
  private latency = new Float32Array(0);
  private exit = new Int16Array(0);
  /** Bit 0: passed. */
  private flags = new Uint8Array(0);
  /** Next slot to write, per check. */
  private head = new Uint8Array(0);
  /** Results held, per check (≤ HISTORY_DEPTH). */
  private count = new Uint8Array(0);
  /** received (index 2i) and error (2i+1) of result i, only where there is one. */
  private details: (string | undefined)[] = [];
  private readonly free: number[] = [];
  private used = 0;

  /** A new, empty ring; returns its id. */
  open(): number {
    const id = this.free.pop() ?? this.used++;
    if (id >= this.capacity) this.grow(Math.max(64, this.capacity * 2));
    this.clear(id);
    return id;
  }

  /** Frees a ring (its check was removed). */
  release(id: number): void {
    this.clear(id);
    this.free.push(id);
  }

  /** Forgets a ring's results (its check changed). */
  clear(id: number): void {
    this.head[id] = 0;
    this.count[id] = 0;
    const base = id * HISTORY_DEPTH * 2;
    for (let i = 0; i < HISTORY_DEPTH * 2; i++) if (this.details[base + i] !== undefined) this.details[base + i] = undefined;
  }

  add(id: number, r: CheckResultInput): void {
    const slot = this.head[id]!;
    const i = id * HISTORY_DEPTH + slot;
    this.at[i] = r.at;
    this.latency[i] = r.latencyMs;
    this.exit[i] = r.exitCode === null || r.exitCode === undefined ? NO_EXIT : Math.max(-32767, Math.min(32767, r.exitCode));
    this.flags[i] = r.ok ? 1 : 0;
    const prev = id * HISTORY_DEPTH + ((slot - 1 + HISTORY_DEPTH) % HISTORY_DEPTH);
    this.setDetail(2 * i, r.received ? this.same(capDetail(r.received), 2 * prev) : undefined);
    this.setDetail(2 * i + 1, r.error ? this.same(capDetail(r.error), 2 * prev + 1) : undefined);
    this.head[id] = (slot + 1) % HISTORY_DEPTH;
    if (this.count[id]! < HISTORY_DEPTH) this.count[id]!++;
  }

  /** The ring's results, newest first. */
  read(id: number): CheckRecord[] {
    const out: CheckRecord[] = [];
    const n = this.count[id] ?? 0;
    for (let k = 1; k <= n; k++) {
      const slot = (this.head[id]! - k + HISTORY_DEPTH) % HISTORY_DEPTH;
      const i = id * HISTORY_DEPTH + slot;
      const exit = this.exit[i]!;
      out.push({
        at: this.at[i]!,
        ok: this.flags[i] === 1,
        latencyMs: Math.round(this.latency[i]! * 1000) / 1000,
        exitCode: exit === NO_EXIT ? null : exit,
        received: this.details[2 * i] ?? '',
        error: this.details[2 * i + 1] ?? null,
      });
    }
    return out;
  }

  /** The newest result's latency, null before the first result. */
  lastLatencyMs(id: number): number | null {
    if (!this.count[id]) return null;
    const i = id * HISTORY_DEPTH + ((this.head[id]! - 1 + HISTORY_DEPTH) % HISTORY_DEPTH);
    return Math.round(this.latency[i]! * 1000) / 1000;
  }

  /**
   * The previous result's string when equal to `text`: a server that fails the same way twenty
   * times keeps one copy of the message, not twenty.
   */
  private same(text: string, prevIndex: number): string {
    const prev = this.details[prevIndex];
    return prev === text ? prev : text;
  }

  private setDetail(index: number, value: string | undefined): void {
    // A holey array stays holey: writing undefined over a hole costs nothing.
    if (value !== undefined || this.details[index] !== undefined) this.details[index] = value;
  }

  private grow(capacity: number): void {
    const n = capacity * HISTORY_DEPTH;
    const at = grown(this.at, n);
    const latency = grown(this.latency, n);
    const exit = grown(this.exit, n);
    const flags = grown(this.flags, n);
    const head = grown(this.head, capacity);
    const count = grown(this.count, capacity);
    // Sized once per growth, so the array stays a plain (holey) array rather than a dictionary.
    const details = new Array<string | undefined>(n * 2);
    for (let k = 0; k < this.details.length; k++) if (this.details[k] !== undefined) details[k] = this.details[k];
    Object.assign(this, { at, latency, exit, flags, head, count, capacity, details });
  }
}

/** A typed array of `length` of the same kind as `old`, holding `old` at its start. */
function grown<A extends Float64Array | Float32Array | Int16Array | Uint8Array>(old: A, length: number): A {
  const next = new (old.constructor as new (length: number) => A)(length);
  next.set(old);
  return next;
}
