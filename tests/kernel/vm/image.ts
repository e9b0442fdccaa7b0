// Builds the kernel test guest from Debian packages only, and caches it under .cache/kernel/:
// - the generic kernel that `linux-image-amd64` depends on, fetched with `apt-get download`,
//   unpacked with `dpkg -x` and indexed with `depmod -b` (no root needed for any of it);
// - an initramfs holding static busybox, the virtio and 9p modules in load order, and init.sh.
// No root file system image is made: the guest mounts the host's root read-only over 9p.
// Every step spawns a program with an argument array; a missing program names its package.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from '../../../testing/paths.ts';

export const VM_DIR = new URL('.', import.meta.url).pathname;
export const DEFAULT_CACHE = join(REPO_ROOT, '.cache', 'kernel');
const BUSYBOX = '/bin/busybox';
/** What the initramfs must load before it can mount the host root: virtio-pci and 9p over virtio. */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p'];

export interface GuestImage {
  /** e.g. 6.1.0-57-amd64 */
  kernelVersion: string;
  kernel: string;
  initrd: string;
  /** The unpacked package: `modprobe -d` this folder finds every module of the kernel. */
  moduleRoot: string;
}

export class ImageError extends Error {
  override name = 'ImageError';
}

/** Runs a program and returns its stdout; a failure names the command and, when missing, the package. */
function run(file: string, args: string[], opts: { cwd?: string; pkg?: string; input?: Buffer | string } = {}): Buffer {
  const r = spawnSync(file, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ImageError(missing ? `${file} is not installed (apt-get install ${opts.pkg ?? file})` : `${file}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    throw new ImageError(`${[file, ...args].join(' ')} failed (exit ${r.status}): ${r.stderr.toString().trim().slice(-2000)}`);
  }
  return r.stdout;
}

/** The generic kernel package `linux-image-amd64` depends on (the -cloud flavour lacks 9p). */
export function kernelPackage(): string {
  const out = run('apt-cache', ['depends', 'linux-image-amd64'], { pkg: 'apt' }).toString();
  const hit = /Depends:\s*(linux-image-(\d[\w.+~-]*)-amd64)\s*$/m.exec(out);
  if (!hit) {
    throw new ImageError(
      `apt-cache depends linux-image-amd64 names no linux-image-*-amd64 package (is this Debian, and has apt-get update run?):\n${out}`,
    );
  }
  return hit[1]!;
}

/** True when an ELF executable asks for a program interpreter (a dynamic one cannot be PID 1 of an initramfs). */
function isDynamicElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) throw new ImageError(`${path} is not a 64-bit ELF executable`);
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return true;
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Downloads and unpacks the kernel package once; later calls reuse the cache. */
function unpackedKernel(cache: string, pkg: string, log: (m: string) => void): { version: string; root: string } {
  const version = pkg.replace(/^linux-image-/, '');
  const dir = join(cache, version);
  const root = join(dir, 'root');
  if (existsSync(join(root, 'boot', `vmlinuz-${version}`)) && existsSync(join(root, 'lib', 'modules', version, 'modules.dep'))) {
    return { version, root };
  }
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'download-'));
  try {
    log(`downloading ${pkg} with apt-get download`);
    run('apt-get', ['download', pkg], { cwd: work, pkg: 'apt' });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new ImageError(`apt-get download ${pkg} left no .deb in ${work}`);
    const staging = join(work, 'root');
    run('dpkg', ['-x', join(work, deb), staging], { pkg: 'dpkg' });
    run('depmod', ['-b', staging, version], { pkg: 'kmod' });
    rmSync(root, { recursive: true, force: true });
    renameSync(staging, root);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { version, root };
}

/** The initramfs: busybox, init.sh as /init, and the boot modules with their dependencies in load order. */
function initramfs(dir: string, moduleRoot: string, version: string, log: (m: string) => void): string {
  if (!existsSync(BUSYBOX)) throw new ImageError(`${BUSYBOX} is missing (apt-get install busybox-static)`);
  if (isDynamicElf(BUSYBOX)) throw new ImageError(`${BUSYBOX} is dynamically linked (apt-get install busybox-static, which replaces busybox)`);
  const plan = run('modprobe', ['-d', moduleRoot, '-S', version, '--show-depends', '-a', ...BOOT_MODULES], { pkg: 'kmod' }).toString();
  const modules: string[] = [];
  for (const line of plan.split('\n')) {
    const m = /^insmod (\S+\.ko)\s*$/.exec(line.trim());
    if (m && !modules.includes(m[1]!)) modules.push(m[1]!);
  }
  const init = readFileSync(join(VM_DIR, 'init.sh'));
  const hash = createHash('sha256').update(init).update(modules.join('\n')).update(readFileSync(BUSYBOX)).digest('hex').slice(0, 16);
  const out = join(dir, `initrd-${hash}.gz`);
  if (existsSync(out)) return out;

  log(`building the initramfs (${modules.length} modules)`);
  const stage = mkdtempSync(join(dir, 'initramfs-'));
  try {
    for (const d of ['bin', 'modules']) mkdirSync(join(stage, d));
    copyFileSync(BUSYBOX, join(stage, 'bin', 'busybox'));
    writeFileSync(join(stage, 'init'), init, { mode: 0o755 });
    for (const m of modules) copyFileSync(m, join(stage, 'modules', basename(m)));
    writeFileSync(join(stage, 'modules', 'order'), modules.map((m) => basename(m)).join('\n') + '\n');
    const files = ['.', 'bin', 'bin/busybox', 'init', 'modules', 'modules/order', ...modules.map((m) => `modules/${basename(m)}`)];
    const archive = run('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: stage, input: files.join('\n') + '\n', pkg: 'cpio' });
    const tmp = `${out}.tmp`;
    writeFileSync(tmp, gzipSync(archive));
    renameSync(tmp, out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  // Older initramfs builds of this kernel are of no further use.
  for (const f of readdirSync(dir)) if (/^initrd-[0-9a-f]+\.gz$/.test(f) && join(dir, f) !== out) rmSync(join(dir, f));
  return out;
}

/** Builds (or finds in the cache) everything the guest boots from. */
export function buildImage(opts: { cache?: string; log?: (m: string) => void } = {}): GuestImage {
  const cache = opts.cache ?? DEFAULT_CACHE;
  const log = opts.log ?? (() => {});
  mkdirSync(cache, { recursive: true });
  const { version, root } = unpackedKernel(cache, kernelPackage(), log);
  const initrd = initramfs(join(cache, version), root, version, log);
  return { kernelVersion: version, kernel: join(root, 'boot', `vmlinuz-${version}`), initrd, moduleRoot: root };
}
