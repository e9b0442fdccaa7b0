// Line framing for the agent protocol: one JSON object per LF-terminated line. The splitter counts
// bytes as they arrive and drops an over-long line instead of buffering it, so a 10 MB line costs
// the agent at most `maxBytes` of memory, never 10 MB.

export type FrameEvent = { kind: 'line'; line: string } | { kind: 'tooLarge'; bytes: number };

const LF = 0x0a;

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  /** True while skipping the rest of a line that already went over the limit. */
  private discarding = false;
  private discarded = 0;

  constructor(private readonly maxBytes: number) {}

  /** Feeds one chunk; returns the complete lines (and over-long-line notices) it finished, in order. */
  push(chunk: Buffer): FrameEvent[] {
    const out: FrameEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.discarding) {
        this.discarded += piece.length;
      } else if (this.size + piece.length > this.maxBytes) {
        // Report the over-long line as soon as it crosses the limit, not when (if ever) it ends.
        this.discarding = true;
        this.discarded = this.size + piece.length;
        this.parts = [];
        this.size = 0;
        out.push({ kind: 'tooLarge', bytes: this.discarded });
      } else if (piece.length > 0) {
        // Copy: the caller's chunk buffer may be reused by the stream.
        this.parts.push(Buffer.from(piece));
        this.size += piece.length;
      }
      if (nl === -1) break;
      if (this.discarding) {
        this.discarding = false;
        this.discarded = 0;
      } else {
        let line = Buffer.concat(this.parts, this.size).toString('utf8');
        if (line.endsWith('\r')) line = line.slice(0, -1);
        this.parts = [];
        this.size = 0;
        out.push({ kind: 'line', line });
      }
      start = nl + 1;
    }
    return out;
  }

  /** Bytes held for the line in progress (for tests: it never exceeds maxBytes). */
  get buffered(): number {
    return this.size;
  }
}

/** Serializes one message as a protocol line. */
export function frame(message: unknown): string {
  return JSON.stringify(message) + '\n';
}
