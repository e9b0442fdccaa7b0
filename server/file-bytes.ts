// The bytes of lvs.cf as the console last wrote them, held as chunks: the buffer read from disk and
// the few lines each save inserted. A save of one line splices the chunks (no copy of the file),
// writes them with one writev and hashes them chunk by chunk. Kept below MAX_CHUNKS by joining.
import { createHash } from 'node:crypto';
import { splicePieces, type PatchHunk } from '../lvs-cf/index.ts';

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
    const out = splicePieces(this.chunks, hunks, (c, from, to) => c.subarray(from, to), encode);
    const textLength = hunks.reduce((n, h) => n + h.inserted.length - (h.end - h.start), this.textLength);
    return new FileBytes(out.length > MAX_CHUNKS ? [Buffer.concat(out)] : out, textLength);
  }
}
