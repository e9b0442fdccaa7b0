// A line diff (longest common subsequence) to show an administrator what changed in lvs.cf between
// the version a form was read at and the current file. lvs.cf files are small enough for O(n·m) on the
// differing middle once the common head and tail are trimmed.
export interface DiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
  /** 1-based line in the old text (removed/same) or the new text (added). */
  line: number;
}

const MAX_CELLS = 4_000_000;

export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ kind: 'same', text: a[i], line: i + 1 });
  if (am.length * bm.length > MAX_CELLS) {
    // Too large to align: show the whole middle as replaced rather than spend seconds aligning it.
    am.forEach((t, i) => out.push({ kind: 'removed', text: t, line: head + i + 1 }));
    bm.forEach((t, i) => out.push({ kind: 'added', text: t, line: head + i + 1 }));
  } else {
    const n = am.length;
    const m = bm.length;
    const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = am[i] === bm[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ kind: 'same', text: am[i], line: head + i + 1 });
        i++;
        j++;
      } else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        // Removed lines before added ones, as in a unified diff.
        out.push({ kind: 'removed', text: am[i], line: head + i + 1 });
        i++;
      } else {
        out.push({ kind: 'added', text: bm[j], line: head + j + 1 });
        j++;
      }
    }
  }
  for (let k = 0; k < tail; k++) {
    const idx = a.length - tail + k;
    out.push({ kind: 'same', text: a[idx], line: idx + 1 });
  }
  return out;
}

/** Only the changed lines with `context` unchanged lines around each change, for display. */
export function changedWithContext(diff: DiffLine[], context = 2): (DiffLine | { kind: 'gap' })[] {
  const keep = new Array<boolean>(diff.length).fill(false);
  diff.forEach((d, i) => {
    if (d.kind === 'same') return;
    for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) keep[k] = true;
  });
  const out: (DiffLine | { kind: 'gap' })[] = [];
  let gap = false;
  diff.forEach((d, i) => {
    if (keep[i]) {
      out.push(d);
      gap = false;
    } else if (!gap) {
      out.push({ kind: 'gap' });
      gap = true;
    }
  });
  return out;
}

/** The lines of a hunk's text (a trailing line ending does not make an empty last line). */
function linesOf(text: string): string[] {
  if (text === '') return [];
  const ls = text.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  return ls;
}

/** Up to `n` whole lines of `text` ending just before `pos` (a line start), first to last. */
function linesBefore(text: string, pos: number, n: number): string[] {
  const out: string[] = [];
  let end = pos - 1; // the '\n' ending the line before pos
  while (out.length < n && end >= 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    out.unshift(text.slice(start, end));
    end = start - 1;
  }
  return out;
}

/** Up to `n` whole lines of `text` from `pos` (a line start). */
function linesAfter(text: string, pos: number, n: number): string[] {
  const out: string[] = [];
  let start = pos;
  while (out.length < n && start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    out.push(text.slice(start, end));
    start = end + 1;
  }
  return out;
}

export interface DiffHunk {
  start: number;
  end: number;
  /** 1-based line of `start` in the old text. */
  line: number;
  removed: string;
  inserted: string;
}

/**
 * The changed lines of an edit, from its hunks (as the lvs-cf library's edit returns them) with
 * `context` lines of the old text around each: what changedWithContext(lineDiff(old, new)) shows,
 * at the cost of the change rather than of the file (a one-line save of a 26 MB lvs.cf).
 */
export function hunkDiff(oldText: string, hunks: readonly DiffHunk[], context = 2): (DiffLine | { kind: 'gap' })[] {
  const out: (DiffLine | { kind: 'gap' })[] = [];
  let shown = 0; // last old line shown
  let delta = 0; // new line number - old line number after the hunks so far
  for (const [i, h] of hunks.entries()) {
    const removed = linesOf(h.removed);
    const inserted = linesOf(h.inserted);
    const from = Math.max(shown + 1, h.line - context);
    if (from > shown + 1) out.push({ kind: 'gap' });
    const before = linesBefore(oldText, h.start, h.line - from);
    before.forEach((text, k) => out.push({ kind: 'same', text, line: h.line - before.length + k }));
    removed.forEach((text, k) => out.push({ kind: 'removed', text, line: h.line + k }));
    inserted.forEach((text, k) => out.push({ kind: 'added', text, line: h.line + delta + k }));
    delta += inserted.length - removed.length;
    const afterLine = h.line + removed.length;
    const next = hunks[i + 1];
    const room = next ? Math.max(0, next.line - afterLine) : context;
    const after = linesAfter(oldText, h.end, Math.min(context, room));
    after.forEach((text, k) => out.push({ kind: 'same', text, line: afterLine + k }));
    shown = afterLine + after.length - 1;
  }
  const lastEnd = hunks.length ? hunks[hunks.length - 1]!.end : 0;
  if (hunks.length && linesAfter(oldText, lastEnd, context + 1).length > context) out.push({ kind: 'gap' });
  return out;
}
