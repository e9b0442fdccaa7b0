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
