// The console's single account, `piranha`, and its bcrypt hash in <root>/conf/piranha.passwd
// (`piranha:<hash>`, mode 0600), written only by piranha-passwd / ensurePassword.
//
// Basic auth resends the password with every request, so a verified credential is cached:
// bcrypt at cost 12 takes ~0.3 s of a libuv thread, and the pool's 4 threads are shared with every
// fs call. The cache key is an HMAC (random per-process key) of the file's current hash line, the
// user and the password, so a new hash invalidates it at once and the cache never holds anything
// that helps an attacker who can read memory less than the hash itself would.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { statSync, readFileSync, chownSync, type BigIntStats } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../common/atomic-write.ts';

/** The part of the npm `bcrypt` package we use (it ships no type declarations). */
interface Bcrypt {
  hash(data: string, rounds: number): Promise<string>;
  compare(data: string, encrypted: string): Promise<boolean>;
}
const bcrypt = createRequire(import.meta.url)('bcrypt') as Bcrypt;

export const USER = 'piranha';
export const DEFAULT_COST = 12;
/** bcrypt ignores everything after 72 bytes; longer passwords are refused rather than truncated. */
export const MAX_PASSWORD_BYTES = 72;
/** At most this many bcrypt computations at once, so a login flood cannot starve config saves. */
const MAX_CONCURRENT_BCRYPT = 2;
const MAX_CACHED = 16;
const MAX_FILE_BYTES = 64 * 1024;

// `$2y$` is what `htpasswd -B` writes; it is the same algorithm as `$2b$`, which node's bcrypt wants.
const BcryptHash = z.string().regex(/^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/);

export function validateNewPassword(pw: string): string | null {
  if (pw.length === 0) return 'The password is empty.';
  if (/[\r\n]/.test(pw)) return 'The password contains a line break.';
  if (pw.includes('\0')) return 'The password contains a NUL character.';
  const bytes = Buffer.byteLength(pw, 'utf8');
  if (bytes > MAX_PASSWORD_BYTES) {
    return `The password is ${bytes} bytes long in UTF-8; bcrypt uses only the first ${MAX_PASSWORD_BYTES}, so at most ${MAX_PASSWORD_BYTES} bytes are accepted.`;
  }
  return null;
}

/**
 * Writes `piranha:<bcrypt>\n` atomically with mode 0600, creating the conf folder (0700).
 * When run as root, the new file keeps the owner of the file it replaces (or of the conf folder),
 * so an unprivileged console can still read it.
 */
export async function writePasswordFile(file: string, password: string, cost = DEFAULT_COST): Promise<void> {
  const problem = validateNewPassword(password);
  if (problem) throw new Error(problem);
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const owner = await ownerToKeep(file, dir);
  const hash = await bcrypt.hash(password, cost);
  await writeFileAtomic(file, `${USER}:${hash}\n`, 0o600);
  if (owner) chownSync(file, owner.uid, owner.gid);
}

async function ownerToKeep(file: string, dir: string): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const st = (await stat(file).catch(() => null)) ?? (await stat(dir));
  return st.uid === 0 && st.gid === 0 ? null : { uid: st.uid, gid: st.gid };
}

/**
 * For `npm start`: when there is no password file yet, generates a random password, stores only
 * its hash and returns it so the caller can print it once. Never overwrites an existing file.
 */
export async function ensurePassword(file: string): Promise<{ generated: string } | null> {
  const existing = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing) return null;
  const generated = randomBytes(18).toString('base64url'); // 24 characters, 144 bits
  await writePasswordFile(file, generated);
  return { generated };
}

type Loaded = { signature: string; hash: string | null; problem: string | null };

export class PasswordStore {
  private readonly file: string;
  private loaded: Loaded | null = null;
  private readonly cacheKey = randomBytes(32);
  private verified = new Set<string>();
  private inflight = new Map<string, Promise<boolean>>();
  private running = 0;
  private queue: Array<() => void> = [];

  constructor(opts: { file: string }) {
    this.file = opts.file;
  }

  /** True when the file holds a usable bcrypt hash for `piranha`. */
  exists(): boolean {
    return this.current().hash !== null;
  }

  /** Why the file cannot be used (missing, unreadable, no piranha line, unsupported hash), or null. */
  problem(): string | null {
    return this.current().problem;
  }

  async verify(user: string, password: string): Promise<boolean> {
    const { hash } = this.current();
    if (hash === null) return false;
    // A password bcrypt would truncate must not match on its first 72 bytes alone.
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES || password.includes('\0')) return false;
    const key = createHmac('sha256', this.cacheKey).update(hash).update('\0').update(user).update('\0').update(password).digest('base64');
    if (this.verified.has(key)) return true;
    const pending = this.inflight.get(key);
    if (pending) return pending; // a page load sends several requests with the same header at once

    const work = this.compare(user, password, hash).then((ok) => {
      // Only cache if the file did not change while bcrypt ran.
      if (ok && this.current().hash === hash) {
        if (this.verified.size >= MAX_CACHED) this.verified.clear();
        this.verified.add(key);
      }
      return ok;
    });
    this.inflight.set(key, work);
    try {
      return await work;
    } finally {
      this.inflight.delete(key);
    }
  }

  private async compare(user: string, password: string, hash: string): Promise<boolean> {
    // The user name is compared in constant time and bcrypt runs either way, so a wrong user name
    // takes as long as a wrong password.
    const userOk = timingSafeEqual(sha256(user), sha256(USER));
    await this.acquire();
    try {
      const passwordOk = await bcrypt.compare(password, hash);
      return userOk && passwordOk;
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < MAX_CONCURRENT_BCRYPT) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next(); // hand the slot over without decrementing
    else this.running--;
  }

  /** Re-reads the file when its stat signature changed; clears the cache when the hash changed. */
  private current(): Loaded {
    let st: BigIntStats | undefined;
    let signature: string;
    try {
      st = statSync(this.file, { bigint: true, throwIfNoEntry: false });
      signature = st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : 'absent';
    } catch (err) {
      signature = `error:${(err as NodeJS.ErrnoException).code}`;
    }
    if (this.loaded && this.loaded.signature === signature) return this.loaded;
    const next = { signature, ...this.read(st) };
    if (next.hash !== this.loaded?.hash) this.verified.clear();
    this.loaded = next;
    return next;
  }

  private read(st: BigIntStats | undefined): { hash: string | null; problem: string | null } {
    if (!st) return { hash: null, problem: `${this.file} does not exist; run piranha-passwd to set the password` };
    if (!st.isFile()) return { hash: null, problem: `${this.file} is not a regular file` };
    if (st.size > BigInt(MAX_FILE_BYTES)) return { hash: null, problem: `${this.file} is too large to be a password file` };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      return { hash: null, problem: `cannot read ${this.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    for (const line of text.split('\n')) {
      const trimmed = line.replace(/\r$/, '');
      const colon = trimmed.indexOf(':');
      if (colon === -1 || trimmed.slice(0, colon) !== USER) continue;
      const parsed = BcryptHash.safeParse(trimmed.slice(colon + 1));
      if (!parsed.success) {
        return { hash: null, problem: `the ${USER} entry in ${this.file} is not a bcrypt hash (old DES/MD5 htpasswd hashes are not accepted); run piranha-passwd` };
      }
      return { hash: parsed.data.replace(/^\$2y\$/, '$2b$'), problem: null };
    }
    return { hash: null, problem: `${this.file} has no ${USER} entry; run piranha-passwd` };
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
