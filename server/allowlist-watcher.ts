// Keeps the allowlist files' last good rules in memory and notices edits at once.
//
// Every check() stats each file (a few microseconds), so an edit applies to the very next request
// whatever fs.watch does (it can miss events on some filesystems and delivers them late). fs.watch
// on the folders is only there so that a broken edit is reported (onChange) even with no traffic.
//
// A file whose mtime is too close to the moment we read it is "racily clean" (the same problem
// git has): a second write in the same coarse kernel clock tick, of the same size, leaves
// mtime/ctime/size/inode unchanged. Such a file is re-read and compared byte for byte until a
// read happens comfortably after its mtime.
import { statSync, readFileSync, watch, type FSWatcher, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { parseAllowlist, isAllowed, AllowlistError, MAX_ALLOWLIST_BYTES, type AllowlistRules } from './allowlist.ts';

export type AllowlistProblem = { file: string; line: number; message: string };

export type AllowlistChange = {
  file: string;
  /** 'absent' when the file was deleted or never existed. */
  state: 'absent' | 'loaded' | 'broken';
  /** Set when the file was refused; the previous rules of that file stay in force. */
  problem: AllowlistProblem | null;
};

type FileState = {
  file: string;
  signature: string | null; // null = absent
  text: string | null;
  readAtMs: number;
  mtimeMs: number;
  /** Last good rules of this file; null when absent or never valid. */
  rules: AllowlistRules | null;
  problem: AllowlistProblem | null;
};

/** How long after a file's mtime a read must happen before its stat signature is trusted. */
const RACY_MARGIN_MS = 2000;

export class AllowlistWatcher {
  private readonly states: FileState[];
  private readonly onChange: ((change: AllowlistChange) => void) | undefined;
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(opts: { files: string[]; onChange?: (change: AllowlistChange) => void }) {
    this.states = opts.files.map((file) => ({
      file,
      signature: null,
      text: null,
      readAtMs: 0,
      mtimeMs: 0,
      rules: null,
      problem: null,
    }));
    this.onChange = opts.onChange;
  }

  async start(): Promise<void> {
    this.refresh();
    for (const dir of new Set(this.states.map((s) => dirname(s.file)))) {
      try {
        // persistent:false so a console that is shutting down is not kept alive by the watch.
        const w = watch(dir, { persistent: false }, () => this.scheduleRefresh());
        w.on('error', () => w.close()); // folder removed: the per-check stat still covers it
        this.watchers.push(w);
      } catch {
        // The folder does not exist (yet); check() stats the files on every request anyway.
      }
    }
  }

  /** True when every present allowlist file allows this client (last good rules of each). */
  check(clientIp: string): boolean {
    this.refresh();
    const active: AllowlistRules[] = [];
    for (const s of this.states) {
      if (s.rules) active.push(s.rules);
      else if (s.problem) return false; // present but never valid: fail closed
    }
    return isAllowed(active, clientIp);
  }

  problems(): AllowlistProblem[] {
    this.refresh();
    return this.states.flatMap((s) => (s.problem ? [s.problem] : []));
  }

  close(): void {
    this.closed = true;
    if (this.debounce) clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private scheduleRefresh(): void {
    if (this.closed || this.debounce) return;
    // Editors write in several steps; let them finish before reporting.
    this.debounce = setTimeout(() => {
      this.debounce = null;
      if (!this.closed) this.refresh();
    }, 50);
    this.debounce.unref();
  }

  private refresh(): void {
    for (const s of this.states) this.refreshOne(s);
  }

  private refreshOne(s: FileState): void {
    let st: BigIntStats | undefined;
    try {
      st = statSync(s.file, { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      this.fail(s, `sig-error:${(err as NodeJS.ErrnoException).code}`, null, 1, describeError(err));
      return;
    }
    if (!st) {
      if (s.signature === null && s.problem === null && s.rules === null) return;
      s.signature = null;
      s.text = null;
      s.rules = null;
      s.problem = null;
      this.onChange?.({ file: s.file, state: 'absent', problem: null });
      return;
    }
    const signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;
    const racy = s.readAtMs - s.mtimeMs < RACY_MARGIN_MS;
    if (signature === s.signature && !racy) return;

    if (!st.isFile()) {
      this.fail(s, signature, null, 1, 'not a regular file');
      return;
    }
    if (st.size > BigInt(MAX_ALLOWLIST_BYTES)) {
      this.fail(s, signature, null, 1, `the file is larger than ${MAX_ALLOWLIST_BYTES} bytes`);
      return;
    }
    let text: string;
    const readAtMs = Date.now();
    try {
      text = readFileSync(s.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        s.signature = 'vanished'; // deleted between stat and read: the next check sees it absent
        return;
      }
      this.fail(s, signature, null, 1, describeError(err));
      return;
    }
    s.readAtMs = readAtMs;
    s.mtimeMs = Number(st.mtimeMs);
    if (signature === s.signature && text === s.text) return; // racy re-read: unchanged
    s.signature = signature;
    s.text = text;
    try {
      s.rules = parseAllowlist(text, s.file);
      s.problem = null;
      this.onChange?.({ file: s.file, state: 'loaded', problem: null });
    } catch (err) {
      if (!(err instanceof AllowlistError)) throw err;
      this.fail(s, signature, text, err.line, err.problem);
    }
  }

  /** Records a refused file; its previous rules (if any) stay in force. */
  private fail(s: FileState, signature: string, text: string | null, line: number, message: string): void {
    const same = s.problem && s.problem.line === line && s.problem.message === message && s.signature === signature;
    s.signature = signature;
    s.text = text;
    s.problem = { file: s.file, line, message };
    if (!same) this.onChange?.({ file: s.file, state: 'broken', problem: s.problem });
  }
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES') return 'the console is not allowed to read this file';
  if (e.code === 'EISDIR') return 'not a regular file';
  return `cannot read the file (${e.code ?? e.message})`;
}
