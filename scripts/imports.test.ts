// The import rules between the top-level folders, as their READMEs and docs/architecture.md state
// them, read from the source: common/ imports nothing of ours, lvs-cf/ only common/, the agent and
// the console never each other's insides (the console's one door into agent/, its protocol and
// client, is checked by agent/protocol/protocol.test.ts), and no program imports what only tests,
// benchmarks and scripts are made of.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../testing/paths.ts';

/** The project's code, program by program: what each top-level folder's production modules may import. */
const MAY_IMPORT: Record<string, string[]> = {
  common: ['common'],
  'lvs-cf': ['lvs-cf', 'common'],
  agent: ['agent', 'lvs-cf', 'common'],
  server: ['server', 'agent', 'lvs-cf', 'common'],
  bin: ['agent', 'lvs-cf', 'server'],
  scripts: ['scripts'],
};

/** Folders only tests, benchmarks and their helpers import; who may. */
const IMPORTED_ONLY_BY: Record<string, (file: string) => boolean> = {
  testing: (f) => isTest(f) || /^(testing|tests|e2e|bench)\//.test(f),
  // The kernel benches boot the kernel suite's guest and build its labs with the suite's helpers
  // (bench/kernel-failover/ reads the figures the suite's failover files report).
  tests: (f) => f.startsWith('tests/') || f.startsWith('bench/kernel/') || f.startsWith('bench/kernel-failover/'),
  e2e: (f) => f.startsWith('e2e/'),
  bench: (f) => f.startsWith('bench/'),
};

const isTest = (file: string) => /\.test\.ts$/.test(file);

function sourceFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(relative(REPO_ROOT, path));
  }
  return out;
}

/** The project files a source file imports (static imports, re-exports, dynamic imports of a literal). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const specs = [
    ...[...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]/gms)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
  ];
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(REPO_ROOT, resolve(dirname(join(REPO_ROOT, file)), s)));
}

const ALL = ['common', 'lvs-cf', 'agent', 'server', 'bin', 'scripts', 'testing', 'tests', 'e2e', 'bench'].flatMap((d) => sourceFiles(join(REPO_ROOT, d)));
const top = (path: string) => path.split('/')[0]!;

test('the source files are found', () => {
  for (const folder of Object.keys(MAY_IMPORT)) assert.ok(ALL.some((f) => top(f) === folder), `no source file found in ${folder}/`);
});

test("each program's modules import only the folders it may", () => {
  const wrong: string[] = [];
  for (const file of ALL.filter((f) => top(f) in MAY_IMPORT && !isTest(f))) {
    for (const target of importsOf(file)) if (!MAY_IMPORT[top(file)]!.includes(top(target))) wrong.push(`${file} imports ${target}`);
  }
  assert.deepEqual(wrong, [], 'allowed: ' + JSON.stringify(MAY_IMPORT));
});

test('what tests, benchmarks and their helpers are made of is imported by nothing else', () => {
  const wrong: string[] = [];
  for (const file of ALL) {
    for (const target of importsOf(file)) {
      const onlyBy = IMPORTED_ONLY_BY[top(target)];
      if (onlyBy && !onlyBy(file)) wrong.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});
