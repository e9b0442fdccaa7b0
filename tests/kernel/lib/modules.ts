// Kernel modules in the test guest: loaded from the unpacked kernel package with `modprobe -d`
// (the kernel's own on-demand loading cannot find them there, which the refusal test relies on).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { waitFor } from '../../../testing/wait.ts';

function moduleRoot(): string {
  const dir = process.env.PIRANHA_KERNEL_MODROOT;
  if (!dir) throw new Error('PIRANHA_KERNEL_MODROOT is not set: the kernel suite runs inside its guest (npm run test:kernel)');
  return dir;
}

export function moduleLoaded(name: string): boolean {
  return existsSync(`/sys/module/${name}`);
}

export function loadModule(name: string): void {
  const r = spawnSync('modprobe', ['-d', moduleRoot(), name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`modprobe ${name} failed: ${r.stderr.trim()}`);
}

/**
 * Unloads a module. A namespace removed a moment ago may still hold it (the kernel dismantles
 * namespaces in the background), so "in use" is retried for a while.
 */
export async function unloadModule(name: string): Promise<void> {
  await waitFor(
    () => {
      const r = spawnSync('modprobe', ['-d', moduleRoot(), '-r', name], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr.trim());
      return !moduleLoaded(name);
    },
    { timeoutMs: 120_000, intervalMs: 1000, message: `${name} to unload` },
  );
}
