#!/usr/bin/env node
// `npm run bench [-- NAME...]`: runs the benchmarks under bench/ one after the other (all of them,
// or the named ones), each with its own defaults, and prints how each ended. They are never run
// together: on a 2-core machine they would measure each other.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('../bench/', import.meta.url));
const all = readdirSync(BENCH, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(BENCH, d.name, 'run.ts')))
  .map((d) => d.name)
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`run-bench: no benchmark named ${unknown.join(', ')} (there are: ${all.join(', ')})\n`);
  process.exit(2);
}
const results = [];
for (const name of wanted.length > 0 ? wanted : all) {
  process.stdout.write(`\n== bench/${name}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(BENCH, name, 'run.ts')], { stdio: 'inherit' });
  // The exit status is each script's own (bench/checks exits 1 when a goal is missed); the figures
  // are in its output and README.
  results.push(`bench/${name}: ${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`}`);
}
process.stdout.write(`\n${results.join('\n')}\n`);
