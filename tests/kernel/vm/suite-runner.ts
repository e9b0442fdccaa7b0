// Runs the kernel suite inside the guest: every file of tests/kernel/suite/ (whose name contains
// PIRANHA_KERNEL_ONLY, when set; several texts separated by commas), one after the other in this one process, each file's hooks and
// tests inside a describe named after it. One process rather than one per file: under emulation
// loading the TypeScript loader and the libraries costs half a minute each time.
import { describe } from 'node:test';
import { readdirSync } from 'node:fs';

/**
 * No file may hold the guest for ever: the longest takes a few minutes under emulation. The
 * failover bench asks for 20 trials of each measurement (PIRANHA_KERNEL_TRIALS), and a crash trial,
 * with the reboot of the crashed router, takes one to two minutes under load: four minutes a trial.
 */
const FILE_TIMEOUT_MS = Math.max(20, 4 * Number(process.env.PIRANHA_KERNEL_TRIALS || 0)) * 60_000;

const dir = new URL('../suite/', import.meta.url);
const only = process.env.PIRANHA_KERNEL_ONLY ?? '';
const wanted = only.split(',');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && wanted.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) throw new Error(`no suite file in tests/kernel/suite/ matches "${only}"`);
for (const f of files) {
  describe(`tests/kernel/suite/${f}`, { timeout: FILE_TIMEOUT_MS }, async () => {
    await import(new URL(f, dir).href);
  });
}
