// Writes a file so that a reader sees either the old bytes or the new ones, never a mix, and a
// crash leaves no half-written file: temp file in the same folder, fsync, rename, fsync the folder.
// The two halves can be run apart (prepareAtomicWrite, then commit): the temp file is written and
// synced while the caller does other work, and the file is replaced only when the caller commits.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The bytes to write: a string (UTF-8), one buffer, or buffers written one after the other. */
export type AtomicData = string | Uint8Array | readonly Uint8Array[];

export interface PreparedWrite {
  /** Renames the synced temp file over the file and syncs the folder. */
  commit(): Promise<void>;
  /** Removes the temp file; the file is left as it was. */
  abort(): Promise<void>;
}

async function writeAll(fh: FileHandle, data: AtomicData): Promise<void> {
  if (typeof data === 'string' || data instanceof Uint8Array) return fh.writeFile(data);
  // writev may write less than asked: go on from where it stopped.
  let bufs = data.filter((b) => b.length > 0);
  while (bufs.length) {
    let { bytesWritten } = await fh.writev(bufs as Uint8Array[]);
    while (bufs.length && bytesWritten >= bufs[0]!.length) {
      bytesWritten -= bufs[0]!.length;
      bufs = bufs.slice(1);
    }
    if (bytesWritten > 0) bufs = [bufs[0]!.subarray(bytesWritten), ...bufs.slice(1)];
  }
}

/** Writes and syncs the temp file of `path`; nothing is replaced until commit(). */
export async function prepareAtomicWrite(path: string, data: AtomicData, mode = 0o644): Promise<PreparedWrite> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await writeAll(fh, data);
    await fh.chmod(mode); // the umask may have narrowed the mode given to open()
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  return {
    async commit() {
      try {
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
      const dh = await open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    },
    abort: () => unlink(tmp).catch(() => {}),
  };
}

export async function writeFileAtomic(path: string, data: AtomicData, mode = 0o644): Promise<void> {
  await (await prepareAtomicWrite(path, data, mode)).commit();
}
