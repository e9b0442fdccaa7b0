#!/usr/bin/env node
// Runs every test file through node's own test runner with tsx as the TypeScript loader.
// Node 20's `--test` does not expand globs, so the files are listed here. The network-namespace
// failover tests measure failover against wall-clock deadlines, so they run last and alone.
import { readdirSync, statSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const roots = ['common', 'lvs-cf', 'server', 'agent', 'bin', 'tests', 'e2e'];
const onlyUnit = process.argv.includes('--only-unit');

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

const all = roots.flatMap((r) => walk(r, [])).sort();
const isNetns = (f) => f.startsWith(join('tests', 'netns'));
const phases = [
  { name: 'main', files: all.filter((f) => !isNetns(f) && !(onlyUnit && f.startsWith('e2e'))), concurrency: 2 },
  { name: 'netns', files: onlyUnit ? [] : all.filter(isNetns), concurrency: 1 },
].filter((p) => p.files.length);

if (!phases.length) {
  console.error('no test files found');
  process.exit(1);
}
mkdirSync('.tmp', { recursive: true });

function run(phase) {
  const tap = `.tmp/test-results-${phase.name}.tap`;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        // No test may hang CI: the longest (20 failovers in namespaces) takes under 3 minutes.
        '--import', 'tsx', '--test', `--test-concurrency=${phase.concurrency}`, '--test-timeout=600000',
        '--test-reporter=spec', '--test-reporter-destination=stdout',
        '--test-reporter=tap', `--test-reporter-destination=${tap}`,
        ...phase.files,
      ],
      { stdio: 'inherit' },
    );
    child.on('exit', (code, signal) => {
      let text = '';
      try {
        text = readFileSync(tap, 'utf8');
      } catch {
        /* counted as a failure below */
      }
      const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      resolve({
        ok: code === 0 && !signal && text !== '',
        pass: count('pass'),
        fail: count('fail') + count('cancelled') + (text === '' ? 1 : 0),
        skipped: count('skipped'),
      });
    });
  });
}

let ok = true;
const total = { pass: 0, fail: 0, skipped: 0 };
for (const phase of phases) {
  const r = await run(phase);
  ok &&= r.ok;
  total.pass += r.pass;
  total.fail += r.fail;
  total.skipped += r.skipped;
}
// One plain closing line that any CI reads.
console.log(`${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(ok ? 0 : 1);
