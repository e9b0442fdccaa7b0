// Lossless lexing of lvs.cf: the text is cut into lines (scan.ts), and each line into words the way
// lvsconfig.c's tokenizeString() does: runs of space/tab separate words, a word that starts with
// " or ' runs to the same quote, and the daemons read it without its quotes.
import { cutLines, EOLS, CR, DQUOTE, HASH, LF, SPACE, TAB, isQuote, skipBlanks, type Eol } from './scan.ts';

export type { Eol } from './scan.ts';

export interface Token {
  /** The word as written, quotes included. */
  text: string;
  /** What the daemons read: the word without its surrounding quotes (tokenizeString's argv). */
  value: string;
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
  const { count, at } = cutLines(text);
  const lines: RawLine[] = new Array(count);
  for (let k = 0; k < count; k++) {
    const start = at[3 * k]!;
    lines[k] = { num: k + 1, text: text.slice(start, at[3 * k + 1]!), eol: EOLS[at[3 * k + 2]!]!, offset: start };
  }
  return lines;
}

/** The daemons read at most this many words of a line (LVS_MAX_TOKENS - 1) and drop the rest unread. */
export const MAX_WORDS = 99;

export interface Lexed {
  /** The words the daemons read: all of them, or those before an unclosed quote. */
  tokens: Token[];
  /** The line is a comment (its first non-blank character is `#`). */
  comment: boolean;
  /** Where an unclosed quote starts (the daemons' "quotation mismatch"), null when the quoting is fine. */
  bad: { col: number; length: number } | null;
  /** A quote alone at the end of the line: the daemons' tokenizer writes before its buffer there. */
  loneQuote: number | null;
  /** More than MAX_WORDS words: where the first word the daemons do not read is (the rest is not read). */
  truncated: { col: number; length: number } | null;
}

/** Kept for callers that only ask whether the quoting is right. */
export type TokenizeResult = Lexed & { ok: boolean };

/**
 * Tokenizes one line (or one of the daemons' lines, which may hold LF characters: a quoted word
 * stops at them, a plain word does not). A line whose first non-blank character is `#` is a
 * comment (the C parser has no inline comments). Works on char codes: this runs once per line of
 * files with hundreds of thousands of lines.
 */
export function tokenize(line: string): TokenizeResult {
  const tokens: Token[] = [];
  const n = line.length;
  let i = skipBlanks(line, 0, n);
  const result: TokenizeResult = { ok: true, tokens, comment: false, bad: null, loneQuote: null, truncated: null };
  if (i < n && line.charCodeAt(i) === HASH) {
    result.comment = true;
    return result;
  }
  let c = 0;
  while (i < n) {
    if (tokens.length === MAX_WORDS) {
      let e = i;
      while (e < n && (c = line.charCodeAt(e)) !== SPACE && c !== TAB) e++;
      result.truncated = { col: i, length: e - i };
      break;
    }
    const start = i;
    let end = i;
    while (end < n && (c = line.charCodeAt(end)) !== SPACE && c !== TAB) end++;
    const q = line.charCodeAt(start);
    if (isQuote(q)) {
      // tokenizeString() first runs to the next blank, then, from there, on to the next same quote
      // (which may be the opening quote of a later word), and requires the token to end with that
      // quote. So `"a b"` is one token, but `"ab" ` (a blank after a one-word quoted value) and
      // `"ab"x` are quotation mismatches, and `"ab" x"` is a single token.
      while (end < n && (c = line.charCodeAt(end)) !== LF && c !== CR && c !== q) end++;
      if (end < n && line.charCodeAt(end) === q) end++;
      if (end === start + 1) {
        // A quote with nothing after it on the line: C copies no byte and writes the terminator one
        // byte before its buffer, so the word it reads is undefined (an empty word in practice).
        result.loneQuote = start;
        tokens.push({ text: line.slice(start, end), value: '', col: start, quote: q === DQUOTE ? '"' : "'" });
      } else if (line.charCodeAt(end - 1) !== q) {
        result.ok = false;
        result.bad = { col: start, length: end - start };
        return result;
      } else {
        tokens.push({ text: line.slice(start, end), value: line.slice(start + 1, end - 1), col: start, quote: q === DQUOTE ? '"' : "'" });
      }
    } else {
      // An unquoted token ends at a blank; a quote inside it does not start a new token in C
      // (tokenizeString only looks at quotes at the start of a token).
      const text = line.slice(start, end);
      tokens.push({ text, value: text, col: start, quote: null });
    }
    i = skipBlanks(line, end, n);
  }
  return result;
}
