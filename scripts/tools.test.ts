// The tool list and what ensure-tools does with it: which programs each suite needs, and the plan
// for a machine that lacks some (install as root with apt-get, or say the one line to run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SUITES, TOOLS, installPlan, missingTools, packagesOf, tool } from './tools.js';

test('every tool names a Debian package and at least one known suite', () => {
  for (const t of TOOLS) {
    assert.match(t.package, /^[a-z0-9][a-z0-9+.-]+$/, t.command);
    assert.ok(t.suites.length > 0 && t.suites.every((s) => SUITES.includes(s)), t.command);
  }
  assert.equal(new Set(TOOLS.map((t) => t.command)).size, TOOLS.length, 'each program once');
});

test('a suite needs its own programs only', () => {
  const none = () => null;
  const build = missingTools(['build'], none).map((t) => t.command);
  assert.deepEqual(build, ['make', 'cc', 'g++', 'python3']);
  const test = missingTools(['test'], none).map((t) => t.command);
  for (const c of ['chromium', 'nft', 'ipvsadm', 'arping', 'ip', 'setpriv']) assert.ok(test.includes(c), c);
  assert.ok(!test.includes('wrk') && !test.includes('make'));
  assert.deepEqual(missingTools(['test', 'bench'], () => '/usr/bin/x'), []);
});

test('the plan: nothing, apt-get as root (update first when the lists are empty), or the one line to run', () => {
  const missing = [tool('nft'), tool('setpriv'), tool('prlimit')];
  assert.deepEqual(packagesOf(missing), ['nftables', 'util-linux']);
  assert.deepEqual(installPlan({ missing: [], root: false, aptGet: false, aptListsEmpty: true }), { action: 'none' });
  assert.deepEqual(installPlan({ missing, root: true, aptGet: true, aptListsEmpty: true }), { action: 'install', update: true, packages: ['nftables', 'util-linux'] });
  assert.deepEqual(installPlan({ missing, root: true, aptGet: true, aptListsEmpty: false }), { action: 'install', update: false, packages: ['nftables', 'util-linux'] });
  const line = { action: 'tell', line: 'apt-get update && apt-get install -y nftables util-linux' };
  assert.deepEqual(installPlan({ missing, root: false, aptGet: true, aptListsEmpty: false }), line);
  assert.deepEqual(installPlan({ missing, root: true, aptGet: false, aptListsEmpty: false }), line);
});

test('a program that is not on the list is refused by name', () => {
  assert.throws(() => tool('telnet'), /telnet is not in scripts\/tools\.js/);
});
