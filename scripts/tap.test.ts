// run-tests' reading of node's TAP output: counts, skips with their reasons, and only the failures
// that are failures (not the suites around them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMissingRequirement, readTap } from './tap.js';

const TAP = `TAP version 13
# Subtest: needs nft
ok 1 - needs nft # SKIP missing tool: nft (apt-get install nftables)
  ---
  duration_ms: 1.3
  ...
# Subtest: suite
    # Subtest: inner \\# 2
    ok 1 - inner \\# 2 # SKIP
      ---
      duration_ms: 0.2
      ...
    # Subtest: breaks
    not ok 2 - breaks
      ---
      duration_ms: 4.2
      failureType: 'testCodeFailure'
      error: 'Expected values to be strictly equal'
      ...
    1..2
not ok 2 - suite
  ---
  duration_ms: 5.0
  type: 'suite'
  failureType: 'subtestsFailed'
  error: '1 subtest failed'
  ...
# Subtest: fine
ok 3 - fine
  ---
  duration_ms: 1.4
  ...
1..3
# tests 4
# suites 1
# pass 1
# fail 1
# cancelled 0
# skipped 2
# todo 0
# duration_ms 804.2
`;

test('counts, skips with reasons, and the failing test without its suite', () => {
  const r = readTap(TAP);
  assert.deepEqual([r.pass, r.fail, r.skipped, r.todo, r.complete], [1, 1, 2, 0, true]);
  assert.deepEqual(r.skips, [
    { name: 'needs nft', reason: 'missing tool: nft (apt-get install nftables)' },
    { name: 'inner # 2', reason: '(no reason given)' },
  ]);
  assert.equal(r.failures.length, 1);
  assert.match(r.failures[0]!, /^ {4}not ok 2 - breaks\n[\s\S]*Expected values to be strictly equal[\s\S]* {6}\.\.\.$/);
});

test('a file that died before its closing counts is not complete', () => {
  const r = readTap(TAP.slice(0, TAP.indexOf('1..3')));
  assert.equal(r.complete, false);
  assert.equal(r.pass, 0);
});

test('only the reasons testing/requirements.ts gives are missing requirements', () => {
  assert.equal(isMissingRequirement('missing tool: chromium (apt-get install chromium)'), true);
  assert.equal(isMissingRequirement('missing privilege: creating network namespaces needs root'), true);
  assert.equal(isMissingRequirement('flaky on this kernel'), false);
});
