// The console's history of lvs.cf: every version it saved, and the file as it found it before a save
// when that was not its own last version (a hand edit, the very first file). A version is kept as
// the line hunks from the version before it (a one-line save costs a few hundred bytes), the oldest
// kept version as a full gzip copy, so every version is rebuilt byte for byte: backward from the
// current file through the inverted hunks when the file is still the newest version (the usual case,
// no copy to decompress), else forward from the nearest full copy. Every rebuilt text is checked
// against the version's sha256.
//
// Pruning by count and by age (both configurable) removes the oldest versions in batches of a tenth
// of the limit, so that the full copy the new oldest version becomes is written once per batch, not
// once per save. Every file is written atomically; a version exists once its .json is in place.
import { readdir, readFile, unlink, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../../common/atomic-write.ts';
import { decodeConfigFile, encodeConfigText, type Encoding, type PatchHunk } from '../../lvs-cf/index.ts';
import { Mutex } from '../mutex.ts';
import { applyDelta, deltaSize, invertDelta, textDelta } from './text-delta.ts';
import { ENTRY_RE, FULL_RE, LEGACY_RE, entryName, entrySchema, fullName, infoOf, legacyInfo, type Entry, type VersionInfo } from './entries.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface HistoryLimits {
  /** How many versions are kept (at least 1). */
  keep: number;
  /** Versions older than this many days are removed (0: no age limit). The newest is always kept. */
  maxAgeDays: number;
}

export const DEFAULT_HISTORY: HistoryLimits = { keep: 100, maxAgeDays: 90 };

export interface VersionText {
  text: string;
  version: string;
}

export interface RecordedSave {
  /** The file the save replaced, as read under the store's mutex. */
  old: VersionText & { encoding: Encoding; exists: boolean; serial: number | null };
  /** What the save wrote. */
  next: VersionText & { serial: number };
  /** The hunks from old.text to next.text. */
  patch: readonly PatchHunk[];
  user: string | null;
  client: string | null;
  action: string;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function describe(prefix: string, hunks: readonly PatchHunk[]): string {
  const { added, removed } = deltaSize(hunks);
  return `${prefix} (+${added} −${removed} line${added + removed === 1 ? '' : 's'})`;
}

export class HistoryStore {
  readonly dir: string;
  readonly limits: HistoryLimits;
  private readonly now: () => number;
  private readonly lock = new Mutex();
  /** This store's versions by seq (oldest first), and the full copies in the older naming; null: not read yet. */
  private cache: { own: VersionInfo[]; legacy: VersionInfo[]; stamp: bigint } | null = null;
  /** The newest version's text, when this process wrote it (no rebuild to diff a hand edit). */
  private newestText: VersionText | null = null;

  constructor(dir: string, limits: HistoryLimits = DEFAULT_HISTORY, now: () => number = Date.now) {
    this.dir = dir;
    this.limits = limits;
    this.now = now;
  }

  /** Every kept version, newest first (by time: the agent's copies fall among the console's versions). */
  list(): Promise<VersionInfo[]> {
    return this.lock.run(async () => {
      const { own, legacy } = await this.load();
      return [...legacy, ...own].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : b.seq - a.seq));
    });
  }

  /** The text of a kept version by its sha256, or null. `current` is lvs.cf now (the cheap way back). */
  textOf(version: string, current: VersionText | null): Promise<{ text: string; encoding: Encoding; info: VersionInfo } | null> {
    return this.lock.run(async () => {
      const { own, legacy } = await this.load();
      for (let i = own.length - 1; i >= 0; i--) {
        if (own[i]!.version !== version) continue;
        const got = await this.rebuild(own, i, current);
        if (sha(got.text) === version) return { ...got, info: own[i]! };
      }
      for (const v of legacy) {
        if (!v.files[0]!.endsWith(`.${version.slice(0, 16)}`)) continue;
        const got = decodeConfigFile(await readFile(join(this.dir, v.files[0]!)));
        if (sha(got.text) === version) return { text: got.text, encoding: got.encoding, info: v };
      }
      return null;
    });
  }

  /** The text of a kept version by its id (the HISTORY panel's links), or null. */
  textOfId(id: string, current: VersionText | null): Promise<{ text: string; encoding: Encoding; info: VersionInfo } | null> {
    return this.lock.run(async () => {
      const { own, legacy } = await this.load();
      const old = legacy.find((v) => v.id === id);
      if (old) {
        const got = decodeConfigFile(await readFile(join(this.dir, old.files[0]!)));
        return { text: got.text, encoding: got.encoding, info: old };
      }
      const i = own.findIndex((v) => v.id === id);
      if (i < 0) return null;
      return { ...(await this.rebuild(own, i, current)), info: own[i]! };
    });
  }

  /**
   * Records a save: the replaced file first when it is not the newest kept version (a hand edit, or
   * no history yet), then the saved version as hunks from it; then prunes. Called under lvs.cf's mutex.
   */
  record(save: RecordedSave): Promise<void> {
    return this.lock.run(async () => {
      const { own: all, legacy } = await this.load();
      await mkdir(this.dir, { recursive: true, mode: 0o750 });
      const time = new Date(this.now()).toISOString();
      let seq = all.length ? all[all.length - 1]!.seq : 0;
      const newestOwn = all[all.length - 1] ?? null;
      if (save.old.exists && newestOwn?.version !== save.old.version) {
        const base = { format: 1 as const, seq: ++seq, time, serial: save.old.serial, version: save.old.version, encoding: save.old.encoding, kind: 'found' as const, user: null, client: null };
        if (newestOwn) {
          const prev = this.newestText?.version === newestOwn.version ? this.newestText.text : (await this.rebuild(all, all.length - 1, null)).text;
          const hunks = textDelta(prev, save.old.text);
          await this.write(all, { ...base, action: 'changed outside the console', summary: describe('lvs.cf as found before a save', hunks), parent: newestOwn.version, hunks }, null);
        } else {
          await this.write(all, { ...base, action: 'the file before the console\'s first kept save', summary: 'lvs.cf as found (a full copy)', parent: null, hunks: null }, encodeConfigText(save.old.text, save.old.encoding));
        }
      }
      const entry: Entry = {
        format: 1, seq: ++seq, time, serial: save.next.serial, version: save.next.version, encoding: save.old.encoding, kind: 'saved',
        user: save.user, client: save.client, action: save.action, summary: describe(save.action, save.patch),
        parent: save.old.exists ? save.old.version : null, hunks: save.old.exists ? save.patch.map((h) => ({ ...h })) : null,
      };
      await this.write(all, entry, save.old.exists ? null : encodeConfigText(save.next.text, save.old.encoding));
      // The object itself: its text may be read lazily (a large text is joined only when needed).
      this.newestText = save.next;
      await this.prune(all, legacy, save.next);
      this.cache!.stamp = await this.dirStamp();
    });
  }

  private async write(all: VersionInfo[], e: Entry, fullBytes: Buffer | null): Promise<void> {
    if (fullBytes) await writeFileAtomic(join(this.dir, fullName(e.seq)), await gzipAsync(fullBytes, { level: 1 }), 0o640);
    await writeFileAtomic(join(this.dir, entryName(e.seq)), JSON.stringify(e) + '\n', 0o640);
    all.push(infoOf(e));
  }

  private async readEntry(seq: number): Promise<Entry> {
    return entrySchema.parse(JSON.parse(await readFile(join(this.dir, entryName(seq)), 'utf8')));
  }

  /** Rebuilds version all[i]: backward from the current file, or forward from a full copy. */
  private async rebuild(all: VersionInfo[], i: number, current: VersionText | null): Promise<{ text: string; encoding: Encoding }> {
    const v = all[i]!;
    const encoding = (await this.readEntry(v.seq)).encoding;
    const last = all.length - 1;
    // Backward: the current file is the newest version and no full copy lies between.
    if (current && all[last]!.version === current.version) {
      let ok = true;
      for (let j = last; j > i; j--) if (all[j]!.full || all[j]!.parent !== all[j - 1]!.version) ok = false;
      if (ok) {
        let text = current.text;
        for (let j = last; j > i; j--) text = applyDelta(text, invertDelta((await this.readEntry(all[j]!.seq)).hunks!));
        return { text, encoding };
      }
    }
    let f = i;
    while (f >= 0 && !all[f]!.full) f--;
    const base = all[f];
    if (!base) throw new Error(`the history of version ${v.id} is incomplete (no full copy before it in ${this.dir})`);
    // Decoded as the version was written (a Latin-1 file's bytes may also read as UTF-8).
    const bytes = await gunzipAsync(await readFile(join(this.dir, fullName(base.seq))));
    let text = (await this.readEntry(base.seq)).encoding === 'latin1' ? bytes.toString('latin1') : bytes.toString('utf8');
    for (let j = f + 1; j <= i; j++) {
      const e = await this.readEntry(all[j]!.seq);
      if (e.parent !== all[j - 1]!.version) throw new Error(`the history of version ${v.id} is broken at version ${e.seq}`);
      text = applyDelta(text, e.hunks!);
    }
    return { text, encoding };
  }

  /**
   * Removes the oldest versions (of both namings, by time) once there are a tenth more than `keep`,
   * or the oldest is a tenth past the age limit; the new oldest version of this store becomes a
   * full copy first.
   */
  private async prune(own: VersionInfo[], legacy: VersionInfo[], current: VersionText): Promise<void> {
    const { keep, maxAgeDays } = this.limits;
    const slack = Math.max(1, Math.floor(keep / 10));
    const maxAgeMs = maxAgeDays * 86_400_000;
    const ageOf = (v: VersionInfo) => this.now() - Date.parse(v.time);
    const oldestFirst = [...legacy, ...own].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.seq - b.seq));
    const total = oldestFirst.length;
    const tooMany = total >= keep + slack;
    const tooOld = maxAgeDays > 0 && total > 1 && ageOf(oldestFirst[0]!) > maxAgeMs * 1.1;
    if (!tooMany && !tooOld) return;
    let drop = Math.max(0, total - keep);
    if (maxAgeDays > 0) while (drop < total - 1 && ageOf(oldestFirst[drop]!) > maxAgeMs) drop++;
    const gone = new Set(oldestFirst.slice(0, drop));
    // This store's versions go from the oldest; the newest of them always stays (the chain's head).
    let ownDrop = 0;
    while (ownDrop < own.length - 1 && gone.has(own[ownDrop]!)) ownDrop++;
    if (ownDrop > 0 && !own[ownDrop]!.full) {
      const first = own[ownDrop]!;
      const { text, encoding } = await this.rebuild(own, ownDrop, current);
      const e = await this.readEntry(first.seq);
      await writeFileAtomic(join(this.dir, fullName(first.seq)), await gzipAsync(encodeConfigText(text, encoding), { level: 1 }), 0o640);
      await writeFileAtomic(join(this.dir, entryName(first.seq)), JSON.stringify({ ...e, parent: null, hunks: null }) + '\n', 0o640);
      own[ownDrop] = infoOf({ ...e, parent: null, hunks: null });
    }
    const removed = [...own.splice(0, ownDrop), ...legacy.filter((v) => gone.has(v))];
    for (let i = legacy.length - 1; i >= 0; i--) if (gone.has(legacy[i]!)) legacy.splice(i, 1);
    for (const v of removed) for (const f of v.files) await unlink(join(this.dir, f)).catch(() => undefined);
  }

  private async dirStamp(): Promise<bigint> {
    try {
      return (await stat(this.dir, { bigint: true })).mtimeNs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1n;
      throw err;
    }
  }

  /**
   * The listing, read again when history/ changed behind this store (the agent adds its copies
   * there); files a crash left without their .json are removed.
   */
  private async load(): Promise<{ own: VersionInfo[]; legacy: VersionInfo[] }> {
    const stamp = await this.dirStamp();
    if (this.cache && this.cache.stamp === stamp) return this.cache;
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const legacy = names.filter((n) => LEGACY_RE.test(n)).sort().map((n, i) => legacyInfo(n, -names.length + i)!);
    const own: VersionInfo[] = [];
    for (const n of names.filter((x) => ENTRY_RE.test(x)).sort()) {
      try {
        own.push(infoOf(entrySchema.parse(JSON.parse(await readFile(join(this.dir, n), 'utf8')))));
      } catch {
        // A damaged entry is left on disk for the administrator; the versions after it rebuild from their own full copy.
      }
    }
    const entries = new Set(own.map((v) => v.seq));
    for (const n of names) {
      const m = FULL_RE.exec(n);
      if (m && !entries.has(Number(m[1]))) await unlink(join(this.dir, n)).catch(() => undefined);
    }
    this.cache = { own, legacy, stamp: await this.dirStamp() };
    return this.cache;
  }
}
