import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, frame } from './framing.ts';

const lines = (evs: ReturnType<LineSplitter['push']>) => evs.map((e) => (e.kind === 'line' ? e.line : `<too large ${e.bytes}>`));

test('splits lines across and within chunks, strips CR', () => {
  const s = new LineSplitter(100);
  assert.deepEqual(lines(s.push(Buffer.from('{"a":1}\n{"b"'))), ['{"a":1}']);
  assert.deepEqual(lines(s.push(Buffer.from(':2}\r\n\nx'))), ['{"b":2}', '']);
  assert.equal(s.buffered, 1);
  assert.deepEqual(lines(s.push(Buffer.from('\n'))), ['x']);
});

test('a multi-byte character split between chunks survives', () => {
  const s = new LineSplitter(100);
  const bytes = Buffer.from('"é€"\n');
  assert.deepEqual(lines(s.push(bytes.subarray(0, 2))), []);
  assert.deepEqual(lines(s.push(bytes.subarray(2))), ['"é€"']);
});

test('an over-long line is reported once, as soon as it crosses the limit, and never buffered', () => {
  const s = new LineSplitter(10);
  const out: string[] = [];
  for (let i = 0; i < 1000; i++) {
    out.push(...lines(s.push(Buffer.alloc(1000, 0x61))));
    assert.ok(s.buffered <= 10);
  }
  assert.deepEqual(out, ['<too large 1000>']);
  // The rest of that line is skipped; the next line is read normally.
  assert.deepEqual(lines(s.push(Buffer.from('aaa\nok\n'))), ['ok']);
});

test('a line of exactly the limit is accepted, one byte more is not', () => {
  const s = new LineSplitter(5);
  assert.deepEqual(lines(s.push(Buffer.from('12345\n123456\n'))), ['12345', '<too large 6>']);
});

test('frame writes one JSON line', () => {
  assert.equal(frame({ id: 1, result: 'a\nb' }), '{"id":1,"result":"a\\nb"}\n');
});
