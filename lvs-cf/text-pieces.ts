// A large text after a few edits, held as the pieces it is made of: slices of the text as first read
// and the few lines each edit inserted. Reading a part of it (an edit of one virtual server reads
// the global section, that virtual server and the tail) costs that part; the whole text is joined
// only when something asks for all of it (a conflict's diff, a hand edit's history), once.
//
// Why not one string: a concatenated string is flattened (copied whole) by the engine the first time
// it is sliced, which made every save of a 26 MB file copy 26 MB. A slice of a flat string shares
// its characters, so the pieces cost nothing but their count, kept small by joining every
// MAX_PIECES.
import type { PatchHunk } from './api-types.ts';
import { splicePieces } from './patch.ts';

const MAX_PIECES = 256;

export class TextPieces {
  private pieces: string[];
  /** starts[i]: the offset of pieces[i] in the text. */
  private starts: number[];
  readonly length: number;
  private whole: string | null;

  private constructor(pieces: string[]) {
    this.pieces = pieces;
    this.starts = [];
    let at = 0;
    for (const p of pieces) {
      this.starts.push(at);
      at += p.length;
    }
    this.length = at;
    this.whole = pieces.length === 1 ? pieces[0]! : null;
  }

  static of(text: string): TextPieces {
    return new TextPieces([text]);
  }

  /** The whole text (joined once, then held). */
  toString(): string {
    if (this.whole === null) {
      this.whole = this.pieces.join('');
      // The pieces' parents (older whole texts) are released with them.
      this.pieces = [this.whole];
      this.starts = [0];
    }
    return this.whole;
  }

  /** The piece holding offset `at` (the last one for at === length). */
  private pieceAt(at: number): number {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** text.slice(from, to), reading only the pieces it covers. */
  slice(from: number, to: number): string {
    if (this.whole !== null) return this.whole.slice(from, to);
    from = Math.max(0, from);
    to = Math.min(to, this.length);
    if (to <= from) return '';
    let i = this.pieceAt(from);
    let out = '';
    for (let at = from; at < to; i++) {
      const p = this.pieces[i]!;
      const s = this.starts[i]!;
      const end = Math.min(to, s + p.length);
      out += p.slice(at - s, end - s);
      at = end;
    }
    return out;
  }

  /** How many line feeds there are in [from, to). */
  countLines(from: number, to: number): number {
    let c = 0;
    let i = this.pieceAt(from);
    for (let at = from; at < to && i < this.pieces.length; i++) {
      const p = this.pieces[i]!;
      const s = this.starts[i]!;
      const end = Math.min(to, s + p.length);
      for (let j = p.indexOf('\n', at - s); j >= 0 && j < end - s; j = p.indexOf('\n', j + 1)) c++;
      at = end;
    }
    return c;
  }

  /** The text with the hunks (sorted, not overlapping, offsets into this text) applied. */
  spliced(hunks: readonly PatchHunk[]): TextPieces {
    const out = splicePieces(this.pieces, hunks, (p, from, to) => p.slice(from, to), (text) => text);
    const next = new TextPieces(out.length ? out : ['']);
    if (out.length > MAX_PIECES) next.toString();
    return next;
  }
}
