// Where a key's value sits in the file, looked up in the tree only when a check needs it:
// recording a position for every statement up front cost more than the rest of reading a large file.
import type { Pos } from './diagnostics.ts';
import type { BlockNode, LineNode, Node, SyntaxTree } from './syntax.ts';
import type { Target } from './model.ts';

export interface Locator {
  /** The value of the statement that sets `key` (the last one), or `@header` for the block's header line. */
  where(t: Target, key: string): Pos | undefined;
  has(t: Target, key: string): boolean;
}

function lastStatement(nodes: Node[], key: string): LineNode | undefined {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (n.type === 'line' && n.kind === 'stmt' && n.keyword === key) return n;
  }
  return undefined;
}

/** `blocks` are the virtual and failover blocks in target order (virtuals first). */
export function makeLocator(tree: SyntaxTree, blocks: BlockNode[]): Locator {
  const find = (t: Target): BlockNode | null | undefined => {
    if (t.scope === 'global') return null;
    const vb = blocks[t.virtual];
    if (!vb || t.scope === 'virtual') return vb;
    return vb.children.filter((n): n is BlockNode => n.type === 'block')[t.server];
  };
  return {
    where(t, key) {
      const b = find(t);
      if (b === undefined) return undefined;
      if (key === '@header') return b ? { line: b.header.num ?? 0, column: 1, length: b.header.text.length } : undefined;
      const stmt = lastStatement(b ? b.children : tree.children, key);
      if (!stmt || stmt.tokens.length < 3) return undefined;
      const first = stmt.tokens[2]!;
      const last = stmt.tokens[stmt.tokens.length - 1]!;
      return { line: stmt.num ?? 0, column: first.col + 1, length: last.col + last.text.length - first.col };
    },
    has(t, key) {
      const b = find(t);
      return b !== undefined && lastStatement(b ? b.children : tree.children, key) !== undefined;
    },
  };
}
