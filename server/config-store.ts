// The console's only way to read and write lvs.cf. Reads are cached by the file's identity (inode,
// size, mtime, ctime) so a page view does not re-parse an unchanged file; saves always re-read the
// bytes under a per-file mutex and compare their hash with the version the form was read at, so an
// edit based on a stale file (another browser, a hand edit) is refused instead of lost.
// A successful save: changed lines only (the library's edit), serial_no + 1, the old bytes copied to
// history/, an atomic write, and one JSON line in audit.log. A GET never writes anything.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeConfigFile, defaultConfig, edit as editText, encodeConfigText, parse, type Encoding } from '../lvs-cf/index.ts';
import { writeFileAtomic } from '../common/atomic-write.ts';
import type { Diagnostic, Edit, ParseResult, PatchHunk } from '../lvs-cf/index.ts';
import { mutexFor, type Mutex } from './mutex.ts';

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
  | { kind: 'saved'; snapshot: Snapshot; serialFrom: number; serialTo: number; patch: PatchHunk[] }
  | { kind: 'unchanged'; snapshot: Snapshot }
  | { kind: 'conflict'; baseText: string | null; current: Snapshot }
  | { kind: 'invalid'; diagnostics: Diagnostic[]; snapshot: Snapshot };

export interface SaveRequest {
  baseVersion: string;
  client: string;
  /** What the user did, for the audit log ("global settings", "delete virtual server web"). */
  action: string;
  /** Computes the edits against the current file (already checked to be the base version). */
  build: (snapshot: Snapshot) => Edit[];
}

const HISTORY_KEEP = 100;
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
  private cached: { key: string; snapshot: Snapshot } | null = null;
  /** Texts of recently seen versions, so a conflict can show what changed since the form was read. */
  private readonly texts = new Map<string, string>();

  constructor(root: string) {
    this.root = resolve(root);
    this.path = join(this.root, 'lvs.cf');
    this.historyDir = join(this.root, 'history');
    this.auditPath = join(this.root, 'audit.log');
    this.mutex = mutexFor(this.path);
  }

  async read(): Promise<Snapshot> {
    let key = 'missing';
    try {
      const st = await stat(this.path, { bigint: true });
      key = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (this.cached && this.cached.key === key) return this.cached.snapshot;
    const snapshot = await this.readFresh();
    this.cached = { key, snapshot };
    return snapshot;
  }

  /** The text of a version seen recently or kept in history/, null when unknown. */
  async textOf(version: string): Promise<string | null> {
    const known = this.texts.get(version);
    if (known !== undefined) return known;
    if (!/^[0-9a-f]{64}$/.test(version)) return null;
    try {
      const names = await readdir(this.historyDir);
      const hit = names.find((n) => n.endsWith(`.${version.slice(0, 16)}`));
      if (hit) {
        const { text } = decodeConfigFile(await readFile(join(this.historyDir, hit)));
        if (versionOf(text) === version) return text;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return null;
  }

  save(req: SaveRequest): Promise<SaveResult> {
    return this.mutex.run(async () => {
      const current = await this.readFresh();
      if (current.version !== req.baseVersion) {
        return { kind: 'conflict', baseText: await this.textOf(req.baseVersion), current };
      }
      const edits = req.build(current);
      if (edits.length === 0) return { kind: 'unchanged', snapshot: current };
      const serialFrom = current.parsed.model?.serial_no ?? 0;
      const serialTo = serialFrom + 1;
      const result = editText(current.text, [
        ...edits,
        { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: serialTo },
      ]);
      if (!result.ok) return { kind: 'invalid', diagnostics: result.diagnostics, snapshot: current };
      if (current.exists) await this.keepHistory(current, serialFrom);
      await writeFileAtomic(this.path, encodeConfigText(result.text, current.encoding), 0o644);
      const snapshot = this.snapshotOf(result.text, true, current.encoding, current.parsed.diagnostics.find((d) => d.code === 'ENCODING') ?? null);
      this.cached = null;
      await this.audit({
        action: req.action,
        client: req.client,
        serial: [serialFrom, serialTo],
        version: [current.version, snapshot.version],
        changes: result.patch.map((h) => ({ line: h.line, removed: h.removed, inserted: h.inserted })),
      });
      return { kind: 'saved', snapshot, serialFrom, serialTo, patch: result.patch };
    });
  }

  /** Appends one JSON line to audit.log (also used for agent actions). */
  async audit(entry: Record<string, unknown>): Promise<void> {
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n';
    await appendFile(this.auditPath, line, { mode: 0o640 });
  }

  private async readFresh(): Promise<Snapshot> {
    try {
      const { text, encoding, note } = decodeConfigFile(await readFile(this.path));
      return this.snapshotOf(text, true, encoding, note);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return this.snapshotOf('', false, 'utf8');
    }
  }

  private snapshotOf(text: string, exists: boolean, encoding: Encoding, note: Diagnostic | null = null): Snapshot {
    const version = versionOf(text);
    this.texts.delete(version);
    this.texts.set(version, text);
    while (this.texts.size > VERSION_CACHE) this.texts.delete(this.texts.keys().next().value as string);
    // A missing or empty lvs.cf is a new configuration: the daemons' defaults, created on first save.
    const parsed: ParseResult = text === '' ? { ok: true, model: defaultConfig(), diagnostics: [] } : parse(text);
    if (note) parsed.diagnostics.unshift(note);
    return { text, version, exists, encoding, parsed };
  }

  private async keepHistory(snapshot: Snapshot, serial: number): Promise<void> {
    await mkdir(this.historyDir, { recursive: true, mode: 0o750 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `lvs.cf.${stamp}.serial-${serial}.${snapshot.version.slice(0, 16)}`;
    await writeFileAtomic(join(this.historyDir, name), encodeConfigText(snapshot.text, snapshot.encoding), 0o640);
    const names = (await readdir(this.historyDir)).filter((n) => n.startsWith('lvs.cf.')).sort();
    for (const old of names.slice(0, Math.max(0, names.length - HISTORY_KEEP))) {
      await unlink(join(this.historyDir, old)).catch(() => undefined);
    }
  }
}
