// What history/ holds on disk, and how its names read. One version is one `<seq>.json` file (its
// facts and, unless it is a full copy, the hunks from the version before it) and, for a full copy,
// `<seq>.text.gz` (its bytes, gzip). Full copies made before this store existed
// (`lvs.cf.<time>.serial-<n>.<hash>`) are read as they are: nothing is converted.
import { z } from 'zod';

export const hunkSchema = z.object({
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  line: z.number().int().min(1),
  removed: z.string(),
  inserted: z.string(),
});

export const entrySchema = z.object({
  format: z.literal(1),
  seq: z.number().int().min(1),
  time: z.string(),
  serial: z.number().int().nullable(),
  /** sha256 of the version's text (the console's version of a file). */
  version: z.string().regex(/^[0-9a-f]{64}$/),
  encoding: z.enum(['utf8', 'latin1']),
  /** 'saved': written by the console; 'found': lvs.cf as the console found it before a save (a hand edit, the first file). */
  kind: z.enum(['saved', 'found']),
  user: z.string().nullable(),
  client: z.string().nullable(),
  action: z.string(),
  summary: z.string(),
  /** The version this one's hunks apply to; null for a full copy. */
  parent: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  hunks: z.array(hunkSchema).nullable(),
});

export type Entry = z.infer<typeof entrySchema>;

/** What a listing shows of a version (the hunks stay on disk until a version is rebuilt). */
export interface VersionInfo {
  /** A stable name for the version in URLs: `<seq>` or `legacy-<file name>`. */
  id: string;
  time: string;
  serial: number | null;
  version: string | null;
  kind: 'saved' | 'found' | 'legacy';
  user: string | null;
  client: string | null;
  action: string;
  summary: string;
  full: boolean;
  parent: string | null;
  /** The file(s) of this version in history/. */
  files: string[];
  seq: number;
}

const SEQ_DIGITS = 10;

export function entryName(seq: number): string {
  return `${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
}

export function fullName(seq: number): string {
  return `${String(seq).padStart(SEQ_DIGITS, '0')}.text.gz`;
}

export const ENTRY_RE = /^(\d{10})\.json$/;
export const FULL_RE = /^(\d{10})\.text\.gz$/;
/** lvs.cf.2026-12-04T10-11-12-123Z.serial-7.0123456789abcdef, as older consoles wrote them. */
/** The agent of a backup router still writes these when its partner pushes a new lvs.cf. */
export const LEGACY_RE = /^lvs\.cf\.(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z\.serial-(-?\d+|unknown)\.([0-9a-f]{16})$/;

/** The listing of a full copy an older console wrote (the version it replaced). */
export function legacyInfo(name: string, order: number): VersionInfo | null {
  const m = LEGACY_RE.exec(name);
  if (!m) return null;
  const [, day, hh, mm, ss, ms, serial] = m;
  return {
    id: `legacy-${name}`,
    time: `${day}T${hh}:${mm}:${ss}.${ms}Z`,
    serial: serial === 'unknown' ? null : Number(serial),
    version: null,
    kind: 'legacy',
    user: null,
    client: null,
    action: 'a full copy (kept by an earlier console, or by the agent when its partner pushed a new lvs.cf)',
    summary: '',
    full: true,
    parent: null,
    files: [name],
    seq: order,
  };
}

export function infoOf(e: Entry): VersionInfo {
  return {
    id: String(e.seq),
    time: e.time,
    serial: e.serial,
    version: e.version,
    kind: e.kind,
    user: e.user,
    client: e.client,
    action: e.action,
    summary: e.summary,
    full: e.hunks === null,
    parent: e.parent,
    files: e.hunks === null ? [entryName(e.seq), fullName(e.seq)] : [entryName(e.seq)],
    seq: e.seq,
  };
}
