// Where each top-level block of a parsed file lies in its text: the byte range from the start of its
// header line to the end of its closing line (line ending included). A change given as text hunks
// can then be mapped to the virtual servers it touches without reading the rest of the file again.
import type { SyntaxTree } from './syntax.ts';

export interface BlockSpan {
  level: 'virtual' | 'failover';
  name: string;
  /** Offset of the header line's first character. */
  start: number;
  /** Offset just past the closing line's ending (the end of the text for a block never closed). */
  end: number;
  /** Position among the blocks of its level (the model's virtuals / failovers index). */
  index: number;
}

/** The top-level blocks of a tree parsed from `text`, in file order. */
export function blockSpans(tree: SyntaxTree, text: string): BlockSpan[] {
  const out: BlockSpan[] = [];
  const counts = { virtual: 0, failover: 0 };
  for (const n of tree.children) {
    if (n.type !== 'block' || n.level === 'server') continue;
    const end = n.close ? n.close.end + n.close.eol.length : text.length;
    out.push({ level: n.level, name: n.name, start: n.header.start, end, index: counts[n.level]++ });
  }
  return out;
}
