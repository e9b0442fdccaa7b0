// The minimal text patch between the parsed text and an edited tree: unedited lines keep their
// original line numbers, so the hunks are exactly the runs of removed and inserted lines.
import { cutLines } from './scan.ts';
import { flattenLines, type SyntaxTree } from './syntax.ts';
import type { PatchHunk } from './api-types.ts';

export function computePatch(oldText: string, tree: SyntaxTree): PatchHunk[] {
  // Only where each old line starts is needed: the cut lines, not a string per line.
  const old = cutLines(oldText);
  const offsetOf = (i: number) => (i < old.count ? old.at[3 * i]! : oldText.length);
  const hunks: PatchHunk[] = [];
  let p = 0; // next old line (0-based) not yet accounted for
  let inserted: string[] = [];
  const flush = (upTo: number) => {
    if (upTo > p || inserted.length) {
      const start = offsetOf(p);
      const end = offsetOf(upTo);
      hunks.push({ start, end, line: p + 1, removed: oldText.slice(start, end), inserted: inserted.join('') });
    }
    inserted = [];
    p = upTo;
  };
  for (const line of flattenLines(tree.children)) {
    if (line.num === null) {
      inserted.push(line.text + line.eol);
      continue;
    }
    flush(line.num - 1);
    p = line.num;
  }
  flush(old.count);
  return hunks;
}

/** Applies hunks (as computePatch returns them) to the old text. */
export function applyPatch(oldText: string, hunks: readonly PatchHunk[]): string {
  let out = '';
  let at = 0;
  for (const h of hunks) {
    out += oldText.slice(at, h.start) + h.inserted;
    at = h.end;
  }
  return out + oldText.slice(at);
}

/**
 * Applies hunks (sorted, not overlapping, offsets into the whole) to a text held as pieces: strings
 * (lvs-cf/text-pieces.ts) or its bytes (the console's server/file-bytes.ts, where an offset into the
 * text is one into the bytes). The parts left as they were are the old pieces, whole where a hunk
 * does not cut them and cut (`cut(piece, from, to)`, offsets into the piece) where one does; each
 * inserted text is `insert(text)`. No piece is copied whole, so a small edit of a large text costs
 * the edit, not the text.
 */
export function splicePieces<P extends { readonly length: number }>(
  pieces: readonly P[],
  hunks: readonly PatchHunk[],
  cut: (piece: P, from: number, to: number) => P,
  insert: (text: string) => P,
): P[] {
  const out: P[] = [];
  let i = 0;
  let start = 0; // the offset of pieces[i]
  const keep = (from: number, to: number) => {
    while (from < to) {
      while (start + pieces[i]!.length <= from) start += pieces[i++]!.length;
      const p = pieces[i]!;
      const end = Math.min(to, start + p.length);
      out.push(from === start && end === start + p.length ? p : cut(p, from - start, end - start));
      from = end;
    }
  };
  let at = 0;
  for (const h of hunks) {
    keep(at, h.start);
    if (h.inserted) out.push(insert(h.inserted));
    at = h.end;
  }
  keep(at, pieces.reduce((n, p) => n + p.length, 0));
  return out;
}
