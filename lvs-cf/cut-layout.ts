// Where a parsed lvs.cf can be cut for an edit at the cost of its lines (incremental.ts) or a
// reload of the virtual servers a change falls in (reparse.ts): the end of the prelude and of each
// virtual block, or why the file cannot be cut at all.
import type { LineNode, SyntaxTree } from './syntax.ts';
import type { ParseResult } from './api-types.ts';

/** Where the prelude and each block end: char offsets and the number of lines before them. */
export interface Layout {
  /** ends[0]: the end of the prelude; ends[k + 1]: the end of virtual block k. */
  ends: number[];
  lines: number[];
}

/** A message that quotes a line number would be wrong once lines move. */
const NO_CUT = /\bline \d/;

export function endOf(l: LineNode): number {
  return l.end + l.eol.length;
}

/** The layout of a parsed file, or why it cannot be cut. */
export function layoutOf(text: string, tree: SyntaxTree, result: ParseResult): Layout | string {
  if (!result.model || !result.ok || result.diagnostics.some((d) => d.severity === 'error')) return 'the file has errors';
  if (result.model.failovers.length) return 'the file has failover blocks';
  if (text.includes('\r')) return 'the file has carriage returns';
  if (result.diagnostics.some((d) => NO_CUT.test(d.message))) return 'a message quotes a line number';
  if (!text.endsWith('\n')) return 'the last line has no line ending';
  let prelude: LineNode | null = null;
  let sawBlock = false;
  const ends: number[] = [];
  const lines: number[] = [];
  for (const n of tree.children) {
    if (n.type === 'block') {
      if (!n.close || n.level !== 'virtual' || n.close.num === null) return 'a block is not closed';
      if (!sawBlock) {
        if (!prelude || prelude.num === null) return 'no global statement before the first block';
        ends.push(endOf(prelude));
        lines.push(prelude.num);
      }
      sawBlock = true;
      ends.push(endOf(n.close));
      lines.push(n.close.num);
      continue;
    }
    if (n.kind === 'stmt' || n.kind === 'bad') {
      if (sawBlock) return 'a global statement after the first block';
      prelude = n;
    } else if (n.kind !== 'blank' && n.kind !== 'comment') return 'an unexpected line';
  }
  if (!sawBlock) return 'no virtual server';
  return { ends, lines };
}

/** Line endings in s[from, to). */
export function countLines(s: string, from: number, to: number): number {
  let c = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) c++;
  return c;
}
