// The one place where lvs.cf text is cut into lines and words: the character codes the format
// gives a meaning to, and a cursor that walks the lines either as the file shows them or as the
// daemons' getNextToks() (lvsconfig.c) reads them. The lexer, the tree builder and the model
// reader's fast path all scan with these.

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
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  return i;
}

/** The first index at or after `i` (before `end`) that is a blank: the end of a word. */
export function skipWord(text: string, i: number, end: number): number {
  let c = 0;
  while (i < end && (c = text.charCodeAt(i)) !== SPACE && c !== TAB) i++;
  return i;
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

/**
 * Walks the lines of a text. After each successful next(): the line is text[start, end), its
 * ending is `eol` (text[end, end + eol.length)), and `num` is its 1-based number. The lines and
 * their endings, concatenated, give back the text.
 */
export class LineCursor {
  num = 0;
  start = 0;
  end = 0;
  eol: Eol = '';
  private following = 0;
  /** Physical cutting: whether a CR occurs at all (the usual file has none: LF is found natively). */
  private readonly hasCr: boolean;
  /** Daemon cutting: the next CR at or after the cursor, -1 when none is left. */
  private nextCr = -1;

  constructor(
    readonly text: string,
    readonly cutting: Cutting = 'physical',
  ) {
    this.hasCr = text.indexOf('\r') >= 0;
    if (cutting === 'daemon') this.nextCr = text.indexOf('\r');
  }

  next(): boolean {
    const text = this.text;
    const n = text.length;
    const start = this.following;
    if (start >= n) return false;
    this.start = start;
    this.num++;
    if (this.cutting === 'daemon') {
      // strchr(line, '\r') first, then strchr(line, '\n'): a CR anywhere later wins over the next LF.
      if (this.nextCr >= 0 && this.nextCr < start) this.nextCr = text.indexOf('\r', start);
      let end = this.nextCr >= 0 ? this.nextCr : text.indexOf('\n', start);
      if (end < 0) end = n;
      this.end = end;
      this.eol = end >= n ? '' : text.charCodeAt(end) === CR ? '\r' : '\n';
      this.following = end + this.eol.length;
      return true;
    }
    if (!this.hasCr) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        this.end = n;
        this.eol = '';
        this.following = n;
      } else {
        this.end = nl;
        this.eol = '\n';
        this.following = nl + 1;
      }
      return true;
    }
    let end = start;
    let c = 0;
    while (end < n && (c = text.charCodeAt(end)) !== LF && c !== CR) end++;
    this.end = end;
    if (end >= n) this.eol = '';
    else if (c === LF) this.eol = '\n';
    else this.eol = text.charCodeAt(end + 1) === LF ? '\r\n' : '\r';
    this.following = end + this.eol.length;
    return true;
  }
}
