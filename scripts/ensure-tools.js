#!/usr/bin/env node
// `node scripts/ensure-tools.js SUITE...`: makes sure the programs that these suites need
// (scripts/tools.js) are installed. As root on Debian it installs the missing ones with apt-get;
// otherwise it prints the one apt-get line to run and exits 1. npm runs it before `npm install`
// (suite build), `npm test` (test) and `npm run bench` (bench); .ci/run runs it too.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { SUITES, installPlan, missingTools, findTool } from './tools.js';

const suites = process.argv.slice(2);
const unknown = suites.filter((s) => !SUITES.includes(/** @type {any} */ (s)));
if (suites.length === 0 || unknown.length > 0) {
  process.stderr.write(`usage: ensure-tools SUITE... (suites: ${SUITES.join(', ')})\n`);
  process.exit(2);
}

const missing = missingTools(suites);
const aptListsEmpty = (() => {
  try {
    return !readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages'));
  } catch {
    return true;
  }
})();
const aptGet = findTool({ command: 'apt-get', package: 'apt', suites: [], usedBy: '' }) !== null;
const plan = installPlan({ missing, root: process.getuid?.() === 0, aptGet, aptListsEmpty });

const said = missing.map((t) => `${t.command} (${t.package}: ${t.usedBy})`).join('\n  ');
if (plan.action === 'tell') {
  process.stderr.write(`These programs are missing:\n  ${said}\nInstall them as root, then run the command again:\n  ${plan.line}\n`);
  process.exit(1);
}
if (plan.action === 'install') {
  process.stdout.write(`Installing with apt-get what ${suites.join(' and ')} need${suites.length > 1 ? '' : 's'}:\n  ${said}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (/** @type {string[]} */ args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  const install = () => apt(['install', '-y', '-q', ...plan.packages]);
  // Package lists that are missing or stale (a package moved) are fetched again once.
  let ok = (!plan.update || apt(['update', '-q'])) && install();
  if (!ok && !plan.update) ok = apt(['update', '-q']) && install();
  const still = missingTools(suites);
  if (!ok || still.length > 0) {
    process.stderr.write(`apt-get did not install everything; still missing: ${still.map((t) => t.command).join(', ') || '(none, but apt-get failed)'}\n`);
    process.exit(1);
  }
}
