// The one place where lvs.cf text is cut into lines and words: the character codes the format
// gives a meaning to, the word scanners, and the cutting of a text into lines either as the file
// shows them or as the daemons' getNextToks() (lvsconfig.c) reads them. The lexer, the tree builder
// and the model reader's fast path all scan with these.

export const TAB = 9;
export const LF = 10;
export const CR = 13;
export const SPACE = 32;
export const DQUOTE = 34;
export const HASH = 35;
export const SQUOTE = 39;
export const EQUALS = 61;
export const LBRACE = 123;
export const RBRACE = 125;

/** isblank() in the C locale: the only characters that separate words. */
export function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

export function isQuote(c: number): boolean {
  return c === DQUOTE || c === SQUOTE;
}

/** The first index at or after `i` (before `end`) that is not a blank. */
export function skipBlanks(text: string, i: number, end: number): number {
  let c = 0;
  while (i < end && ((c = text.charCodeAt(i)) === SPACE || c === TAB)) i++;
  return i;
}

/** The first index at or after `i` (before `end`) that is a blank: the end of a word. */
export function skipWord(text: string, i: number, end: number): number {
  let c = 0;
  while (i < end && (c = text.charCodeAt(i)) !== SPACE && c !== TAB) i++;
  return i;
}

/** Whether String.prototype.trim() removes `c` (ECMAScript's white space and line terminators). */
export function isTrimmed(c: number): boolean {
  if (c <= SPACE) return c === SPACE || (c >= TAB && c <= CR);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** The bounds of text.slice(start, end).trim() in `text`, without cutting it out: [from, to). */
export function trimmedBounds(text: string, start: number, end: number): [number, number] {
  while (start < end && isTrimmed(text.charCodeAt(start))) start++;
  while (end > start && isTrimmed(text.charCodeAt(end - 1))) end--;
  return [start, end];
}

export type Eol = '\n' | '\r\n' | '\r' | '';

/**
 * How lines are cut. `physical`: at LF, CRLF or a lone CR, as an editor shows the file.
 * `daemon`: as lvsconfig.c does, at the first CR anywhere later in the file, else at the next LF;
 * a CRLF file is then its first line followed by lines that begin with their LF (blank to the
 * daemons), and a stray CR joins every line before it into one. For a file without CR both
 * cuttings give the same lines.
 */
export type Cutting = 'physical' | 'daemon';

/** The line endings, by the code cutLines() stores for each line. */
export const EOLS: readonly Eol[] = ['', '\n', '\r\n', '\r'];

/**
 * The lines of a text, cut once: line k (0-based) is text[at[3k], at[3k + 1]), its ending is
 * EOLS[at[3k + 2]], and its number is k + 1. The lines and their endings, concatenated, give back
 * the text. One typed array instead of an object per line: files have hundreds of thousands.
 */
export interface Lines {
  count: number;
  at: Int32Array;
  /** The text has a CR at all. */
  hasCr: boolean;
}

export function cutLines(text: string, cutting: Cutting = 'physical'): Lines {
  const n = text.length;
  let at = new Int32Array(Math.max(48, (n >> 4) * 3));
  let count = 0;
  const add = (start: number, end: number, eol: number) => {
    if ((count + 1) * 3 > at.length) {
      const bigger = new Int32Array(at.length * 2);
      bigger.set(at);
      at = bigger;
    }
    const k = count++ * 3;
    at[k] = start;
    at[k + 1] = end;
    at[k + 2] = eol;
  };
  let nextCr = text.indexOf('\r');
  const hasCr = nextCr >= 0;
  let start = 0;
  if (!hasCr) {
    // The usual file: LF only (both cuttings are the same), found with the native indexOf.
    while (start < n) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        add(start, n, 0);
        break;
      }
      add(start, nl, 1);
      start = nl + 1;
    }
  } else if (cutting === 'daemon') {
    // strchr(line, '\r') first, then strchr(line, '\n'): a CR anywhere later wins over the next LF.
    while (start < n) {
      if (nextCr >= 0 && nextCr < start) nextCr = text.indexOf('\r', start);
      let end = nextCr >= 0 ? nextCr : text.indexOf('\n', start);
      if (end < 0) end = n;
      const eol = end >= n ? 0 : text.charCodeAt(end) === CR ? 3 : 1;
      add(start, end, eol);
      start = end + (eol === 0 ? 0 : 1);
      if (eol === 0) break;
    }
  } else {
    while (start < n) {
      let end = start;
      let c = 0;
      while (end < n && (c = text.charCodeAt(end)) !== LF && c !== CR) end++;
      const eol = end >= n ? 0 : c === LF ? 1 : text.charCodeAt(end + 1) === LF ? 2 : 3;
      add(start, end, eol);
      start = end + EOLS[eol]!.length;
      if (eol === 0) break;
    }
  }
  return { count, at, hasCr };
}
