#!/usr/bin/env node
// Runs every test file through node's own test runner with tsx as the TypeScript loader.
// Node 20's `--test` does not expand globs, so the files are listed here.
import { readdirSync, statSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const roots = ['lvs-cf', 'server', 'agent', 'bin', 'tests', 'e2e'];
const onlyUnit = process.argv.includes('--only-unit');

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(test|spec)\.ts$/.test(name)) out.push(p);
  }
  return out;
}

const files = roots.flatMap((r) => walk(r, [])).filter((f) => !(onlyUnit && f.startsWith('e2e'))).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
mkdirSync('.tmp', { recursive: true });
const tap = '.tmp/test-results.tap';
const child = spawn(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=2',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => {
  // One plain closing line that any CI reads: "N passed, N failed, N skipped".
  try {
    const text = readFileSync(tap, 'utf8');
    const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    console.log(`${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped')} skipped`);
  } catch {
    console.log('test results missing');
  }
  process.exit(code ?? (signal ? 1 : 0));
});
