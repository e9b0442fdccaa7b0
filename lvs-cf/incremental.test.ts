// The incremental edit gives exactly what edit() on the whole file gives: verdict, bytes, patch,
// model and diagnostics, over random sequences of the console's edits (fields of real and virtual
// servers, adds and deletes, (de)activation, global settings, invalid values, renames onto an
// existing name) on small files with comments, warnings and shared firewall marks, and on a large
// generated one. Each step's file is also compared with a fresh parse of the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { edit, parse } from './index.ts';
import type { Edit } from './api-types.ts';
import { IncrementalDoc } from './incremental.ts';
import { consoleSaves, generate } from '../testing/generated-lvs-cf.ts';
import { SMALL, editArb, fastPathTally, smallStarts } from '../testing/lvs-cf-edits.ts';

/** Runs `steps` saves (each with the serial bump, as the console saves) both ways and compares. */
function run(start: string, steps: Edit[][]): { fast: number; all: number } {
  let text = start;
  let doc = IncrementalDoc.parse(text);
  let fast = 0;
  for (const [i, es] of steps.entries()) {
    const edits: Edit[] = [...es, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 100 + i }];
    const full = edit(text, edits);
    const inc = doc.edit(edits);
    if (inc.kind === 'fast') {
      fast++;
      // Adopted as the console adopts a saved version: the kept objects' line numbers move now.
      inc.next.settle();
      assert.ok(full.ok, `the fast path accepted what the whole file refuses: ${JSON.stringify(edits)}`);
      // Every other step reads the new text in parts only, so the next edit works on the pieces
      // the edits made of it (text-pieces.ts), not on a text joined back.
      if (i % 2) assert.equal(inc.next.source.slice(0, inc.next.source.length), full.text);
      else assert.equal(inc.result.text, full.text);
      assert.deepEqual(inc.result.patch, full.patch);
      assert.deepEqual(inc.result.model, full.model);
      assert.deepEqual(inc.result.diagnostics, full.diagnostics);
      const fresh = parse(full.text);
      assert.deepEqual(inc.next.result, fresh);
      doc = inc.next;
      text = full.text;
    } else if (full.ok) {
      text = full.text;
      doc = IncrementalDoc.parse(text);
    }
  }
  return { fast, all: steps.length };
}

test('small files: the fast path and the whole file agree on every random edit sequence', () => {
  const steps = fc.array(fc.array(editArb(3, 3), { minLength: 0, maxLength: 2 }), { minLength: 1, maxLength: 12 });
  const { fast, all } = fastPathTally(fc.tuple(smallStarts(), steps), ([start, s]) => run(start, s), 200);
  // The comparison must have happened (many random edits are refused or shared, and go the whole way).
  assert.ok(fast > all / 10, `${fast} of ${all} saves took the fast path`);
});

test('a large generated file: the fast path and the whole file agree', () => {
  const big = generate(150);
  const steps = fc.array(fc.array(editArb(150, 20), { minLength: 1, maxLength: 1 }), { minLength: 1, maxLength: 4 });
  const { fast, all } = fastPathTally(steps, (s) => run(big, s), 10);
  // A share, not a count: how many saves a random draw makes varies from run to run.
  assert.ok(fast > all / 10, `${fast} of ${all} saves took the fast path`);
});

test('every kind of console save of a generated file takes the fast path', () => {
  const text = generate(120);
  const kinds: Edit[][] = [
    ...consoleSaves(60),
    [{ op: 'set', target: { scope: 'global' }, key: 'tcp_timeout', value: 900 }],
    [{ op: 'set', target: { scope: 'global' }, key: 'deadtime', value: 19 }],
    [{ op: 'addVirtual', name: 'new', fields: { address: '192.168.9.9 eth0:9' } }],
    [{ op: 'removeVirtual', virtual: 60 }],
  ];
  for (const es of kinds) {
    const edits: Edit[] = [...es, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 43 }];
    const doc = IncrementalDoc.parse(text);
    const r = doc.edit(edits);
    assert.equal(r.kind, 'fast', `${JSON.stringify(es)}: ${r.kind === 'slow' ? r.reason : ''}`);
    const full = edit(doc.text, edits);
    assert.ok(full.ok);
    assert.equal(r.result.text, full.text);
    assert.deepEqual(r.next.settle().result, parse(full.text));
  }
});

test('a version not adopted leaves the one it was made from as it was; once one is adopted, the old one is not edited again', () => {
  const text = generate(30);
  const doc = IncrementalDoc.parse(text);
  const serial = (n: number): Edit => ({ op: 'set', target: { scope: 'global' }, key: 'serial_no', value: n });
  // A plan: computed, never adopted (a line added before 20 virtual servers).
  const plan = doc.edit([{ op: 'addServer', virtual: 10, name: 'rs20', fields: { address: '10.9.9.9' } }, serial(50)]);
  assert.equal(plan.kind, 'fast');
  assert.deepEqual(doc.result, parse(text));
  // The save made after it from the same version, adopted.
  const saved = doc.edit([{ op: 'removeServer', virtual: 3, server: 2 }, serial(51)]);
  assert.equal(saved.kind, 'fast');
  if (saved.kind !== 'fast') return;
  const full = edit(text, [{ op: 'removeServer', virtual: 3, server: 2 }, serial(51)]);
  assert.ok(full.ok);
  assert.deepEqual(saved.next.settle().result, parse(full.text));
  const again = doc.edit([serial(52)]);
  assert.equal(again.kind, 'slow');
  // The plan made before from that version can no longer be adopted.
  if (plan.kind === 'fast') assert.throws(() => plan.next.settle(), /adopted first/);
});

test('what the fast path does not cut: a file with errors, carriage returns or failover blocks', () => {
  assert.notEqual(IncrementalDoc.parse(SMALL.replace(/\n/g, '\r\n')).uncut, null);
  assert.match(IncrementalDoc.parse(SMALL.replace('timeout = 6', 'timeout = 0')).uncut ?? '', /errors/);
  assert.match(IncrementalDoc.parse(SMALL + 'failover f {\n     active = 0\n     address = 192.168.1.9 eth0:9\n}\n').uncut ?? '', /failover/);
  assert.equal(IncrementalDoc.parse(SMALL).uncut, null);
});
