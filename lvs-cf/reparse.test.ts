// reparse() gives exactly what parse() of the whole new text gives (verdict, model, diagnostics),
// and the layout and block spans a full parse would, over random sequences of the console's saves
// (each with its serial bump) and of raw changes of the text (characters inserted, removed or
// replaced anywhere, lines duplicated or dropped), on small files with comments, warnings and a
// shared firewall mark and on a large generated one. Each step starts from the previous step's
// document, fast or not, as a daemon re-reading the file after every save does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { blockSpans, edit, parse, parseDocument } from './index.ts';
import type { Edit } from './api-types.ts';
import { IncrementalDoc } from './incremental.ts';
import { commonPrefix, commonSuffix, layoutSpans, readDocument, reparse } from './reparse.ts';
import { consoleSaves, generate } from '../testing/generated-lvs-cf.ts';
import { SMALL, editArb, fastPathTally, smallStarts } from '../testing/lvs-cf-edits.ts';

/** One change of a file: a console save, or a raw change of its text. */
type Change = { kind: 'edits'; edits: Edit[] } | { kind: 'raw'; at: number; remove: number; insert: string } | { kind: 'line'; at: number; dup: boolean };

function applied(text: string, c: Change, step: number): string {
  if (c.kind === 'edits') {
    const r = edit(text, [...c.edits, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 100 + step }]);
    return r.ok ? r.text : text;
  }
  if (c.kind === 'raw') {
    const at = Math.floor(c.at * text.length);
    return text.slice(0, at) + c.insert + text.slice(Math.min(text.length, at + c.remove));
  }
  const lines = text.split('\n');
  const i = Math.floor(c.at * (lines.length - 1));
  if (c.dup) lines.splice(i, 0, lines[i]!);
  else lines.splice(i, 1);
  return lines.join('\n');
}

/** The layout and spans a full parse gives, to compare a fast document with. */
function fullDoc(text: string): { doc: IncrementalDoc; spans: ReturnType<typeof blockSpans> } {
  const d = parseDocument(text);
  return { doc: IncrementalDoc.of(text, d.tree, d.result), spans: blockSpans(d.tree, text) };
}

function run(start: string, changes: Change[]): { fast: number; all: number } {
  let text = start;
  let doc = IncrementalDoc.parse(text);
  let fast = 0;
  for (const [i, c] of changes.entries()) {
    const next = applied(text, c, i);
    const r = reparse(doc, next);
    if (r.kind === 'fast') {
      fast++;
      assert.deepEqual(r.doc.result, parse(next), `reparse differs from parse after ${JSON.stringify(c)}`);
      assert.equal(r.doc.text, next);
      const full = fullDoc(next);
      assert.deepEqual(r.doc.cuts, full.doc.cuts, 'the layout');
      assert.deepEqual(layoutSpans(r.doc), full.spans, 'the block spans');
      doc = r.doc;
    } else {
      doc = IncrementalDoc.parse(next);
    }
    text = next;
  }
  return { fast, all: changes.length };
}

const raw = fc.record({ kind: fc.constant('raw' as const), at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), remove: fc.nat(12), insert: fc.constantFrom('', '1', '\n', '#', ' ', '}', '{', 'x', '\n# note\n', 'weight = 3', '\n     server z {\n         address = 10.0.9.9\n     }\n', 'virtual v {\n', '\r') });
const line = fc.record({ kind: fc.constant('line' as const), at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), dup: fc.boolean() });
const saves = (n: number, m: number) => fc.record({ kind: fc.constant('edits' as const), edits: fc.array(editArb(n, m), { minLength: 0, maxLength: 2 }) });

test('small files: reparse and a full parse agree on random saves and raw changes', () => {
  const changes = fc.array(fc.oneof({ weight: 3, arbitrary: saves(3, 3) }, { weight: 2, arbitrary: raw }, { weight: 1, arbitrary: line }), { minLength: 1, maxLength: 12 });
  const { fast, all } = fastPathTally(fc.tuple(smallStarts(), changes), ([start, c]) => run(start, c), 300);
  // The comparison must have happened (many random changes break the file, and go the whole way:
  // about one in ten is reparsed).
  assert.ok(fast > all / 20, `${fast} of ${all} changes were reparsed`);
});

test('a large generated file: reparse and a full parse agree', () => {
  const big = generate(150);
  const changes = fc.array(fc.oneof({ weight: 3, arbitrary: saves(150, 20) }, { weight: 1, arbitrary: raw }), { minLength: 1, maxLength: 4 });
  const { fast, all } = fastPathTally(changes, (c) => run(big, c), 15);
  // As above: the comparison must have happened for a share of the changes (how many of them a
  // random draw breaks varies from run to run; a fixed count failed about one run in ten).
  assert.ok(fast > all / 20, `${fast} of ${all} changes were reparsed`);
});

test('every kind of console save of a generated file is reparsed, reading only what it changed', () => {
  const text = generate(120);
  const doc = IncrementalDoc.parse(text);
  const kinds: Edit[][] = [
    ...consoleSaves(60),
    [{ op: 'setActive', target: { scope: 'virtual', virtual: 0 }, active: false }],
    [{ op: 'set', target: { scope: 'server', virtual: 119, server: 19 }, key: 'weight', value: 2 }],
    [{ op: 'addVirtual', name: 'new', fields: { address: '192.168.9.9 eth0:9' } }],
    [],
  ];
  for (const es of kinds) {
    const full = edit(text, [...es, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 43 }]);
    assert.ok(full.ok);
    const r = reparse(doc, full.text);
    assert.equal(r.kind, 'fast', `${JSON.stringify(es)}: ${r.kind === 'slow' ? r.reason : ''}`);
    assert.deepEqual(r.doc.result, parse(full.text));
    assert.ok(r.parsed < text.length / 20, `${JSON.stringify(es)}: ${r.parsed} characters parsed again`);
  }
});

test('what is parsed whole: a changed global setting, a shared name, a file with errors before or after', () => {
  const text = generate(5);
  const doc = IncrementalDoc.parse(text);
  const setting = edit(text, [{ op: 'set', target: { scope: 'global' }, key: 'deadtime', value: 19 }]);
  assert.ok(setting.ok);
  assert.deepEqual(reparse(doc, setting.text), { kind: 'slow', reason: 'a global setting other than serial_no changed' });
  const rename = edit(text, [{ op: 'renameVirtual', virtual: 1, name: doc.result.model!.virtuals[3]!.name }]);
  assert.equal(rename.ok, false, 'the console refuses a shared name');
  const shared = text.replace(`virtual ${doc.result.model!.virtuals[1]!.name} {`, `virtual ${doc.result.model!.virtuals[3]!.name} {`);
  assert.equal(reparse(doc, shared).kind, 'slow');
  assert.equal(reparse(doc, text.replace('weight = 1', 'weight = x')).kind, 'slow');
  const broken = IncrementalDoc.parse(text.replace('weight = 1', 'weight = x'));
  assert.equal(reparse(broken, text).kind, 'slow');
});

test('common prefix and suffix across the comparison steps', () => {
  const a = 'x'.repeat(40_000) + 'abc' + 'y'.repeat(40_000);
  const b = 'x'.repeat(40_000) + 'aXc' + 'y'.repeat(40_000);
  assert.equal(commonPrefix(a, 0, b, 0, a.length), 40_001);
  assert.equal(commonSuffix(a, b, a.length), 40_001);
  assert.equal(commonPrefix(a, 0, a, 0, a.length), a.length);
  assert.equal(commonSuffix(a, a + 'z', a.length), 0);
  assert.equal(commonPrefix('abc', 1, 'xbc', 1, 2), 2);
});

test('readDocument: parse() of a whole file, with the spans of blockSpans(), cut in pieces or not', () => {
  for (const text of [SMALL, generate(3), generate(250), generate(250).replace('weight = 1', 'weight = x'), SMALL + 'failover f {\n     active = 0\n     address = 192.168.1.9 eth0:9\n}\n']) {
    const r = readDocument(text);
    const full = parseDocument(text);
    assert.deepEqual(r.doc.result, full.result);
    assert.deepEqual(r.blocks, blockSpans(full.tree, text));
    assert.deepEqual(r.doc.cuts, IncrementalDoc.of(text, full.tree, full.result).cuts);
  }
});
