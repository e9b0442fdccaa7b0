// Lossless lexing of lvs.cf: the text is cut into physical lines (each keeps its exact bytes and
// its own line ending), and each line into tokens the way lvsconfig.c's tokenizeString() does:
// runs of space/tab separate tokens, a token that starts with " or ' runs to the same quote.

export type Eol = '\n' | '\r\n' | '\r' | '';

export interface Token {
  text: string;
  /** 0-based offset of the token in its line. */
  col: number;
  /** The quote character the token starts with, if any. */
  quote: '"' | "'" | null;
}

export interface RawLine {
  /** 1-based line number. */
  num: number;
  /** The line without its ending. */
  text: string;
  eol: Eol;
  /** Offset of the line's first character in the whole text. */
  offset: number;
}

/** Splits on LF, CRLF or a lone CR; concatenating text + eol of every line gives back the input. */
export function splitLines(text: string): RawLine[] {
  const lines: RawLine[] = [];
  if (text.indexOf('\r') < 0) {
    // The usual file: LF only, cut with the native indexOf.
    let start = 0;
    let num = 1;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      lines.push({ num: num++, text: text.slice(start, nl), eol: '\n', offset: start });
      start = nl + 1;
    }
    if (start < text.length) lines.push({ num, text: text.slice(start), eol: '', offset: start });
    return lines;
  }
  let start = 0;
  let num = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      let eol: Eol = c === 10 ? '\n' : '\r';
      let next = i + 1;
      if (c === 13 && text.charCodeAt(i + 1) === 10) {
        eol = '\r\n';
        next = i + 2;
      }
      lines.push({ num: num++, text: text.slice(start, i), eol, offset: start });
      start = next;
      i = next - 1;
    }
  }
  if (start < text.length) lines.push({ num, text: text.slice(start), eol: '', offset: start });
  return lines;
}

export type TokenizeResult =
  | { ok: true; tokens: Token[]; comment: boolean }
  | { ok: false; col: number; length: number };

const SPACE = 32;
const TAB = 9;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;

/**
 * Tokenizes one line. A line whose first non-blank character is `#` is a comment (the C parser has
 * no inline comments). An unclosed quote is the daemons' "quotation mismatch". Works on char codes:
 * this runs once per line of files with hundreds of thousands of lines.
 */
export function tokenize(line: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  const n = line.length;
  let c = 0;
  while (i < n && ((c = line.charCodeAt(i)) === SPACE || c === TAB)) i++;
  if (i < n && c === HASH) return { ok: true, tokens, comment: true };
  while (i < n) {
    while (i < n && ((c = line.charCodeAt(i)) === SPACE || c === TAB)) i++;
    if (i >= n) break;
    const start = i;
    if (c === DQUOTE || c === SQUOTE) {
      // tokenizeString() first runs to the next blank, then, from there, on to the next same quote
      // (which may be the opening quote of a later word), and requires the token to end with that
      // quote. So `"a b"` is one token, but `"ab" ` (a blank after a one-word quoted value) and
      // `"ab"x` are quotation mismatches, and `"ab" x"` is a single token.
      const q = c;
      let end = i;
      while (end < n && (c = line.charCodeAt(end)) !== SPACE && c !== TAB) end++;
      while (end < n && line.charCodeAt(end) !== q) end++;
      if (end < n) end++;
      // A lone quote at the end of a line makes the C code write before its buffer: refuse it too.
      if (end === start + 1 || line.charCodeAt(end - 1) !== q) return { ok: false, col: start, length: n - start };
      i = end;
      tokens.push({ text: line.slice(start, i), col: start, quote: q === DQUOTE ? '"' : "'" });
    } else {
      // An unquoted token ends at a blank; a quote inside it does not start a new token in C
      // (tokenizeString only looks at quotes at the start of a token).
      while (i < n && (c = line.charCodeAt(i)) !== SPACE && c !== TAB) i++;
      tokens.push({ text: line.slice(start, i), col: start, quote: null });
    }
  }
  return { ok: true, tokens, comment: false };
}

/** Removes the surrounding double quotes the daemons strip (lvsd's strip_quotes removes only "). */
export function stripDoubleQuotes(token: string): string {
  if (token.length >= 2 && token.startsWith('"') && token.endsWith('"')) return token.slice(1, -1);
  return token;
}
