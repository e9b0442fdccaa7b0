// The lossless syntax tree: every physical line belongs to exactly one node, blocks own their
// header and closing lines, and printing the tree gives back the input byte for byte.
import { splitLines, tokenize, type Eol, type Token } from './lexer.ts';
import { syntaxError, diag, type Pos } from './diagnostics.ts';
import type { Diagnostic } from './model.ts';

export type LineKind = 'blank' | 'comment' | 'stmt' | 'open' | 'close' | 'bad';

export interface LineNode {
  type: 'line';
  kind: LineKind;
  text: string;
  eol: Eol;
  /** 1-based line number in the text this node was parsed from; null for lines an edit created. */
  num: number | null;
  tokens: Token[];
}

export type BlockLevel = 'virtual' | 'failover' | 'server';

export interface BlockNode {
  type: 'block';
  level: BlockLevel;
  header: LineNode;
  /** null when the file ends before the block's `}` (the daemons accept that). */
  close: LineNode | null;
  children: Node[];
}

export type Node = LineNode | BlockNode;

export interface SyntaxTree {
  children: Node[];
  /** The line ending new lines get: the file's first one, LF for an empty file. */
  eol: '\n' | '\r\n';
}

export function blockName(b: BlockNode): string {
  return b.header.tokens[1]?.text ?? '';
}

const OPENERS: Record<string, BlockLevel[]> = { virtual: ['virtual'], failover: ['failover'], server: ['server'] };

function pos(num: number, t: Token | undefined, fallbackCol = 0): Pos {
  return { line: num, column: (t ? t.col : fallbackCol) + 1, length: t ? t.text.length : 1 };
}

/** Builds the tree and reports the structural errors: quoting, block headers, braces, line endings. */
export function buildTree(text: string): { tree: SyntaxTree; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text);
  const root: Node[] = [];
  const stack: BlockNode[] = [];
  const container = () => (stack.length ? stack[stack.length - 1]!.children : root);

  checkLineEndings(lines, diagnostics);

  const hasNul = text.indexOf('\0') >= 0;
  for (const raw of lines) {
    const nul = hasNul ? raw.text.indexOf('\0') : -1;
    if (nul >= 0) {
      diagnostics.push(diag('error', 'BINARY', 'NUL byte: this is not a text file', { line: raw.num, column: nul + 1, length: 1 }));
    }
    const node: LineNode = { type: 'line', kind: 'bad', text: raw.text, eol: raw.eol, num: raw.num, tokens: [] };
    const tk = tokenize(raw.text);
    if (!tk.ok) {
      diagnostics.push(syntaxError('BADQUOTING', 'this quote is never closed on its line', { line: raw.num, column: tk.col + 1, length: tk.length }));
      container().push(node);
      continue;
    }
    node.tokens = tk.tokens;
    if (tk.comment) node.kind = 'comment';
    else if (tk.tokens.length === 0) node.kind = 'blank';
    if (node.kind !== 'bad') {
      container().push(node);
      continue;
    }
    const first = tk.tokens[0]!;
    if (first.text === '}') {
      node.kind = 'close';
      const open = stack.pop();
      if (!open) {
        // At the top level the daemons look `}` up as a keyword: "unknown command".
        diagnostics.push(syntaxError('BADCOMMAND', '`}` closes no block', pos(raw.num, first)));
        root.push(node);
        continue;
      }
      open.close = node;
      const extra = tk.tokens[1];
      if (extra) {
        // The daemons drop the rest of a `}` line unread.
        const isComment = extra.text.startsWith('#');
        diagnostics.push(
          diag(
            isComment ? 'warning' : 'error',
            'AFTERBRACE',
            isComment
              ? 'text after `}` is ignored by the daemons; put the comment on its own line'
              : `text after \`}\` is ignored by the daemons: "${raw.text.slice(extra.col).trim()}" has no effect`,
            { line: raw.num, column: extra.col + 1, length: raw.text.length - extra.col },
          ),
        );
      }
      continue;
    }
    const level = stack.length ? stack[stack.length - 1]!.level : 'global';
    const opens =
      (level === 'global' && (first.text === 'virtual' || first.text === 'failover')) ||
      ((level === 'virtual' || level === 'failover') && first.text === 'server');
    if (opens) {
      node.kind = 'open';
      const name = tk.tokens[1];
      const brace = tk.tokens[2];
      if (!name || !brace) {
        const glued = name && name.text.endsWith('{');
        diagnostics.push(
          syntaxError(
            'MISSINGARGS',
            glued
              ? '`{` must be separated from the name by a space'
              : `expected "${first.text} NAME {" with the \`{\` on the same line`,
            pos(raw.num, name ?? first),
          ),
        );
      } else if (tk.tokens[3]) {
        // The daemons count the words before they look at the third one.
        diagnostics.push(syntaxError('EXTRAARGS', `expected "${first.text} NAME {" and nothing after it`, pos(raw.num, tk.tokens[3])));
      } else if (brace.text !== '{') {
        diagnostics.push(syntaxError('MISSINGARGS', `expected \`{\` after the name, found "${brace.text}"`, pos(raw.num, brace)));
      }
      const block: BlockNode = { type: 'block', level: OPENERS[first.text]![0]!, header: node, close: null, children: [] };
      container().push(block);
      stack.push(block);
      continue;
    }
    if (tk.tokens.length > 99) {
      // tokenizeString() keeps 99 words and drops the rest of the line unread.
      diagnostics.push(syntaxError('TOOMANYARGS', 'more than 99 words on one line; the daemons drop the rest of the line', pos(raw.num, tk.tokens[99])));
      container().push(node);
      continue;
    }
    node.kind = 'stmt';
    container().push(node);
  }
  for (const open of stack) {
    const num = open.header.num ?? 0;
    diagnostics.push(
      diag('warning', 'UNCLOSED', `\`${open.header.tokens[0]?.text} ${blockName(open)}\` is never closed with \`}\` before the end of the file`, {
        line: num,
        column: 1,
        length: open.header.text.length,
      }),
    );
  }
  const firstEol = lines.find((l) => l.eol !== '')?.eol;
  return { tree: { children: root, eol: firstEol === '\r\n' ? '\r\n' : '\n' }, diagnostics };
}

/**
 * The C parser ends a line at the first `\r` anywhere later in the file, else at `\n`: a CRLF file
 * parses as its first line only, and a `\r` after LF lines turns them into one bogus line.
 */
function checkLineEndings(lines: ReturnType<typeof splitLines>, diagnostics: Diagnostic[]): void {
  const withCr = lines.find((l) => l.eol === '\r\n' || l.eol === '\r');
  if (!withCr) return;
  const allCrlf = lines.every((l) => l.eol === '\r\n' || l.eol === '');
  if (allCrlf) {
    diagnostics.push(
      diag('error', 'CRLF', 'Windows (CRLF) line endings: the daemons would read only the first line and ignore the rest; convert the file to LF line endings', {
        line: 1,
        column: lines[0]!.text.length + 1,
        length: 1,
      }),
    );
  } else {
    diagnostics.push(
      diag('error', 'MIXEDEOL', 'mixed line endings: the daemons would read the lines before this carriage return as one line; use LF line endings only', {
        line: withCr.num,
        column: withCr.text.length + 1,
        length: 1,
      }),
    );
  }
}

/** Prints the tree: the exact input for an unedited tree. */
export function printTree(tree: SyntaxTree): string {
  const out: string[] = [];
  const walk = (nodes: Node[]) => {
    for (const n of nodes) {
      if (n.type === 'line') out.push(n.text, n.eol);
      else {
        out.push(n.header.text, n.header.eol);
        walk(n.children);
        if (n.close) out.push(n.close.text, n.close.eol);
      }
    }
  };
  walk(tree.children);
  return out.join('');
}
