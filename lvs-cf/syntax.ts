// The lossless syntax tree: every line belongs to exactly one node, blocks own their header and
// closing lines, and printing the tree gives back the input byte for byte. tree-builder.ts builds
// it the way the daemons read the file.
import { tokenize, type Eol, type Lexed, type Token } from './lexer.ts';

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
  private declare cached: Lexed | null;

  constructor(kind: LineKind, src: string, start: number, end: number, eol: Eol, num: number | null, keyStart = -1, keyEnd = -1, lexed: Lexed | null = null) {
    this.kind = kind;
    this.src = src;
    this.start = start;
    this.end = end;
    this.eol = eol;
    this.num = num;
    this.keyStart = keyStart;
    this.keyEnd = keyEnd;
    this.cachedText = start === 0 && end === src.length ? src : null;
    this.cached = lexed;
  }

  get type(): 'line' {
    return 'line';
  }

  /** The line without its ending. */
  get text(): string {
    if (this.cachedText === null) this.cachedText = this.src.slice(this.start, this.end);
    return this.cachedText;
  }

  /** The line cut into words the way the daemons cut it (cached). */
  lex(): Lexed {
    if (this.cached === null) this.cached = tokenize(this.text);
    return this.cached;
  }

  /** The words the daemons read: all of them, or those before an unclosed quote. */
  get tokens(): Token[] {
    return this.lex().tokens;
  }

  /** The daemons' reading of the first word (quotes removed), '' for a line without words. */
  get keyword(): string {
    return this.keyStart >= 0 ? this.src.slice(this.start + this.keyStart, this.start + this.keyEnd) : (this.tokens[0]?.value ?? '');
  }

  /** A line as an edit writes it, classified the same way the parser would. */
  static fromText(text: string, eol: Eol): LineNode {
    const tk = tokenize(text);
    const kind: LineKind = !tk.ok ? 'bad' : tk.comment ? 'comment' : tk.tokens.length === 0 ? 'blank' : 'stmt';
    return new LineNode(kind, text, 0, text.length, eol, null, -1, -1, tk);
  }
}

export type BlockLevel = 'virtual' | 'failover' | 'server';

export interface BlockNode {
  type: 'block';
  level: BlockLevel;
  /** The block's name: the word after `virtual`, `failover` or `server`, as the daemons read it. */
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

/** Every line of the tree in file order: headers, children, closing lines. */
export function flattenLines(nodes: Node[], out: LineNode[] = []): LineNode[] {
  for (const n of nodes) {
    if (n.type === 'line') out.push(n);
    else {
      out.push(n.header);
      flattenLines(n.children, out);
      if (n.close) out.push(n.close);
    }
  }
  return out;
}

export function blockName(b: BlockNode): string {
  return b.name;
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
