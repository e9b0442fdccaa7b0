// Redundancy's problem list: logged as they happen, the last PROBLEMS_KEEP kept, oldest first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProblemLog, PROBLEMS_KEEP } from './problem-log.ts';

test('every problem is logged; the list keeps the last PROBLEMS_KEEP, oldest first, with their time', () => {
  const logged: string[] = [];
  const problems = new ProblemLog((m) => logged.push(m));
  for (let i = 1; i <= PROBLEMS_KEEP + 3; i++) problems.add(`problem ${i}`);
  assert.equal(logged.length, PROBLEMS_KEEP + 3);
  const list = problems.list();
  assert.equal(list.length, PROBLEMS_KEEP);
  assert.equal(list[0]!.message, 'problem 4');
  assert.equal(list.at(-1)!.message, `problem ${PROBLEMS_KEEP + 3}`);
  assert.ok(list.every((p) => !Number.isNaN(Date.parse(p.time))));
  // A copy: what a caller does with it does not change the log.
  list.length = 0;
  assert.equal(problems.list().length, PROBLEMS_KEEP);
});
