// What a single probe (TCP, UDP or program) reports before check.ts adds timing and description.

export interface ProbeResult {
  ok: boolean;
  /** The raw bytes that came back (stdout for a program), for the transcript. */
  received: Buffer;
  error: string | null;
  /** A program's exit status (null when it did not exit normally); absent for network probes. */
  exitCode?: number | null;
}

export const EMPTY: Buffer = Buffer.alloc(0);

/** Appends a chunk without growing past `cap` bytes: a chatty server cannot make us buffer megabytes. */
export function append(acc: Buffer, chunk: Buffer, cap: number): Buffer {
  if (acc.length >= cap) return acc;
  const room = cap - acc.length;
  const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
  return acc.length === 0 ? piece : Buffer.concat([acc, piece]);
}

export function formatSeconds(sec: number): string {
  return Number.isInteger(sec) ? String(sec) : sec.toFixed(3).replace(/0+$/, '');
}
