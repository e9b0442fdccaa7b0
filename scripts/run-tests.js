#!/usr/bin/env node
// Runs the test files through node's own test runner with tsx as the TypeScript loader, each file
// in its own `node --test` so that its TAP output (kept in .tmp/test-results/) says which file every
// result belongs to. Prints one line per file, the failures in full, then a table of every file that
// skipped tests and why, and the closing counts. Under CI=true a test skipped for a missing program
// or missing root privilege fails the run: CI must run every suite.
//
//   node scripts/run-tests.js                 every phase that runs by default
//   node scripts/run-tests.js --only-unit     no browser and no namespace tests
//   node scripts/run-tests.js --phase NAME    one phase
//   node scripts/run-tests.js FILE...         these files
import { readdirSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readTap, isMissingRequirement } from './tap.js';

const ROOTS = ['common', 'lvs-cf', 'server', 'agent', 'bin', 'tests', 'e2e', 'scripts', 'testing'];

/**
 * Phases run one after the other; files within a phase `concurrency` at a time. The namespace
 * failover tests measure failover against wall-clock deadlines, so they run last and alone. A phase
 * with `byDefault: false` runs only when named with --phase. `main` takes every file no other
 * phase claims. The kernel suite boots a QEMU guest that keeps the cores busy for minutes
 * (tests/kernel/README.md): it runs last, alone, with a file time limit that fits the guest's run.
 * @type {{ name: string, concurrency: number, byDefault: boolean, claims?: (file: string) => boolean, timeoutMs?: number }[]}
 */
const PHASES = [
  { name: 'main', concurrency: 2, byDefault: true },
  { name: 'netns', concurrency: 1, byDefault: true, claims: (f) => f.startsWith('tests/netns/') },
  { name: 'kernel', concurrency: 1, byDefault: true, claims: (f) => f.startsWith('tests/kernel/'), timeoutMs: 3_600_000 },
];

function walk(/** @type {string} */ dir, /** @type {string[]} */ out) {
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

const args = process.argv.slice(2);
const onlyUnit = args.includes('--only-unit');
const phaseArg = args.includes('--phase') ? args[args.indexOf('--phase') + 1] : undefined;
const named = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--phase');
if (phaseArg !== undefined && !PHASES.some((p) => p.name === phaseArg)) {
  console.error(`run-tests: no phase ${phaseArg} (phases: ${PHASES.map((p) => p.name).join(', ')})`);
  process.exit(2);
}

const all = named.length > 0 ? named : ROOTS.flatMap((r) => walk(r, [])).sort();
const phaseOf = (/** @type {string} */ f) => PHASES.find((p) => p.claims?.(f)) ?? PHASES[0];
const phases = PHASES.filter((p) => (phaseArg ? p.name === phaseArg : named.length > 0 || p.byDefault))
  .filter((p) => !(onlyUnit && p.name !== 'main'))
  .map((p) => ({ ...p, files: all.filter((f) => phaseOf(f) === p && !(onlyUnit && f.startsWith('e2e'))) }))
  .filter((p) => p.files.length > 0);
if (phases.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const RESULTS = join('.tmp', 'test-results');
mkdirSync(RESULTS, { recursive: true });

/** @typedef {ReturnType<typeof readTap> & { file: string, seconds: number, ok: boolean }} FileResult */

/** @returns {Promise<FileResult>} */
function runFile(/** @type {string} */ file, timeoutMs = 600_000) {
  const started = Date.now();
  return new Promise((resolve) => {
    // No test may hang CI: the longest (20 failovers in namespaces) takes under 3 minutes.
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-timeout=${timeoutMs}`, '--test-reporter=tap', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('close', (code, signal) => {
      writeFileSync(join(RESULTS, `${file.replace(/[/\\]/g, '__')}.tap`), out + (err ? `\n# stderr:\n${err.replace(/^/gm, '# ')}\n` : ''));
      const tap = readTap(out);
      // A file that died before its closing counts is one failure, whatever it printed before.
      const ok = code === 0 && !signal && tap.complete && tap.fail === 0;
      const fail = tap.fail + (ok || tap.fail > 0 ? 0 : 1);
      const result = { ...tap, fail, file, ok, seconds: (Date.now() - started) / 1000 };
      report(result, err, code, signal);
      resolve(result);
    });
  });
}

function report(/** @type {FileResult} */ r, /** @type {string} */ stderr, /** @type {number | null} */ code, /** @type {string | null} */ signal) {
  const counts = [`${r.pass} passed`, r.fail ? `${r.fail} failed` : '', r.skipped ? `${r.skipped} skipped` : ''].filter(Boolean).join(', ');
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.seconds.toFixed(1).padStart(6)} s  ${r.file}  (${counts})`);
  if (r.ok) return;
  for (const f of r.failures) console.log(f.replace(/^/gm, '    '));
  if (!r.complete) console.log(`    the file ended without its closing counts (exit ${signal ?? code})`);
  const tail = stderr.trim().split('\n').slice(-40).join('\n');
  if (tail) console.log(`    stderr:\n${tail.replace(/^/gm, '    | ')}`);
}

async function runPhase(/** @type {{ files: string[], concurrency: number, timeoutMs?: number }} */ phase) {
  /** @type {FileResult[]} */
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(phase.concurrency, phase.files.length) }, async () => {
      while (next < phase.files.length) results.push(await runFile(phase.files[next++], phase.timeoutMs));
    }),
  );
  return results;
}

const started = Date.now();
/** @type {FileResult[]} */
const results = [];
for (const phase of phases) {
  console.log(`\n== ${phase.name}: ${phase.files.length} test file${phase.files.length === 1 ? '' : 's'}, ${phase.concurrency} at a time`);
  results.push(...(await runPhase(phase)));
}

// Skips are loud: every file that skipped tests, and why.
const skipped = results.filter((r) => r.skips.length > 0).sort((a, b) => a.file.localeCompare(b.file));
console.log('');
if (skipped.length === 0) console.log('No test was skipped.');
else {
  console.log('Skipped tests, by suite:');
  console.log('| suite | skipped | why |');
  console.log('|---|---:|---|');
  for (const r of skipped) {
    const reasons = [...new Set(r.skips.map((s) => s.reason))];
    console.log(`| ${r.file} | ${r.skips.length} | ${reasons.join('; ')} |`);
  }
}
const refused = process.env.CI === 'true' ? results.flatMap((r) => r.skips.filter((s) => isMissingRequirement(s.reason)).map((s) => ({ file: r.file, ...s }))) : [];
if (refused.length > 0) {
  console.log(`\nCI=true: ${refused.length} test${refused.length === 1 ? ' was' : 's were'} skipped for a missing program or privilege. CI must install every program in scripts/tools.js (scripts/ensure-tools.js does) and run as root:`);
  for (const s of refused) console.log(`  ${s.file}: ${s.name}: ${s.reason}`);
}

const total = results.reduce((t, r) => ({ pass: t.pass + r.pass, fail: t.fail + r.fail, skipped: t.skipped + r.skipped }), { pass: 0, fail: 0, skipped: 0 });
const seconds = Math.round((Date.now() - started) / 1000);
console.log(`\n${results.length} test files in ${Math.floor(seconds / 60)} min ${seconds % 60} s; TAP output in ${RESULTS}/`);
// One plain closing line that any CI reads.
console.log(`${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(results.every((r) => r.ok) && refused.length === 0 ? 0 : 1);
