// The layout shared with native/*.c: the built addon agrees with native-contract.ts, and every kind
// of drift between the two sides is named field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAddon } from './native-addon.ts';
import { checkLayout, Counter, EXPECTED_LAYOUT, Outcome, ResultColumn } from './native-contract.ts';

/** The built addon's layout, as a plain object to change. */
function builtLayout(): Record<string, Record<string, Record<string, number> | number>> {
  return structuredClone(nativeAddon().layout) as never;
}

function problems(layout: unknown): string[] {
  const r = checkLayout(layout);
  return r.ok ? [] : r.problems;
}

test('the built addon exports the layout this code expects', () => {
  const r = checkLayout(nativeAddon().layout);
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  assert.deepEqual(r.layout.relay.counters, Counter);
  assert.deepEqual(r.layout.checks.results, ResultColumn);
  assert.deepEqual(r.layout.checks.outcomes, Outcome);
  assert.equal(r.layout.relay.slotFields, EXPECTED_LAYOUT.relay.slotFields);
  assert.ok(r.layout.relay.maxSlots > 0);
});

test('counters in another order are named, each with both values', () => {
  const layout = builtLayout();
  const counters = layout.relay!.counters as Record<string, number>;
  [counters.bytesIn, counters.bytesOut] = [counters.bytesOut!, counters.bytesIn!];
  assert.deepEqual(problems(layout), [
    'layout.relay.counters.bytesIn is 5 in the addon and 4 here',
    'layout.relay.counters.bytesOut is 4 in the addon and 5 here',
  ]);
});

test('a counter or an outcome on one side only is named', () => {
  const layout = builtLayout();
  (layout.relay!.counters as Record<string, number>).drops = 8;
  layout.relay!.slotFields = 9;
  delete (layout.checks!.outcomes as Record<string, number>).mismatch;
  assert.deepEqual(problems(layout), [
    'layout.relay.slotFields is 9 in the addon and 8 here',
    'layout.relay.counters.drops (8) is in the addon only',
    'layout.checks.outcomes.mismatch is missing from the addon (8 here)',
  ]);
});

test('result columns moved are named', () => {
  const layout = builtLayout();
  (layout.checks!.results as Record<string, number>).errno = 3;
  (layout.checks!.results as Record<string, number>).offset = 2;
  assert.deepEqual(problems(layout), [
    'layout.checks.results.errno is 3 in the addon and 2 here',
    'layout.checks.results.offset is 2 in the addon and 3 here',
  ]);
});

test('an addon without a layout, or with a malformed one, predates the contract', () => {
  assert.deepEqual(problems(undefined), ['the addon exports no layout']);
  const layout = builtLayout();
  (layout.checks as Record<string, unknown>).outcomes = 'ok,socket';
  const [only, ...rest] = problems(layout);
  assert.match(only!, /^layout\.checks\.outcomes: /);
  assert.deepEqual(rest, []);
});
