// The password file and its store: format, modes, verification, caching and invalidation.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile, chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { missingRoot, unprivileged } from '../testing/requirements.ts';
import { tempRootFor } from '../testing/temp.ts';
import { PasswordStore, writePasswordFile, validateNewPassword, ensurePassword } from './password-file.ts';

const bcrypt = createRequire(import.meta.url)('bcrypt') as { hash(s: string, r: number): Promise<string>; compare(a: string, b: string): Promise<boolean> };


/** The console's password file (not written yet) in a temporary root removed after the test. */
async function passwordFileIn(t: TestContext): Promise<string> {
  const { root } = await tempRootFor(t, 'piranha-pw-');
  return join(root, 'conf', 'piranha.passwd');
}

test('validateNewPassword refuses empty, line breaks, NUL and more than 72 UTF-8 bytes', () => {
  assert.equal(validateNewPassword('correct horse'), null);
  assert.equal(validateNewPassword('a'.repeat(72)), null);
  assert.equal(validateNewPassword('é'.repeat(36)), null); // 72 bytes
  assert.match(validateNewPassword('') ?? '', /empty/);
  assert.match(validateNewPassword('a\nb') ?? '', /line break/);
  assert.match(validateNewPassword('a\rb') ?? '', /line break/);
  assert.match(validateNewPassword('a\0b') ?? '', /NUL/);
  assert.match(validateNewPassword('a'.repeat(73)) ?? '', /73 bytes.*at most 72/);
  assert.match(validateNewPassword('é'.repeat(37)) ?? '', /74 bytes/);
});

test('writePasswordFile writes piranha:<bcrypt> with mode 0600 in a new 0700 conf folder', async (t) => {
  const { root } = await tempRootFor(t, 'piranha-pw-');
  const file = join(root, 'conf', 'piranha.passwd');
  await writePasswordFile(file, 'pa55 wörd', 4);
  const text = await readFile(file, 'utf8');
  assert.match(text, /^piranha:\$2b\$04\$[./A-Za-z0-9]{53}\n$/);
  assert.equal(await bcrypt.compare('pa55 wörd', text.slice('piranha:'.length, -1)), true);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await stat(join(root, 'conf'))).mode & 0o777, 0o700);
  await assert.rejects(writePasswordFile(file, 'x'.repeat(73), 4), /at most 72 bytes/);
  assert.equal(await readFile(file, 'utf8'), text, 'a refused password leaves the file alone');
});

test('a file written with the default cost (12) verifies, and only for user piranha', async (t) => {
  const file = await passwordFileIn(t);
  await writePasswordFile(file, 'default cost');
  assert.match(await readFile(file, 'utf8'), /^piranha:\$2b\$12\$/);
  const store = new PasswordStore({ file });
  assert.equal(store.exists(), true);
  assert.equal(await store.verify('piranha', 'default cost'), true);
  assert.equal(await store.verify('admin', 'default cost'), false);
  assert.equal(await store.verify('piranha', 'default cos'), false);
  assert.equal(await store.verify('Piranha', 'default cost'), false);
});

test('verify: no file, wrong passwords, truncation attempts and NUL never pass', async (t) => {
  const file = await passwordFileIn(t);
  const store = new PasswordStore({ file });
  assert.equal(store.exists(), false);
  assert.match(store.problem() ?? '', /does not exist; run piranha-passwd/);
  assert.equal(await store.verify('piranha', ''), false);

  const pw = 'p'.repeat(72);
  await writePasswordFile(file, pw, 4);
  assert.equal(store.exists(), true);
  assert.equal(store.problem(), null);
  assert.equal(await store.verify('piranha', pw), true);
  // bcrypt would accept these (it reads 72 bytes, and stops at NUL); we must not.
  assert.equal(await store.verify('piranha', pw + 'extra'), false);
  assert.equal(await store.verify('piranha', pw.slice(0, 10) + '\0' + pw.slice(11)), false);
});

test('a changed password file takes effect at the next verify, and the cache goes with it', async (t) => {
  const file = await passwordFileIn(t);
  await writePasswordFile(file, 'first', 4);
  const store = new PasswordStore({ file });
  assert.equal(await store.verify('piranha', 'first'), true);
  assert.equal(await store.verify('piranha', 'first'), true); // from the cache
  await writePasswordFile(file, 'second', 4);
  assert.equal(await store.verify('piranha', 'first'), false);
  assert.equal(await store.verify('piranha', 'second'), true);
  await rm(file);
  assert.equal(await store.verify('piranha', 'second'), false);
  assert.equal(store.exists(), false);
});

// The store loads the same CommonJS `bcrypt` exports object, so wrapping `compare` here counts
// and times every bcrypt run the store makes, until the test `t` ends.
function spyOnCompare(t: TestContext): { calls: () => number; maxConcurrent: () => number } {
  const original = bcrypt.compare;
  let calls = 0;
  let running = 0;
  let max = 0;
  bcrypt.compare = async (a: string, b: string) => {
    calls++;
    running++;
    max = Math.max(max, running);
    try {
      return await original.call(bcrypt, a, b);
    } finally {
      running--;
    }
  };
  t.after(() => void (bcrypt.compare = original));
  return { calls: () => calls, maxConcurrent: () => max };
}

test('bcrypt runs once per credential, concurrent first requests share it, a new file resets it', async (t) => {
  const { root } = await tempRootFor(t, 'piranha-pw-');
  const spy = spyOnCompare(t);
  const file = join(root, 'conf', 'piranha.passwd');
  await writePasswordFile(file, 'cached', 4);
  const store = new PasswordStore({ file });
  const results = await Promise.all(Array.from({ length: 10 }, () => store.verify('piranha', 'cached')));
  assert.deepEqual(results, Array(10).fill(true));
  assert.equal(spy.calls(), 1);
  for (let i = 0; i < 20; i++) assert.equal(await store.verify('piranha', 'cached'), true);
  assert.equal(spy.calls(), 1);
  // Wrong credentials are never cached: each one costs a bcrypt run (the throttle limits them).
  assert.equal(await store.verify('piranha', 'wrong'), false);
  assert.equal(await store.verify('piranha', 'wrong'), false);
  assert.equal(await store.verify('root', 'cached'), false);
  assert.equal(spy.calls(), 4);
  // Same password, new hash: the old cache entry must not be used.
  await writePasswordFile(file, 'cached', 4);
  assert.equal(await store.verify('piranha', 'cached'), true);
  assert.equal(spy.calls(), 5);
});

test('at most two bcrypt computations run at once', async (t) => {
  const file = await passwordFileIn(t);
  const spy = spyOnCompare(t);
  await writePasswordFile(file, 'right', 6);
  const store = new PasswordStore({ file });
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.verify('piranha', `wrong ${i}`)));
  assert.deepEqual(results, Array(12).fill(false));
  assert.equal(spy.calls(), 12);
  assert.equal(spy.maxConcurrent(), 2);
  assert.equal(await store.verify('piranha', 'right'), true);
});

test('hashes from htpasswd -B ($2y$) verify; DES, MD5 and other users do not', async (t) => {
  const { root } = await tempRootFor(t, 'piranha-pw-');
  const file = join(root, 'piranha.passwd');
  const h = (await bcrypt.hash('from apache', 4)).replace(/^\$2b\$/, '$2y$');
  await writeFile(file, `admin:${(await bcrypt.hash('admin pw', 4))}\r\npiranha:${h}\r\n`);
  const store = new PasswordStore({ file });
  assert.equal(await store.verify('piranha', 'from apache'), true);
  assert.equal(await store.verify('admin', 'admin pw'), false);

  await writeFile(file, 'piranha:Qx3HsKZPsZtEg\n'); // a 13-character DES crypt() hash
  assert.equal(store.exists(), false);
  assert.match(store.problem() ?? '', /not a bcrypt hash/);
  assert.equal(await store.verify('piranha', 'from apache'), false);

  await writeFile(file, 'admin:$apr1$abcdefgh$0123456789abcdefghijkl\n');
  assert.match(store.problem() ?? '', /has no piranha entry/);
});

/** The store's view of `file` from a process without root's privileges, as the console's own user sees it. */
async function storeSeenUnprivileged(file: string, password: string): Promise<{ exists: boolean; problem: string | null; verified: boolean }> {
  const probe = `
    const { PasswordStore } = await import(${JSON.stringify(new URL('./password-file.ts', import.meta.url).href)});
    const store = new PasswordStore({ file: process.argv[1] });
    const exists = store.exists();
    const problem = store.problem();
    process.stdout.write(JSON.stringify({ exists, problem, verified: await store.verify('piranha', process.argv[2]) }));`;
  const argv = unprivileged([process.execPath, '--import', 'tsx', '--input-type=module', '-e', probe, file, password]);
  const { stdout } = await promisify(execFile)(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return JSON.parse(stdout);
}

test('an unreadable file is reported, not crashed on', async (t) => {
  const { root } = await tempRootFor(t, 'piranha-pw-');
  const file = join(root, 'piranha.passwd');
  await writePasswordFile(file, 'secret', 4);
  await chmod(file, 0o000);
  // Root reads a mode-000 file anyway: the store is asked from a process without its privileges.
  const seen = await storeSeenUnprivileged(file, 'secret');
  assert.equal(seen.exists, false);
  assert.match(seen.problem ?? '', /cannot read .*EACCES/);
  assert.equal(seen.verified, false);
});

test('ensurePassword generates a password once and stores only its hash', async (t) => {
  const { root } = await tempRootFor(t, 'piranha-pw-');
  const file = join(root, 'var', 'ha', 'conf', 'piranha.passwd');
  const first = await ensurePassword(file);
  assert.ok(first);
  assert.match(first.generated, /^[A-Za-z0-9_-]{24}$/);
  const text = await readFile(file, 'utf8');
  assert.ok(!text.includes(first.generated), 'the password itself is not stored');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(await new PasswordStore({ file }).verify('piranha', first.generated), true);
  assert.equal(await ensurePassword(file), null);
  assert.equal(await readFile(file, 'utf8'), text, 'an existing file is never replaced');
});

test('run as root, the new file keeps the owner of the file it replaces so the console can read it', { skip: missingRoot('chown to another user') ?? false }, async (t) => {
  const { root } = await tempRootFor(t, 'piranha-pw-');
  const conf = join(root, 'conf');
  await mkdir(conf, { mode: 0o700 });
  await chown(conf, 60, 60); // the original package's piranha uid/gid
  const file = join(conf, 'piranha.passwd');
  await writePasswordFile(file, 'first', 4);
  assert.deepEqual([(await stat(file)).uid, (await stat(file)).gid], [60, 60]);
  await chown(file, 61, 62);
  await writePasswordFile(file, 'second', 4);
  const st = await stat(file);
  assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [61, 62, 0o600]);
});
