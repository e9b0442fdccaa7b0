// The lossless syntax tree: every physical line belongs to exactly one node, blocks own their
// header and closing lines, and printing the tree gives back the input byte for byte.
import { tokenize, type Eol, type Token } from './lexer.ts';
import { syntaxError, diag, type Pos } from './diagnostics.ts';
import type { Diagnostic } from './model.ts';

export type LineKind = 'blank' | 'comment' | 'stmt' | 'open' | 'close' | 'bad';

/**
 * One physical line. Its words are cut only when something asks for them: reading a large file
 * touches the keyword and the value of each statement and nothing else, and allocating a token
 * list for each of hundreds of thousands of lines cost more than the rest of the parse.
 */
export class LineNode {
  declare kind: LineKind;
  declare eol: Eol;
  /** 1-based line number in the text this node was parsed from; null for lines an edit created. */
  declare num: number | null;
  /**
   * The line is `src.slice(start, end)`: a parsed line points into the file it came from (so an
   * untouched run of lines prints as one slice of it), a line an edit wrote is its own source.
   */
  declare src: string;
  declare start: number;
  declare end: number;
  /** For a statement whose first word starts the usual way (not with a quote): where that word is, relative to the line. */
  declare keyStart: number;
  declare keyEnd: number;
  private declare cachedText: string | null;
  private declare cached: Token[] | null;

  constructor(kind: LineKind, src: string, start: number, end: number, eol: Eol, num: number | null, keyStart = -1, keyEnd = -1, tokens: Token[] | null = null) {
    this.kind = kind;
    this.src = src;
    this.start = start;
    this.end = end;
    this.eol = eol;
    this.num = num;
    this.keyStart = keyStart;
    this.keyEnd = keyEnd;
    this.cachedText = start === 0 && end === src.length ? src : null;
    this.cached = tokens;
  }

  get type(): 'line' {
    return 'line';
  }

  /** The line without its ending. */
  get text(): string {
    if (this.cachedText === null) this.cachedText = this.src.slice(this.start, this.end);
    return this.cachedText;
  }

  /** The line's words as the daemons cut them; empty when its quoting is broken. */
  get tokens(): Token[] {
    if (this.cached === null) {
      const tk = tokenize(this.text);
      this.cached = tk.ok ? tk.tokens : [];
    }
    return this.cached;
  }

  /** A line as an edit writes it, classified the same way the parser would. */
  static fromText(text: string, eol: Eol): LineNode {
    const tk = tokenize(text);
    const kind: LineKind = !tk.ok ? 'bad' : tk.comment ? 'comment' : tk.tokens.length === 0 ? 'blank' : 'stmt';
    return new LineNode(kind, text, 0, text.length, eol, null, -1, -1, tk.ok ? tk.tokens : []);
  }
}

export type BlockLevel = 'virtual' | 'failover' | 'server';

export interface BlockNode {
  type: 'block';
  level: BlockLevel;
  /** The block's name: the word after `virtual`, `failover` or `server`. */
  name: string;
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
  return b.name;
}

function pos(num: number, t: Token | undefined, fallbackCol = 0): Pos {
  return { line: num, column: (t ? t.col : fallbackCol) + 1, length: t ? t.text.length : 1 };
}

const SPACE = 32;
const TAB = 9;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const RBRACE = 125;

function isWord(text: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && text.startsWith(word, start);
}

/** Line endings seen so far, for the CRLF / mixed-endings check. */
interface EolStats {
  firstCr: { num: number; len: number } | null;
  allCrlf: boolean;
  firstLen: number;
  firstEol: Eol;
}

/**
 * Builds the tree and reports the structural errors: block headers, braces, line endings, NUL
 * bytes. Statements are only located here; their words are read by read-model.ts.
 */
export function buildTree(text: string): { tree: SyntaxTree; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const root: Node[] = [];
  const stack: BlockNode[] = [];
  let container = root;
  const stats: EolStats = { firstCr: null, allCrlf: true, firstLen: 0, firstEol: '' };
  const hasCr = text.indexOf('\r') >= 0;
  const hasNul = text.indexOf('\0') >= 0;
  const n = text.length;
  let start = 0;
  for (let num = 1; start < n; num++) {
    // Cut the next line: LF only in the usual file, else LF, CRLF or a lone CR.
    let end: number;
    let next: number;
    let eol: Eol;
    if (!hasCr) {
      end = text.indexOf('\n', start);
      if (end < 0) {
        end = next = n;
        eol = '';
      } else {
        next = end + 1;
        eol = '\n';
      }
    } else {
      end = start;
      while (end < n && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
      if (end >= n) {
        next = n;
        eol = '';
      } else if (text.charCodeAt(end) === 10) {
        next = end + 1;
        eol = '\n';
      } else if (text.charCodeAt(end + 1) === 10) {
        next = end + 2;
        eol = '\r\n';
      } else {
        next = end + 1;
        eol = '\r';
      }
      if (eol === '\r\n' || eol === '\r') {
        if (!stats.firstCr) stats.firstCr = { num, len: end - start };
      }
      if (eol !== '\r\n' && eol !== '') stats.allCrlf = false;
    }
    if (num === 1) {
      stats.firstLen = end - start;
      stats.firstEol = eol;
    } else if (stats.firstEol === '' && eol !== '') stats.firstEol = eol;
    const ls = start; // this line is text[ls, end)
    start = next;
    if (hasNul) {
      const nul = text.indexOf('\0', ls);
      if (nul >= 0 && nul < end) diagnostics.push(diag('error', 'BINARY', 'NUL byte: this is not a text file', { line: num, column: nul - ls + 1, length: 1 }));
    }

    // Classify the line from its first word without cutting it, or the others, out of the text.
    let p = ls;
    let c = 0;
    while (p < end && ((c = text.charCodeAt(p)) === SPACE || c === TAB)) p++;
    if (p === end) {
      container.push(new LineNode('blank', text, ls, end, eol, num));
      continue;
    }
    if (c === HASH) {
      container.push(new LineNode('comment', text, ls, end, eol, num));
      continue;
    }
    let q = p;
    if (c !== DQUOTE && c !== SQUOTE) while (q < end && (c = text.charCodeAt(q)) !== SPACE && c !== TAB) q++;
    const level = stack.length ? stack[stack.length - 1]!.level : 'global';
    if (q - p === 1 && text.charCodeAt(p) === RBRACE) {
      const node = new LineNode('close', text, ls, end, eol, num);
      closeBlock(node, num, p - ls, q - ls, stack, root, diagnostics);
      container = stack.length ? stack[stack.length - 1]!.children : root;
      continue;
    }
    const opens =
      q > p &&
      ((level === 'global' && (isWord(text, p, q, 'virtual') || isWord(text, p, q, 'failover'))) ||
        ((level === 'virtual' || level === 'failover') && isWord(text, p, q, 'server')));
    if (opens) {
      // The usual header, `virtual NAME {`, is read with one scan; anything else is tokenized.
      const fast = plainHeader(text, q, end);
      if (fast) {
        const node = new LineNode('open', text, ls, end, eol, num, p - ls, q - ls);
        const block: BlockNode = { type: 'block', level: text.slice(p, q) as BlockLevel, name: fast, header: node, close: null, children: [] };
        container.push(block);
        stack.push(block);
        container = block.children;
        continue;
      }
      const line = text.slice(ls, end);
      const tk = tokenize(line);
      if (!tk.ok) {
        diagnostics.push(syntaxError('BADQUOTING', 'this quote is never closed on its line', { line: num, column: tk.col + 1, length: tk.length }));
        container.push(new LineNode('bad', text, ls, end, eol, num));
        continue;
      }
      const node = new LineNode('open', text, ls, end, eol, num, p - ls, q - ls, tk.tokens);
      const block = openBlock(node, num, diagnostics);
      container.push(block);
      stack.push(block);
      container = block.children;
      continue;
    }
    // A statement: read-model.ts reads (and checks) its words. A line that starts with a quote
    // has no plain first word: it takes the tokenizing path there.
    container.push(q > p ? new LineNode('stmt', text, ls, end, eol, num, p - ls, q - ls) : new LineNode('stmt', text, ls, end, eol, num));
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
  checkLineEndings(stats, diagnostics);
  return { tree: { children: root, eol: stats.firstEol === '\r\n' ? '\r\n' : '\n' }, diagnostics };
}

function closeBlock(node: LineNode, num: number, p: number, q: number, stack: BlockNode[], root: Node[], diagnostics: Diagnostic[]): void {
  const open = stack.pop();
  if (!open) {
    // At the top level the daemons look `}` up as a keyword: "unknown command".
    diagnostics.push(syntaxError('BADCOMMAND', '`}` closes no block', { line: num, column: p + 1, length: 1 }));
    root.push(node);
    return;
  }
  open.close = node;
  const line = node.text;
  let r = q;
  while (r < line.length && (line.charCodeAt(r) === SPACE || line.charCodeAt(r) === TAB)) r++;
  if (r >= line.length) return;
  // The daemons drop the rest of a `}` line unread.
  const isComment = line.charCodeAt(r) === HASH;
  diagnostics.push(
    diag(
      isComment ? 'warning' : 'error',
      'AFTERBRACE',
      isComment
        ? 'text after `}` is ignored by the daemons; put the comment on its own line'
        : `text after \`}\` is ignored by the daemons: "${line.slice(r).trim()}" has no effect`,
      { line: num, column: r + 1, length: line.length - r },
    ),
  );
}

/** The name of a header that is exactly `WORD NAME {` (plain words), else null. */
function plainHeader(line: string, q: number, len: number): string | null {
  let i = q;
  let c = 0;
  while (i < len && ((c = line.charCodeAt(i)) === SPACE || c === TAB)) i++;
  const ns = i;
  if (ns >= len || c === DQUOTE || c === SQUOTE) return null;
  while (i < len && (c = line.charCodeAt(i)) !== SPACE && c !== TAB) i++;
  const ne = i;
  while (i < len && ((c = line.charCodeAt(i)) === SPACE || c === TAB)) i++;
  if (i >= len || line.charCodeAt(i) !== 123) return null;
  i++;
  if (i < len && (c = line.charCodeAt(i)) !== SPACE && c !== TAB) return null;
  while (i < len && ((c = line.charCodeAt(i)) === SPACE || c === TAB)) i++;
  return i === len ? line.slice(ns, ne) : null;
}

function openBlock(node: LineNode, num: number, diagnostics: Diagnostic[]): BlockNode {
  const tokens = node.tokens;
  const first = tokens[0]!;
  const name = tokens[1];
  const brace = tokens[2];
  if (!name || !brace) {
    const glued = name && name.text.endsWith('{');
    diagnostics.push(
      syntaxError(
        'MISSINGARGS',
        glued ? '`{` must be separated from the name by a space' : `expected "${first.text} NAME {" with the \`{\` on the same line`,
        pos(num, name ?? first),
      ),
    );
  } else if (tokens[3]) {
    // The daemons count the words before they look at the third one.
    diagnostics.push(syntaxError('EXTRAARGS', `expected "${first.text} NAME {" and nothing after it`, pos(num, tokens[3])));
  } else if (brace.text !== '{') {
    diagnostics.push(syntaxError('MISSINGARGS', `expected \`{\` after the name, found "${brace.text}"`, pos(num, brace)));
  }
  return { type: 'block', level: first.text as BlockLevel, name: name?.text ?? '', header: node, close: null, children: [] };
}

/**
 * The C parser ends a line at the first `\r` anywhere later in the file, else at `\n`: a CRLF file
 * parses as its first line only, and a `\r` after LF lines turns them into one bogus line.
 */
function checkLineEndings(stats: EolStats, diagnostics: Diagnostic[]): void {
  if (!stats.firstCr) return;
  if (stats.allCrlf) {
    diagnostics.push(
      diag('error', 'CRLF', 'Windows (CRLF) line endings: the daemons would read only the first line and ignore the rest; convert the file to LF line endings', {
        line: 1,
        column: stats.firstLen + 1,
        length: 1,
      }),
    );
  } else {
    diagnostics.push(
      diag('error', 'MIXEDEOL', 'mixed line endings: the daemons would read the lines before this carriage return as one line; use LF line endings only', {
        line: stats.firstCr.num,
        column: stats.firstCr.len + 1,
        length: 1,
      }),
    );
  }
}

/** Prints the tree: the exact input for an unedited tree. */
export function printTree(tree: SyntaxTree): string {
  const p = new Printer();
  p.nodes(tree.children);
  return p.finish();
}

/**
 * Concatenates lines, printing each run of untouched lines that sit next to each other in the
 * parsed file as one slice of it: an unedited file prints as a single slice.
 */
class Printer {
  private out = '';
  private runSrc = '';
  private runStart = 0;
  private runEnd = -1;

  nodes(nodes: Node[]): void {
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.type === 'line') this.line(n);
      else {
        this.line(n.header);
        this.nodes(n.children);
        if (n.close) this.line(n.close);
      }
    }
  }

  private line(l: LineNode): void {
    if (l.src === this.runSrc && l.start === this.runEnd) {
      this.runEnd = l.end + l.eol.length;
      return;
    }
    this.flush();
    this.runSrc = l.src;
    this.runStart = l.start;
    this.runEnd = l.end + l.eol.length;
    // A line an edit wrote is its own source without its ending: print it now.
    if (l.end + l.eol.length > l.src.length) {
      this.out += l.src.slice(l.start, l.end) + l.eol;
      this.runEnd = -1;
      this.runSrc = '';
    }
  }

  private flush(): void {
    if (this.runEnd >= 0 && this.runSrc !== '') this.out += this.runSrc.slice(this.runStart, this.runEnd);
    this.runEnd = -1;
    this.runSrc = '';
  }

  finish(): string {
    this.flush();
    return this.out;
  }
}
