// Builds the syntax tree the way lvsParseConfig() walks the file: which line opens a block, which
// closes it, and where an unclosed quote is a refusal or only drops the rest of its line. Reports
// the structural problems (headers, braces, NUL bytes); statements are read by read-model.ts.
import { tokenize, type Lexed, type Token } from './lexer.ts';
import { cutLines, EOLS, CR, DQUOTE, HASH, LBRACE, LF, RBRACE, SQUOTE, isBlank, isQuote, skipBlanks, skipWord, type Cutting, type Eol } from './scan.ts';
import { syntaxError, diag, tolerated, badQuoting, loneQuote, quoteDropped, type Pos } from './diagnostics.ts';
import { LineNode, type BlockLevel, type BlockNode, type Node, type SyntaxTree } from './syntax.ts';
import type { Diagnostic } from './model.ts';

/** Line endings seen, for the CRLF / stray carriage return errors (analysis.ts places them). */
export interface EolStats {
  /** The first line ending in CR or CRLF: its line and the column of the CR. */
  firstCr: { num: number; col: number } | null;
  /** Every line that has an ending ends in CRLF. */
  allCrlf: boolean;
}

export interface Built {
  tree: SyntaxTree;
  diagnostics: Diagnostic[];
  eols: EolStats;
  /** How many lines the cutting gave (the daemons' count for `daemon`). */
  lines: number;
}

function isWord(text: string, start: number, end: number, word: string): boolean {
  return end - start === word.length && text.startsWith(word, start);
}

function tokenPos(num: number, t: Token | undefined, fallbackCol = 0): Pos {
  return { line: num, column: (t ? t.col : fallbackCol) + 1, length: t ? t.text.length : 1 };
}

/**
 * Builds the tree. `daemon` cutting reads the lines the daemons read (see scan.ts); it is used to
 * find their verdict on a file with carriage returns, whose lines they cut differently.
 */
export function buildTree(text: string, cutting: Cutting = 'physical'): Built {
  const diagnostics: Diagnostic[] = [];
  const root: Node[] = [];
  const stack: BlockNode[] = [];
  /** For each open block, whether its first line (the one the daemons check strictly) was read. */
  const sawLine: boolean[] = [];
  let container = root;
  const eols: EolStats = { firstCr: null, allCrlf: true };
  let firstEol: Eol = '';
  const hasNul = text.indexOf('\0') >= 0;
  const { count, at, hasCr } = cutLines(text, cutting);
  for (let k = 0; k < count; k++) {
    const num = k + 1;
    const ls = at[3 * k]!;
    const end = at[3 * k + 1]!;
    const eol = EOLS[at[3 * k + 2]!]!;
    if (firstEol === '' && eol !== '') firstEol = eol;
    if (hasCr) {
      if (!eols.firstCr && (eol === '\r\n' || eol === '\r')) eols.firstCr = { num, col: end - ls };
      if (eol !== '\r\n' && eol !== '') eols.allCrlf = false;
    }
    if (hasNul) {
      const nul = text.indexOf('\0', ls);
      if (nul >= 0 && nul < end) {
        diagnostics.push(
          diag('error', 'BINARY', 'NUL byte: the daemons stop reading the file at a NUL that starts a line and crash on one inside a line; remove it', { line: num, column: nul - ls + 1, length: 1 }),
        );
      }
    }

    // Classify the line from its first word without cutting it, or the others, out of the text.
    // A line of the daemons may hold LF characters: one that starts with blanks and an LF is blank.
    const p = skipBlanks(text, ls, end);
    const c = p < end ? text.charCodeAt(p) : LF;
    if (c === LF || c === CR) {
      container.push(new LineNode('blank', text, ls, end, eol, num));
      continue;
    }
    if (c === HASH) {
      container.push(new LineNode('comment', text, ls, end, eol, num));
      continue;
    }
    const depth = stack.length;
    const frame = depth ? stack[depth - 1]! : null;
    const level = frame ? frame.level : 'global';
    // parseVirtualServer() checks the quoting of the block's first line, and not of the others.
    const lenient = frame !== null && level !== 'server' && sawLine[depth - 1]!;
    if (frame) sawLine[depth - 1] = true;

    let lx: Lexed | null = null;
    let first: string;
    let q = p;
    if (isQuote(c)) {
      lx = tokenize(text.slice(ls, end));
      if (lx.bad && !lenient) {
        diagnostics.push(badQuoting(num, lx));
        container.push(new LineNode('bad', text, ls, end, eol, num, -1, -1, lx));
        continue;
      }
      const word = lx.tokens[0];
      if (!word) {
        // The unclosed quote is the line's first word: the daemons see no word at all, which ends
        // the block as `}` would, and read on at the level above.
        diagnostics.push(quoteDropped(num, lx, `; with no word left, they take this line as the end of ${describe(frame!)}`));
        const node = new LineNode('close', text, ls, end, eol, num, -1, -1, lx);
        frame!.close = node;
        stack.pop();
        sawLine.pop();
        container = stack.length ? stack[stack.length - 1]!.children : root;
        continue;
      }
      first = word.value;
    } else {
      q = skipWord(text, p, end);
      first = q - p === 1 && text.charCodeAt(p) === RBRACE ? '}' : '';
    }

    if (first === '}') {
      const node = new LineNode('close', text, ls, end, eol, num, -1, -1, lx);
      if (!frame) {
        // At the top level the daemons look `}` up as a keyword: "unknown command".
        diagnostics.push(syntaxError('BADCOMMAND', '`}` closes no block', { line: num, column: p - ls + 1, length: 1 }));
        container.push(node);
        continue;
      }
      const word = lx?.tokens[0];
      checkAfterBrace(node, num, word ? word.col + word.text.length : q - ls, lenient, diagnostics);
      frame.close = node;
      stack.pop();
      sawLine.pop();
      container = stack.length ? stack[stack.length - 1]!.children : root;
      continue;
    }

    const opens = lx
      ? (level === 'global' && (first === 'virtual' || first === 'failover')) || (level !== 'global' && level !== 'server' && first === 'server')
      : (level === 'global' && (isWord(text, p, q, 'virtual') || isWord(text, p, q, 'failover'))) ||
        (level !== 'global' && level !== 'server' && isWord(text, p, q, 'server'));
    if (opens) {
      // The usual header, `virtual NAME {`, is read with one scan; anything else is tokenized.
      const fast = lx ? null : plainHeader(text, q, end);
      if (fast !== null) {
        const node = new LineNode('open', text, ls, end, eol, num, p - ls, q - ls);
        const block: BlockNode = { type: 'block', level: text.slice(p, q) as BlockLevel, name: fast, header: node, close: null, children: [] };
        container.push(block);
        stack.push(block);
        sawLine.push(false);
        container = block.children;
        continue;
      }
      lx ??= tokenize(text.slice(ls, end));
      if (lx.bad && !lenient) {
        diagnostics.push(badQuoting(num, lx));
        container.push(new LineNode('bad', text, ls, end, eol, num, -1, -1, lx));
        continue;
      }
      if (lx.bad) diagnostics.push(quoteDropped(num, lx, ''));
      if (lx.loneQuote !== null) diagnostics.push(loneQuote(num, lx.loneQuote));
      // q > p: the line starts with a plain word (the keyword); else with a quoted one (`first`).
      const plain = q > p;
      const node = new LineNode('open', text, ls, end, eol, num, plain ? p - ls : -1, plain ? q - ls : -1, lx);
      const block = openBlock(node, num, (plain ? text.slice(p, q) : first) as BlockLevel, diagnostics);
      container.push(block);
      stack.push(block);
      sawLine.push(false);
      container = block.children;
      continue;
    }
    // A statement: read-model.ts reads (and checks) its words, knowing as this loop does which line
    // of a virtual block is its first. A line that starts with a quote has no plain first word: it
    // takes the tokenizing path there.
    container.push(lx ? new LineNode('stmt', text, ls, end, eol, num, -1, -1, lx) : new LineNode('stmt', text, ls, end, eol, num, p - ls, q - ls));
  }
  for (const block of stack) {
    const num = block.header.num ?? 0;
    diagnostics.push(
      diag('warning', 'UNCLOSED', `${describe(block)} is never closed with \`}\` before the end of the file (the daemons accept that)`, {
        line: num,
        column: 1,
        length: block.header.text.length,
      }),
    );
  }
  return { tree: { children: root, eol: firstEol === '\r\n' ? '\r\n' : '\n' }, diagnostics, eols, lines: count };
}

function describe(b: BlockNode): string {
  return `\`${b.level} ${b.name}\``;
}

/**
 * The daemons read nothing after the `}` of a block, except that its quoting is still checked where
 * they check quoting at all.
 */
function checkAfterBrace(node: LineNode, num: number, braceEnd: number, lenient: boolean, diagnostics: Diagnostic[]): void {
  const line = node.text;
  const r = skipBlanks(line, braceEnd, line.length);
  if (r >= line.length) return;
  if (line.indexOf('"', r) >= 0 || line.indexOf("'", r) >= 0) {
    const lx = node.lex();
    if (lx.bad && !lenient) diagnostics.push(badQuoting(num, lx));
    if (lx.loneQuote !== null) diagnostics.push(loneQuote(num, lx.loneQuote));
  }
  const pos = { line: num, column: r + 1, length: line.length - r };
  if (line.charCodeAt(r) === HASH) {
    diagnostics.push(diag('warning', 'AFTERBRACE', 'text after `}` is ignored by the daemons; put the comment on its own line', pos));
  } else {
    diagnostics.push(tolerated('AFTERBRACE', `text after \`}\` is ignored by the daemons: "${line.slice(r).trim()}" has no effect`, pos));
  }
}

/** The name of a header that is exactly `WORD NAME {` (plain words), else null. */
function plainHeader(line: string, q: number, len: number): string | null {
  const ns = skipBlanks(line, q, len);
  if (ns >= len) return null;
  const c = line.charCodeAt(ns);
  if (c === DQUOTE || c === SQUOTE) return null;
  const ne = skipWord(line, ns, len);
  const b = skipBlanks(line, ne, len);
  if (b >= len || line.charCodeAt(b) !== LBRACE) return null;
  if (b + 1 < len && !isBlank(line.charCodeAt(b + 1))) return null;
  return skipBlanks(line, b + 1, len) === len ? line.slice(ns, ne) : null;
}

/** `virtual NAME {`, `failover NAME {`, `server NAME {`: checked as the daemons check them. */
function openBlock(node: LineNode, num: number, level: BlockLevel, diagnostics: Diagnostic[]): BlockNode {
  const tokens = node.tokens;
  const first = tokens[0]!;
  const name = tokens[1];
  const brace = tokens[2];
  if (!name || !brace) {
    const glued = name && name.value.endsWith('{');
    diagnostics.push(
      syntaxError(
        'MISSINGARGS',
        glued ? '`{` must be separated from the name by a space' : `expected "${level} NAME {" with the \`{\` on the same line`,
        tokenPos(num, name ?? first),
      ),
    );
  } else if (tokens[3]) {
    // The daemons count the words before they look at the third one.
    diagnostics.push(syntaxError('EXTRAARGS', `expected "${level} NAME {" and nothing after it`, tokenPos(num, tokens[3])));
  } else if (brace.value !== '{') {
    diagnostics.push(syntaxError('MISSINGARGS', `expected \`{\` after the name, found "${brace.text}"`, tokenPos(num, brace)));
  }
  return { type: 'block', level, name: name?.value ?? '', header: node, close: null, children: [] };
}
