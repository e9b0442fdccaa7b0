// Line deltas between two versions of lvs.cf, as the library's patch hunks (offsets in the old text,
// the removed and inserted lines): what history/ stores per version, what the HISTORY panel's diff
// shows (through line-diff.ts's hunkDiff) and what a revert records. A delta can be applied in both
// directions, so any kept version is rebuilt from the current file or from the nearest full copy.
//
// The diff is Myers' O((N+M)·D) on the lines between the common head and tail: a 26 MB file with a
// few changed lines costs a few passes over it, not N·M. Past MAX_EDITS differences the middle is
// recorded as one replaced run (still exact, only larger).
import type { PatchHunk } from '../../lvs-cf/index.ts';

const MAX_EDITS = 2000;

/** Where each line of `text` starts (the last entry is text.length), lines cut after each '\n'. */
function lineStarts(text: string, from: number, to: number): number[] {
  const starts = [from];
  let i = from;
  while (i < to) {
    const nl = text.indexOf('\n', i);
    if (nl < 0 || nl >= to) break;
    i = nl + 1;
    if (i < to) starts.push(i);
  }
  starts.push(to);
  return starts;
}

/** The common head of two strings, backed off to a line start. */
function commonHead(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  // Compare in chunks first: the usual difference is a few lines somewhere in megabytes.
  const CHUNK = 4096;
  while (i + CHUNK <= n && a.slice(i, i + CHUNK) === b.slice(i, i + CHUNK)) i += CHUNK;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === a.length && i === b.length) return i;
  // lastIndexOf with a negative start still looks at index 0.
  return i === 0 ? 0 : a.lastIndexOf('\n', i - 1) + 1;
}

/** The common tail of two strings after `head`, backed off to a line start. */
function commonTail(a: string, b: string, head: number): number {
  const n = Math.min(a.length, b.length) - head;
  let k = 0;
  const CHUNK = 4096;
  while (k + CHUNK <= n && a.slice(a.length - k - CHUNK, a.length - k) === b.slice(b.length - k - CHUNK, b.length - k)) k += CHUNK;
  while (k < n && a.charCodeAt(a.length - 1 - k) === b.charCodeAt(b.length - 1 - k)) k++;
  // The tail must start at a line start in both texts (just after a '\n', or at a text's end).
  while (k > 0) {
    const pa = a.length - k;
    const pb = b.length - k;
    if ((pa === 0 || a.charCodeAt(pa - 1) === 10) && (pb === 0 || b.charCodeAt(pb - 1) === 10)) break;
    k--;
  }
  return k;
}

/** The line number (1-based) of offset `at` in `text`. */
function lineAt(text: string, at: number): number {
  let n = 1;
  let i = text.indexOf('\n');
  while (i >= 0 && i < at) {
    n++;
    i = text.indexOf('\n', i + 1);
  }
  return n;
}

/** The hunks turning `oldText` into `newText`: runs of whole removed and inserted lines. */
export function textDelta(oldText: string, newText: string): PatchHunk[] {
  if (oldText === newText) return [];
  const head = commonHead(oldText, newText);
  const tail = commonTail(oldText, newText, head);
  const aStarts = lineStarts(oldText, head, oldText.length - tail);
  const bStarts = lineStarts(newText, head, newText.length - tail);
  const a: string[] = [];
  const b: string[] = [];
  for (let i = 0; i + 1 < aStarts.length; i++) a.push(oldText.slice(aStarts[i], aStarts[i + 1]));
  for (let i = 0; i + 1 < bStarts.length; i++) b.push(newText.slice(bStarts[i], bStarts[i + 1]));
  const firstLine = lineAt(oldText, head);
  const runs = myers(a, b) ?? [{ a0: 0, a1: a.length, b0: 0, b1: b.length }];
  return runs.map((r) => ({
    start: aStarts[r.a0]!,
    end: aStarts[r.a1]!,
    line: firstLine + r.a0,
    removed: a.slice(r.a0, r.a1).join(''),
    inserted: b.slice(r.b0, r.b1).join(''),
  }));
}

interface Run {
  a0: number;
  a1: number;
  b0: number;
  b1: number;
}

/** Runs of differing lines (Myers' greedy diff with its trace), or null past MAX_EDITS. */
function myers(a: string[], b: string[]): Run[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const trace: Int32Array[] = [];
  let v = new Int32Array(2 * max + 3);
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return null;
  // Walk the trace back from (n, m), collecting one removed or inserted line per step.
  const ops: { kind: 'del' | 'ins'; a: number; b: number }[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const pv = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && pv[offset + k - 1]! < pv[offset + k + 1]!) ? k + 1 : k - 1;
    const px = pv[offset + prevK]!;
    const py = px - prevK;
    while (x > px && y > py) {
      x--;
      y--;
    }
    if (x === px) ops.push({ kind: 'ins', a: x, b: py });
    else ops.push({ kind: 'del', a: px, b: y });
    x = px;
    y = py;
  }
  ops.reverse();
  const runs: Run[] = [];
  for (const op of ops) {
    const last = runs[runs.length - 1];
    const a0 = op.a;
    const b0 = op.b;
    if (last && last.a1 === a0 && last.b1 === b0) {
      if (op.kind === 'del') last.a1++;
      else last.b1++;
    } else runs.push({ a0, a1: a0 + (op.kind === 'del' ? 1 : 0), b0, b1: b0 + (op.kind === 'ins' ? 1 : 0) });
  }
  return runs;
}

/** Applies hunks (offsets in `text`, in order) to `text`; throws when they do not fit it. */
export function applyDelta(text: string, hunks: readonly PatchHunk[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const h of hunks) {
    if (h.start < at || h.end > text.length || text.slice(h.start, h.end) !== h.removed) throw new Error('a history delta does not fit the version it was made against');
    parts.push(text.slice(at, h.start), h.inserted);
    at = h.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** The hunks that undo `hunks`: offsets and lines in the text `hunks` produced. */
export function invertDelta(hunks: readonly PatchHunk[]): PatchHunk[] {
  let shift = 0;
  let lineShift = 0;
  return hunks.map((h) => {
    const start = h.start + shift;
    const inv = { start, end: start + h.inserted.length, line: h.line + lineShift, removed: h.inserted, inserted: h.removed };
    shift += h.inserted.length - h.removed.length;
    lineShift += countLines(h.inserted) - countLines(h.removed);
    return inv;
  });
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** "+3 −1 lines": the size of a delta, for the history list. */
export function deltaSize(hunks: readonly PatchHunk[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const h of hunks) {
    added += countLines(h.inserted) + (h.inserted !== '' && !h.inserted.endsWith('\n') ? 1 : 0);
    removed += countLines(h.removed) + (h.removed !== '' && !h.removed.endsWith('\n') ? 1 : 0);
  }
  return { added, removed };
}
