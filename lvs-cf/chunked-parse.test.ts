// parseChunked gives parse()'s result (verdict, model, diagnostics) on files cut into pieces of one
// or two virtual servers: generated files, a file with comments and warnings, and random edits of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { edit, parse } from './index.ts';
import { parseChunked } from './chunked-parse.ts';
import { generate } from '../testing/generated-lvs-cf.ts';
import { SMALL, editArb } from '../testing/lvs-cf-edits.ts';

test('pieces of one or two virtual servers give what the whole file gives', () => {
  const g = generate(7);
  // Lines the cutting reads in place: a comment ending in a brace, a brace among blanks and other white space.
  const oddLines = [g.replace(/\n}\n/, '\n}\n# {\n'), g.replace(/\n}\n/, '\n \t}\t \n'), g.replace(/\n}\n/, '\n\u00a0}\u3000\n'), g.replace(/\nvirtual /, '\n#virtual x {\nvirtual ')];
  for (const text of [g, ...oddLines, SMALL, SMALL.replace('fwmark = 5', 'fwmark = 6'), SMALL.replace(/\n/g, '\r\n'), SMALL.replace('timeout = 6', 'timeout = 0')]) {
    for (const chunk of [1, 2]) assert.deepEqual(parseChunked(text, chunk), parse(text));
  }
});

test('random edits: the pieces and the whole file agree', () => {
  fc.assert(
    fc.property(fc.constantFrom(SMALL.replace('fwmark = 5', 'fwmark = 6'), generate(4)), fc.array(editArb(3, 3), { maxLength: 6 }), fc.integer({ min: 1, max: 2 }), (start, edits, chunk) => {
      let text = start;
      for (const e of edits) {
        const r = edit(text, [e]);
        if (r.ok) text = r.text;
      }
      assert.deepEqual(parseChunked(text, chunk), parse(text));
    }),
    { numRuns: 150 },
  );
});
