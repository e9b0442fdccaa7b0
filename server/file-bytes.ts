// The bytes of lvs.cf as the console last wrote them, held as chunks: the buffer read from disk and
// the few lines each save inserted. A save of one line splices the chunks (no copy of the file),
// writes them with one writev and hashes them chunk by chunk. Kept below MAX_CHUNKS by joining.
import { createHash } from 'node:crypto';
import type { PatchHunk } from '../lvs-cf/index.ts';

const MAX_CHUNKS = 64;

export class FileBytes {
  readonly length: number;

  private constructor(
    readonly chunks: readonly Buffer[],
    /** The length of the text these bytes encode (equal to `length`: one byte per character). */
    readonly textLength: number,
  ) {
    this.length = chunks.reduce((n, c) => n + c.length, 0);
  }

  static of(bytes: Buffer, textLength: number): FileBytes {
    return new FileBytes([bytes], textLength);
  }

  /** Whether offsets in the text are offsets in the bytes (what spliced() needs). */
  get oneBytePerChar(): boolean {
    return this.length === this.textLength;
  }

  /** sha256 (hex) of the bytes. */
  sha256(): string {
    const h = createHash('sha256');
    for (const c of this.chunks) h.update(c);
    return h.digest('hex');
  }

  /**
   * The bytes with the hunks applied; only when oneBytePerChar (ASCII, or Latin-1), so that the
   * hunks' offsets into the text are offsets into the bytes. `encode` gives an inserted text's bytes.
   */
  spliced(hunks: readonly PatchHunk[], encode: (text: string) => Buffer): FileBytes {
    const out: Buffer[] = [];
    let textLength = this.textLength;
    let i = 0;
    let start = 0; // offset of chunks[i]
    const keep = (from: number, to: number) => {
      while (from < to) {
        while (start + this.chunks[i]!.length <= from) start += this.chunks[i++]!.length;
        const c = this.chunks[i]!;
        const end = Math.min(to, start + c.length);
        out.push(from === start && end === start + c.length ? c : c.subarray(from - start, end - start));
        from = end;
      }
    };
    let at = 0;
    for (const h of hunks) {
      keep(at, h.start);
      if (h.inserted) out.push(encode(h.inserted));
      textLength += h.inserted.length - (h.end - h.start);
      at = h.end;
    }
    keep(at, this.length);
    return new FileBytes(out.length > MAX_CHUNKS ? [Buffer.concat(out)] : out, textLength);
  }
}
