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
export function applyPatch(oldText: string, hunks: PatchHunk[]): string {
  let out = '';
  let at = 0;
  for (const h of hunks) {
    out += oldText.slice(at, h.start) + h.inserted;
    at = h.end;
  }
  return out + oldText.slice(at);
}
