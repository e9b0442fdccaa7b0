// A change applied with a confirmation window (a network device's "commit confirmed"): the state,
// pure. A save made with a window opens it; saves made while it is open join it (ROLL BACK undoes
// them all, back to the version before the first); CONFIRM closes it; when the deadline passes
// unconfirmed the keeper (keeper.ts) rolls back. The state is a JSON file in the console's root, so
// it outlives the browser and a restart of the console.
import { z } from 'zod';

const version = z.string().regex(/^[0-9a-f]{64}$/);
const iso = z.string();

const hunkSchema = z.object({ start: z.number().int(), end: z.number().int(), line: z.number().int(), removed: z.string(), inserted: z.string() });
export type Hunk = z.infer<typeof hunkSchema>;

export const pendingSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  startedAt: iso,
  deadline: iso,
  /** The window the operator chose last, in seconds. */
  seconds: z.number().int().positive(),
  /** Who saved, and what each save was ("edit real server a of web"), oldest first. */
  clients: z.array(z.string()),
  actions: z.array(z.string()),
  /** The version before the first save: what a roll back restores. */
  restore: z.object({ version, serial: z.number().int() }),
  /** The version the latest save wrote. */
  last: z.object({ version, serial: z.number().int() }),
  /** Each save's patch, oldest first: undone newest first, a roll back costs the size of the change. */
  patches: z.array(z.array(hunkSchema)),
});
export type Pending = z.infer<typeof pendingSchema>;

export const outcomeSchema = z.object({
  kind: z.enum(['confirmed', 'rolled-back', 'rollback-failed']),
  time: iso,
  actions: z.array(z.string()),
  /** Who ended it: a client address, or the console itself when the deadline passed. */
  by: z.string(),
  message: z.string(),
});
export type Outcome = z.infer<typeof outcomeSchema>;

export const confirmStateSchema = z.object({ pending: pendingSchema.nullable(), outcome: outcomeSchema.nullable() });
export type ConfirmState = z.infer<typeof confirmStateSchema>;

export const EMPTY: ConfirmState = { pending: null, outcome: null };

/** One save, as the window records it. */
export interface SavedChange {
  client: string;
  action: string;
  from: { version: string; serial: number };
  to: { version: string; serial: number };
  patch: Hunk[];
}

/**
 * A save was made. With `seconds` it opens a window (or, when one is open, joins it and restarts
 * its clock: the operator needs the time to check the latest change too); without, it joins an open
 * window and leaves the deadline alone, and changes nothing when none is open.
 */
export function recordSave(state: ConfirmState, save: SavedChange, seconds: number | null, now: number, newId: () => string): ConfirmState {
  const p = state.pending;
  if (p === null) {
    if (seconds === null) return state;
    return {
      ...state,
      pending: {
        id: newId(),
        startedAt: new Date(now).toISOString(),
        deadline: new Date(now + seconds * 1000).toISOString(),
        seconds,
        clients: [save.client],
        actions: [save.action],
        restore: save.from,
        last: save.to,
        patches: [save.patch],
      },
    };
  }
  return {
    ...state,
    pending: {
      ...p,
      ...(seconds !== null ? { seconds, deadline: new Date(now + seconds * 1000).toISOString() } : {}),
      clients: [...p.clients, save.client],
      actions: [...p.actions, save.action],
      last: save.to,
      patches: [...p.patches, save.patch],
    },
  };
}

/** Whether the open window's deadline has passed. */
export function isDue(state: ConfirmState, now: number): boolean {
  return state.pending !== null && Date.parse(state.pending.deadline) <= now;
}

/** Milliseconds until the deadline (0 when past), null when no window is open. */
export function msLeft(state: ConfirmState, now: number): number | null {
  return state.pending === null ? null : Math.max(0, Date.parse(state.pending.deadline) - now);
}

/** The window ends: confirmed, rolled back, or a roll back that could not be made. */
export function close(state: ConfirmState, kind: Outcome['kind'], by: string, message: string, now: number): ConfirmState {
  const actions = state.pending?.actions ?? [];
  return { pending: null, outcome: { kind, time: new Date(now).toISOString(), actions, by, message } };
}

/**
 * The text before the window's saves: each save's patch undone, newest first. A hunk's offsets are
 * in the text before its save; where its inserted text lies after the save follows from the hunks
 * before it. Throws when the text does not hold what a save wrote (the file changed otherwise).
 */
export function undoPatches(text: string, patches: readonly (readonly Hunk[])[]): string {
  let out = text;
  for (let i = patches.length - 1; i >= 0; i--) {
    const patch = patches[i]!;
    // Where each hunk's inserted text lies in the patched text.
    let shift = 0;
    const placed = patch.map((h) => {
      const start = h.start + shift;
      shift += h.inserted.length - (h.end - h.start);
      return { start, end: start + h.inserted.length, h };
    });
    // One pass per save: the text between hunks is copied once.
    let next = '';
    let at = 0;
    for (const { start, end, h } of placed) {
      if (out.slice(start, end) !== h.inserted) throw new Error(`lvs.cf does not hold what save ${i + 1} wrote at line ${h.line}`);
      next += out.slice(at, start) + h.removed;
      at = end;
    }
    out = next + out.slice(at);
  }
  return out;
}

/** A duration for people: 30 s, 1 min, 2 min 30 s. */
export function describeSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return s ? `${m} min ${s} s` : `${m} min`;
}
