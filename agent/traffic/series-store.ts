// Traffic over the last minutes, for every service and real server, kept compact: every row (a
// service or a real server) has SERIES_FIELDS values per sample in one Float32Array shared by all
// rows, written in columns that every sample advances at once (one clock for all rows). A row
// added later reads NaN (no sample) for the columns before it appeared.

/** What each sample holds per row. */
export const SeriesField = { active: 0, inactive: 1, connsPerSec: 2, bytesPerSec: 3 } as const;
export const SERIES_FIELDS = 4;

export interface SeriesValues {
  active: number;
  inactive: number;
  connsPerSec: number;
  bytesPerSec: number;
}

export class SeriesStore {
  private rows = new Map<string, number>();
  private free: number[] = [];
  private capacity = 0;
  private data = new Float32Array(0);
  /** Column the next sample writes. */
  private head = 0;
  /** Samples taken so far (up to `points`). */
  private taken = 0;
  /** ms since the epoch of the newest sample. */
  private lastAt = 0;

  constructor(readonly points: number) {}

  /** Starts a new sample at time `at`: every row's column is reset to "no sample" first. */
  beginSample(at: number): void {
    const col = this.head;
    for (const row of this.rows.values()) this.data.fill(NaN, this.offset(row, col), this.offset(row, col) + SERIES_FIELDS);
    this.lastAt = at;
  }

  /** Writes `key`'s values of the sample begun last. */
  put(key: string, v: SeriesValues): void {
    const row = this.rowOf(key);
    const o = this.offset(row, this.head);
    this.data[o + SeriesField.active] = v.active;
    this.data[o + SeriesField.inactive] = v.inactive;
    this.data[o + SeriesField.connsPerSec] = v.connsPerSec;
    this.data[o + SeriesField.bytesPerSec] = v.bytesPerSec;
  }

  /** Ends the sample: rows not written in it and in none of the kept samples are dropped. */
  endSample(seen: ReadonlySet<string>): void {
    this.head = (this.head + 1) % this.points;
    this.taken = Math.min(this.points, this.taken + 1);
    for (const [key, row] of this.rows) {
      if (seen.has(key)) continue;
      let any = false;
      for (let c = 0; c < this.points && !any; c++) any = !Number.isNaN(this.data[this.offset(row, c)]!);
      if (!any) {
        this.rows.delete(key);
        this.free.push(row);
      }
    }
  }

  /** The newest sample's time (ms), 0 before the first. */
  get newestAt(): number {
    return this.lastAt;
  }

  /** `key`'s samples, oldest first, `points` long (null where there is none); undefined for an unknown key. */
  read(key: string): { [K in keyof SeriesValues]: (number | null)[] } | undefined {
    const row = this.rows.get(key);
    if (row === undefined) return undefined;
    const out = { active: [] as (number | null)[], inactive: [] as (number | null)[], connsPerSec: [] as (number | null)[], bytesPerSec: [] as (number | null)[] };
    for (let k = this.points; k >= 1; k--) {
      const col = (this.head - k + this.points) % this.points;
      const o = this.offset(row, col);
      const known = k <= this.taken && !Number.isNaN(this.data[o]!);
      out.active.push(known ? this.data[o + SeriesField.active]! : null);
      out.inactive.push(known ? this.data[o + SeriesField.inactive]! : null);
      out.connsPerSec.push(known ? round(this.data[o + SeriesField.connsPerSec]!) : null);
      out.bytesPerSec.push(known ? Math.round(this.data[o + SeriesField.bytesPerSec]!) : null);
    }
    return out;
  }

  get size(): number {
    return this.rows.size;
  }

  private offset(row: number, col: number): number {
    return (row * this.points + col) * SERIES_FIELDS;
  }

  private rowOf(key: string): number {
    let row = this.rows.get(key);
    if (row !== undefined) return row;
    row = this.free.pop() ?? this.rows.size;
    if (row >= this.capacity) {
      const capacity = Math.max(64, this.capacity * 2);
      const grown = new Float32Array(capacity * this.points * SERIES_FIELDS).fill(NaN);
      grown.set(this.data);
      this.data = grown;
      this.capacity = capacity;
    }
    this.data.fill(NaN, this.offset(row, 0), this.offset(row, this.points));
    this.rows.set(key, row);
    return row;
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;
