// Compiles the suite's small C programs (tests/kernel/tools/*.c: the real servers' name-server,
// the client's tcp-client and probe-client, and the header the clients share) on the host, where
// the compiler is fast, into the cache. The guest runs them from there through the read-only host
// root. Rebuilt only when a source changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ImageError } from './image.ts';

const SOURCES = new URL('../tools/', import.meta.url).pathname;

export function buildTools(cache: string, log: (m: string) => void = () => {}): string {
  const files = readdirSync(SOURCES).filter((f) => /\.[ch]$/.test(f)).sort();
  const sources = files.filter((f) => f.endsWith('.c'));
  // The headers the programs share count too: a change there rebuilds them all.
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(readFileSync(join(SOURCES, f)));
  const out = join(cache, `tools-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(out)) return out;

  log(`compiling ${sources.join(', ')}`);
  mkdirSync(cache, { recursive: true });
  const stage = mkdtempSync(join(cache, 'tools-build-'));
  try {
    for (const f of sources) {
      const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', join(stage, f.replace(/\.c$/, '')), join(SOURCES, f)], { encoding: 'utf8' });
      if (r.error) throw new ImageError(`cc: ${r.error.message} (apt-get install gcc)`);
      if (r.status !== 0) throw new ImageError(`cc ${f} failed:\n${r.stderr}`);
    }
    renameSync(stage, out);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  for (const d of readdirSync(cache)) if (/^tools-[0-9a-f]{16}$/.test(d) && join(cache, d) !== out) rmSync(join(cache, d), { recursive: true, force: true });
  return out;
}
