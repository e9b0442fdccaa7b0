// The atomic write every saved file goes through (lvs.cf, the password file, the heartbeat key):
// the new bytes with the mode asked for, the old bytes left whole when the write fails, and no
// temp file left behind either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareAtomicWrite, writeFileAtomic } from './atomic-write.ts';

async function folder(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'piranha-atomic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('replaces a file with the new bytes and the mode asked for, whatever the umask', async (t) => {
  const dir = await folder(t);
  const path = join(dir, 'passwords');
  await writeFile(path, 'old\n', { mode: 0o644 });
  const umask = process.umask(0o077);
  try {
    await writeFileAtomic(path, 'piranha:$2b$12$x\n', 0o640);
  } finally {
    process.umask(umask);
  }
  assert.equal(await readFile(path, 'utf8'), 'piranha:$2b$12$x\n');
  assert.equal((await stat(path)).mode & 0o777, 0o640);
  assert.deepEqual(await readdir(dir), ['passwords']);
});

test('a write that cannot be renamed into place leaves what was there and no temp file', async (t) => {
  const dir = await folder(t);
  // A folder where the file should go: rename(2) of a file onto it fails (EISDIR).
  const path = join(dir, 'lvs.cf');
  await mkdir(path);
  await writeFile(join(path, 'inside'), 'kept');
  await assert.rejects(writeFileAtomic(path, 'serial_no = 2\n'), /EISDIR/);
  assert.deepEqual(await readdir(dir), ['lvs.cf']);
  assert.equal(await readFile(join(path, 'inside'), 'utf8'), 'kept');
});

test('a folder that does not exist is an error, and nothing is created', async (t) => {
  const dir = await folder(t);
  await assert.rejects(writeFileAtomic(join(dir, 'missing', 'lvs.cf'), 'x'), /ENOENT/);
  assert.deepEqual(await readdir(dir), []);
});

test('buffers written one after the other; a prepared write replaces nothing until committed, and abort leaves no temp file', async (t) => {
  const dir = await folder(t);
  const file = join(dir, 'lvs.cf');
  await writeFile(file, 'old\n');
  const parts = [Buffer.from('serial_no = 2\n'), Buffer.alloc(0), Buffer.from('x'.repeat(100_000)), Buffer.from('\n')];
  const prepared = await prepareAtomicWrite(file, parts, 0o644);
  assert.equal(await readFile(file, 'utf8'), 'old\n');
  await prepared.commit();
  assert.equal(await readFile(file, 'utf8'), `serial_no = 2\n${'x'.repeat(100_000)}\n`);
  const dropped = await prepareAtomicWrite(file, [Buffer.from('never\n')]);
  await dropped.abort();
  assert.equal(await readFile(file, 'utf8'), `serial_no = 2\n${'x'.repeat(100_000)}\n`);
  assert.deepEqual(await readdir(dir), ['lvs.cf']);
});
