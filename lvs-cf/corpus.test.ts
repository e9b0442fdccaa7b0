// Every real-world file in the corpus (lvs-cf/testdata/corpus): those the original C parser
// accepts round-trip byte for byte and pass `check`; those it rejects fail at the line it reports
// (SOURCES.md records both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseDocument, serialize } from './index.ts';
import { CORPUS_DIR } from '../testing/paths.ts';

interface Expectation {
  accepted: boolean;
  line?: number;
  rc?: number;
  count?: number;
}

/** Reads the "C parser" column of SOURCES.md: "OK n" or "ERROR rc=N line L". */
function expectations(): Map<string, Expectation> {
  const md = readFileSync(join(CORPUS_DIR, 'SOURCES.md'), 'utf8');
  const map = new Map<string, Expectation>();
  for (const row of md.split('\n')) {
    const file = /^\| `([^`]+\.cf)`/.exec(row)?.[1];
    if (!file) continue;
    const cells = row.split('|').map((c) => c.trim());
    const verdict = cells[4]!;
    const err = /ERROR rc=(\d+) line (\d+)/.exec(verdict);
    const ok = /^OK (\d+)/.exec(verdict);
    if (err) map.set(file, { accepted: false, rc: Number(err[1]), line: Number(err[2]) });
    else if (ok) map.set(file, { accepted: true, count: Number(ok[1]) });
  }
  return map;
}

const RC_CODES: Record<number, string> = { 5: 'EXTRAARGS', 12: 'BADCOMMAND' };

const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.cf')).sort();
const expect = expectations();

test('the corpus and SOURCES.md describe the same files', () => {
  assert.ok(files.length >= 15, `expected the corpus at ${CORPUS_DIR}`);
  for (const f of files) assert.ok(expect.has(f), `${f} has no verdict in SOURCES.md`);
});

for (const file of files) {
  test(`corpus ${file}`, () => {
    const text = readFileSync(join(CORPUS_DIR, file), 'utf8');
    const e = expect.get(file)!;
    // Lossless whatever the verdict: every byte belongs to the tree.
    assert.equal(serialize(parseDocument(text)), text);
    const r = parse(text);
    if (e.accepted) {
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors, [], `${file} should pass check`);
      assert.ok(r.model);
      assert.equal(r.model.virtuals.length + r.model.failovers.length, e.count);
    } else {
      assert.equal(r.ok, false);
      const first = r.diagnostics.find((d) => d.severity === 'error')!;
      assert.equal(first.line, e.line, `${file}: first error at the daemons' line`);
      if (RC_CODES[e.rc!]) assert.equal(first.code, RC_CODES[e.rc!]);
    }
  });
}
