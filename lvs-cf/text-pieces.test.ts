// TextPieces: a text after edits, read in parts without joining it. Given a text and hunks, the
// pieces read as the text with the hunks applied would, part by part and whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TextPieces } from './text-pieces.ts';
import { applyPatch } from './patch.ts';
import type { PatchHunk } from './api-types.ts';

function lines(s: string): number {
  return s.split('\n').length - 1;
}

/** Sorted, non-overlapping hunks over a text of `length` characters. */
const hunksArb = (length: number) =>
  fc.array(fc.tuple(fc.nat(length), fc.nat(length), fc.string({ unit: fc.constantFrom('a', 'b', '\n', 'é') })), { maxLength: 4 }).map((raw) => {
    const cuts = raw.map(([a, b, ins]) => ({ start: Math.min(a, b), end: Math.max(a, b), inserted: ins })).sort((x, y) => x.start - y.start);
    const out: PatchHunk[] = [];
    let at = 0;
    for (const c of cuts) {
      if (c.start < at) continue;
      out.push({ start: c.start, end: c.end, line: 1, removed: '', inserted: c.inserted });
      at = c.end;
    }
    return out;
  });

test('edited pieces read, slice and count lines as the edited text does, without being joined', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('x', 'y', '\n'), minLength: 0, maxLength: 60 }).chain((t) => fc.tuple(fc.constant(t), fc.array(fc.constant(null), { minLength: 1, maxLength: 5 }))), fc.infiniteStream(fc.integer()), ([start], seeds) => {
      let text = start;
      let pieces = TextPieces.of(start);
      const it = seeds[Symbol.iterator]();
      for (let step = 0; step < 5; step++) {
        const hunks = fc.sample(hunksArb(text.length), { numRuns: 1, seed: it.next().value as number })[0]!;
        text = applyPatch(text, hunks);
        pieces = pieces.spliced(hunks);
        assert.equal(pieces.length, text.length);
        const a = Math.abs(it.next().value as number) % (text.length + 1);
        const b = Math.abs(it.next().value as number) % (text.length + 1);
        const [from, to] = [Math.min(a, b), Math.max(a, b)];
        assert.equal(pieces.slice(from, to), text.slice(from, to));
        assert.equal(pieces.countLines(from, to), lines(text.slice(from, to)));
      }
      assert.equal(pieces.toString(), text);
      // Joined once: reading it again gives the same text, and further edits go on from it.
      assert.equal(pieces.spliced([{ start: 0, end: 0, line: 1, removed: '', inserted: 'z' }]).toString(), 'z' + text);
    }),
    { numRuns: 300 },
  );
});

test('many edits: the pieces are joined past their limit and still read the same', () => {
  let text = 'a\n'.repeat(1000);
  let pieces = TextPieces.of(text);
  for (let i = 0; i < 600; i++) {
    const at = (i * 37) % text.length;
    const hunks: PatchHunk[] = [{ start: at, end: at + 1, line: 1, removed: text[at]!, inserted: String(i % 10) }];
    text = applyPatch(text, hunks);
    pieces = pieces.spliced(hunks);
    assert.equal(pieces.slice(at, at + 5), text.slice(at, at + 5));
  }
  assert.equal(pieces.toString(), text);
});
