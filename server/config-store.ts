// The console's only way to read and write lvs.cf. The version in use is held parsed in memory with
// the identity of its bytes on disk (file-identity.ts: inode, size, times, a hash of both ends), so
// neither a page view nor a save reads and parses an unchanged file again; a save re-checks that
// identity under a per-file mutex (a hand edit makes it read the file afresh) and compares the
// version with the one the form was read at, so an edit based on a stale file (another browser, a
// hand edit) is refused instead of lost. Edits go through lvs-cf/incremental.ts: at the cost of the
// lines they change when the file allows it, else edit() of the whole file; both give the same bytes
// and the same verdict.
// A successful save: changed lines only (the library's edit), serial_no + 1, the version recorded in
// history/ (history/store.ts: the changed lines), an atomic write, and one JSON line in audit.log.
// A GET never writes anything.
import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeConfigFile, defaultConfig, edit as editText, encodeConfigText, type Encoding } from '../lvs-cf/index.ts';
import { prepareAtomicWrite } from '../common/atomic-write.ts';
import type { Diagnostic, Edit, ParseResult, PatchHunk } from '../lvs-cf/index.ts';
import { mutexFor, type Mutex } from './mutex.ts';
import { DEFAULT_HISTORY, HistoryStore, type HistoryLimits } from './history/store.ts';
import { textDelta } from './history/text-delta.ts';
import { IncrementalDoc } from '../lvs-cf/incremental.ts';
import type { TextPieces } from '../lvs-cf/text-pieces.ts';
import { FileBytes } from './file-bytes.ts';
import { fileIdentity, statIdentity, statPartOf } from './file-identity.ts';

export interface Snapshot {
  text: string;
  /** How the file's bytes became `text`: UTF-8, or Latin-1 for a file that is not UTF-8 (written back the same way). */
  encoding: Encoding;
  /** sha256 (hex) of the file's bytes; the empty text's hash when the file does not exist. */
  version: string;
  exists: boolean;
  parsed: ParseResult;
}

export type SaveResult =
  | { kind: 'saved'; snapshot: Snapshot; serialFrom: number; serialTo: number; patch: PatchHunk[]; base: Snapshot }
  | { kind: 'unchanged'; snapshot: Snapshot }
  | { kind: 'conflict'; baseText: string | null; current: Snapshot }
  | { kind: 'invalid'; diagnostics: Diagnostic[]; snapshot: Snapshot }
  /** The save was tied to a plan (expectPlan) and would write something else. */
  | { kind: 'not-planned'; snapshot: Snapshot };

/** What a save would write, computed and not written: the plan page's lvs.cf side. */
export type PreviewResult =
  | { kind: 'preview'; base: Snapshot; patch: PatchHunk[]; serialFrom: number; serialTo: number; digest: string }
  | Exclude<SaveResult, { kind: 'saved' } | { kind: 'not-planned' }>;

type Computed =
  /**
   * `next`: the new version's document when the incremental edit made it (no parse of the result
   * needed, and its text is joined only if asked for: `text` is a function).
   */
  | { kind: 'ready'; current: Snapshot; text: () => string; patch: PatchHunk[]; serialFrom: number; serialTo: number; next: IncrementalDoc | null }
  | Exclude<SaveResult, { kind: 'saved' } | { kind: 'not-planned' }>;

export interface SaveRequest {
  baseVersion: string;
  client: string;
  /** The console user who asked (null: the console itself, e.g. an unconfirmed change rolled back). */
  user?: string | null;
  /** What the user did, for the audit log ("global settings", "delete virtual server web"). */
  action: string;
  /** Computes the edits against the current file (already checked to be the base version). */
  build: (snapshot: Snapshot) => Edit[];
  /** The digest of the patch a plan page showed (planDigest): anything else is not written. */
  expectPlan?: string;
}

/** A short name for exactly which change a patch makes, carried by the plan page's ACCEPT. */
export function planDigest(patch: readonly PatchHunk[]): string {
  const h = createHash('sha256');
  for (const p of patch) h.update(`${p.start}\0${p.end}\0${p.inserted.length}\0`).update(p.inserted).update('\0');
  return h.digest('hex');
}

/** Texts of versions seen recently are kept up to this many characters in all (a 26 MB file is not). */
const VERSION_CACHE_CHARS = 4_000_000;
const VERSION_CACHE = 32;

export function versionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class ConfigStore {
  readonly root: string;
  readonly path: string;
  readonly historyDir: string;
  readonly auditPath: string;
  private readonly mutex: Mutex;
  /** The version in use: its identity on disk, its snapshot and its document for incremental edits. */
  /** The version held parsed: `key` its full identity (file-identity.ts), `stat` the part one stat gives. */
  private cached: { key: string; stat: string; snapshot: Snapshot; doc: IncrementalDoc | null; bytes: FileBytes | null } | null = null;
  /** Texts of recently seen versions, so a conflict can show what changed since the form was read. */
  private readonly texts = new Map<string, string>();
  private textChars = 0;
  /** Every saved version, as changed lines (history/store.ts). */
  readonly history: HistoryStore;

  constructor(root: string, opts: { history?: HistoryLimits } = {}) {
    this.root = resolve(root);
    this.path = join(this.root, 'lvs.cf');
    this.historyDir = join(this.root, 'history');
    this.auditPath = join(this.root, 'audit.log');
    this.mutex = mutexFor(this.path);
    this.history = new HistoryStore(this.historyDir, opts.history ?? DEFAULT_HISTORY);
  }

  /**
   * The file as it is now. A page view (the default) trusts one stat: inode, size and times
   * unchanged mean the version held. A save or a restore (`verify`) also compares the file's ends,
   * which a hand edit on a file system with coarse times changes even when the times and the size
   * do not; a page shown from the held version then gets its 409 at the save, as any stale page.
   */
  async read(opts: { verify?: boolean } = {}): Promise<Snapshot> {
    const stat = statIdentity(this.path);
    if (!opts.verify && this.cached?.stat === stat) return this.cached.snapshot;
    const key = await fileIdentity(this.path);
    if (this.cached?.key === key) {
      this.cached.stat = stat;
      return this.cached.snapshot;
    }
    const { snapshot, doc, bytes } = await this.readFresh();
    this.cached = { key, stat, snapshot, doc, bytes };
    return snapshot;
  }

  /** The text of a version seen recently or kept in history/, null when unknown. */
  async textOf(version: string): Promise<string | null> {
    const known = this.texts.get(version);
    if (known !== undefined) return known;
    if (!/^[0-9a-f]{64}$/.test(version)) return null;
    const current = await this.read();
    if (current.version === version) return current.text;
    return (await this.history.textOf(version, current))?.text ?? null;
  }

  /** The edits against `current` with the serial bump, checked as a save checks them; nothing written. */
  private async compute(current: Snapshot, req: SaveRequest): Promise<Computed> {
    if (current.version !== req.baseVersion) {
      return { kind: 'conflict', baseText: await this.textOf(req.baseVersion), current };
    }
    const edits = req.build(current);
    if (edits.length === 0) return { kind: 'unchanged', snapshot: current };
    const serialFrom = current.parsed.model?.serial_no ?? 0;
    const serialTo = serialFrom + 1;
    const all: Edit[] = [...edits, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: serialTo }];
    const doc = this.cached?.snapshot === current ? this.cached.doc : null;
    const fast = doc ? doc.edit(all) : null;
    if (fast?.kind === 'fast') return { kind: 'ready', current, text: () => fast.result.text, patch: fast.result.patch, serialFrom, serialTo, next: fast.next };
    const result = editText(current.text, all);
    if (!result.ok) return { kind: 'invalid', diagnostics: result.diagnostics, snapshot: current };
    return { kind: 'ready', current, text: () => result.text, patch: result.patch, serialFrom, serialTo, next: null };
  }

  /** What save(req) would write now, without writing it (the plan page). */
  async preview(req: SaveRequest): Promise<PreviewResult> {
    const c = await this.compute(await this.read(), req);
    if (c.kind !== 'ready') return c;
    return { kind: 'preview', base: c.current, patch: c.patch, serialFrom: c.serialFrom, serialTo: c.serialTo, digest: planDigest(c.patch) };
  }

  save(req: SaveRequest): Promise<SaveResult> {
    return this.mutex.run(async () => {
      const c = await this.compute(await this.read({ verify: true }), req);
      if (c.kind !== 'ready') return c;
      if (req.expectPlan !== undefined && planDigest(c.patch) !== req.expectPlan) return { kind: 'not-planned', snapshot: c.current };
      const snapshot = await this.commit(c.current, c.text, c.patch, [c.serialFrom, c.serialTo], { action: req.action, client: req.client, user: req.user ?? null }, c.next);
      return { kind: 'saved', snapshot, serialFrom: c.serialFrom, serialTo: c.serialTo, patch: c.patch, base: c.current };
    });
  }

  /**
   * Saves an earlier version's text again as a new version (serial_no = the current one + 1), the
   * way any save is made: under the mutex, refused when the file is no longer `baseVersion`, checked
   * by the library, the replaced bytes kept in history/, one audit line. `text` is computed from the
   * current file (`restoreText`), so what is restored is decided on the bytes being replaced.
   */
  restore(req: { baseVersion: string; client: string; user?: string | null; action: string; note?: Record<string, unknown>; restoreText: (current: Snapshot) => Promise<string> }): Promise<SaveResult> {
    return this.mutex.run(async () => {
      const current = await this.read({ verify: true });
      if (current.version !== req.baseVersion) return { kind: 'conflict', baseText: await this.textOf(req.baseVersion), current };
      const text = await req.restoreText(current);
      const serialFrom = current.parsed.model?.serial_no ?? 0;
      const serialTo = serialFrom + 1;
      const result = editText(text, [{ op: 'set', target: { scope: 'global' }, key: 'serial_no', value: serialTo }]);
      if (!result.ok) return { kind: 'invalid', diagnostics: result.diagnostics, snapshot: current };
      // The lines that differ from the file being replaced (the edit's own patch is against `text`).
      const patch = textDelta(current.text, result.text);
      const snapshot = await this.commit(current, () => result.text, patch, [serialFrom, serialTo], { action: req.action, client: req.client, user: req.user ?? null, ...req.note });
      return { kind: 'saved', snapshot, serialFrom, serialTo, patch, base: current };
    });
  }

  /**
   * Writes a new version over `current`: the old bytes to history/, the atomic write, one audit
   * line (what `meta` says, the serials, the versions and the changed lines). Under the mutex.
   * The temp file is written and synced while the new version is hashed and recorded in history/;
   * the file is replaced (renamed) only after that, so history/ always holds what it replaced.
   */
  private async commit(current: Snapshot, text: () => string, patch: readonly PatchHunk[], serial: [number, number], meta: { action: string; client: string; user: string | null } & Record<string, unknown>, next: IncrementalDoc | null = null): Promise<Snapshot> {
    // In the file's own encoding: a Latin-1 file stays Latin-1 (refused here, before history is touched).
    const held = this.cached?.snapshot === current ? this.cached.bytes : null;
    const encode = (t: string) => encodeConfigText(t, current.encoding);
    const bytes = held?.oneBytePerChar ? held.spliced(patch, encode) : (() => {
      const t = text();
      return FileBytes.of(encode(t), t.length);
    })();
    const writing = prepareAtomicWrite(this.path, bytes.chunks, 0o644);
    let snapshot: Snapshot;
    let doc: IncrementalDoc | null;
    try {
      const note = current.parsed.diagnostics.find((d) => d.code === 'ENCODING') ?? null;
      // UTF-8 bytes hash to the version itself (the sha256 of the text's UTF-8): no second encoding.
      const version = current.encoding === 'utf8' ? bytes.sha256() : versionOf(text());
      const made = next ? { snapshot: this.snapshotFrom(next.source, version, current.encoding, next, note), doc: next } : this.analysed(text(), true, current.encoding, note);
      snapshot = made.snapshot;
      doc = made.doc;
      // What history/ may keep to read the new text later: the pieces, not the snapshot and its model.
      const source = next ? next.source : snapshot.text;
      // History first: the replaced version is kept before the file is replaced. The texts are
      // read only if history needs them (a hand edit to diff, a first full copy).
      await this.history.record({
        old: { get text() { return current.text; }, version: current.version, encoding: current.encoding, exists: current.exists, serial: current.parsed.model?.serial_no ?? null },
        next: { get text() { return source.toString(); }, version: snapshot.version, serial: serial[1] },
        patch,
        user: meta.user,
        client: meta.client,
        action: meta.action,
      });
    } catch (err) {
      await (await writing.catch(() => null))?.abort();
      throw err;
    }
    await (await writing).commit();
    // The new version is adopted: the line numbers it shares with the old one move now (the old
    // version's model is superseded; pages still showing it read names and values, not lines).
    next?.settle();
    // The version just written is the one in use, identified by what is on disk now.
    const key = await fileIdentity(this.path);
    this.cached = { key, stat: statPartOf(key), snapshot, doc, bytes };
    await this.audit({
      ...meta,
      serial,
      version: [current.version, snapshot.version],
      changes: patch.map((h) => ({ line: h.line, removed: h.removed, inserted: h.inserted })),
    });
    return snapshot;
  }

  /** Appends one JSON line to audit.log (also used for agent actions). */
  async audit(entry: Record<string, unknown>): Promise<void> {
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n';
    await appendFile(this.auditPath, line, { mode: 0o640 });
  }

  private async readFresh(): Promise<{ snapshot: Snapshot; doc: IncrementalDoc | null; bytes: FileBytes | null }> {
    try {
      const bytes = await readFile(this.path);
      const { text, encoding, note } = decodeConfigFile(bytes);
      return { ...this.analysed(text, true, encoding, note), bytes: FileBytes.of(bytes, text.length) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return { ...this.analysed('', false, 'utf8', null), bytes: null };
    }
  }

  /** A text parsed whole: its snapshot and its document for incremental edits. */
  private analysed(text: string, exists: boolean, encoding: Encoding, note: Diagnostic | null): { snapshot: Snapshot; doc: IncrementalDoc | null } {
    // A missing or empty lvs.cf is a new configuration: the daemons' defaults, created on first save.
    if (text === '') return { snapshot: this.snapshotFrom(text, versionOf(text), encoding, null, note, exists), doc: null };
    const doc = IncrementalDoc.parse(text);
    return { snapshot: this.snapshotFrom(text, versionOf(text), encoding, doc, note, exists), doc };
  }

  /** A snapshot; a text still in pieces (a fast save's) is joined only if `text` is read. */
  private snapshotFrom(text: string | TextPieces, version: string, encoding: Encoding, doc: IncrementalDoc | null, note: Diagnostic | null, exists = true): Snapshot {
    if (text.length <= VERSION_CACHE_CHARS / 4) this.remember(version, text.toString());
    const result: ParseResult = doc ? doc.result : { ok: true, model: defaultConfig(), diagnostics: [] };
    // The document's own result stays as the library gave it; the page's copy carries the encoding note.
    const parsed: ParseResult = note ? { ...result, diagnostics: [note, ...result.diagnostics] } : result;
    if (typeof text === 'string') return { text, version, exists, encoding, parsed };
    const snapshot = { version, exists, encoding, parsed } as Snapshot;
    Object.defineProperty(snapshot, 'text', { get: () => text.toString(), enumerable: true });
    return snapshot;
  }

  /** Keeps the texts of recent small versions (a conflict's diff without a rebuild from history/). */
  private remember(version: string, text: string): void {
    const had = this.texts.get(version);
    if (had !== undefined) {
      this.texts.delete(version);
      this.textChars -= had.length;
    }
    this.texts.set(version, text);
    this.textChars += text.length;
    while (this.texts.size > VERSION_CACHE || this.textChars > VERSION_CACHE_CHARS) {
      const [oldest, t] = this.texts.entries().next().value as [string, string];
      this.texts.delete(oldest);
      this.textChars -= t.length;
    }
  }
}
