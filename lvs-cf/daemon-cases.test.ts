// Files with the verdict the original daemons give them, recorded as data: piranha 0.8.6's
// lvsconfig.c built with a harness said OK, or ERROR at a line. `testdata/daemon-cases/mutants/` are
// mutations of real files on which an earlier reading of this library disagreed with the daemons
// (one per kind of disagreement, shrunk to the lines that matter; `disagreed` says how);
// `edge-cases.json` are hand-written cases around every rule of docs/lvs-cf.md's "Reading a file".
// The rule they check: what the daemons accept opens (no error, unless it is one of the documented
// exceptions, named in the case), and where they refuse, the first error is at their line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse, parseDocument, serialize, decodeConfigFile, DIAGNOSTIC_CODES, type DiagnosticCode } from './index.ts';

const DIR = new URL('./testdata/daemon-cases/', import.meta.url);

interface Case {
  /** What the daemons said: `OK`, or `ERROR <line> <message> (rc <n>)`. */
  daemons: string;
  /** The documented exception that keeps this file an error although the daemons run it (or stop elsewhere). */
  exception?: DiagnosticCode;
}

function check(name: string, text: string, c: Case): void {
  assert.equal(serialize(parseDocument(text)), text, `${name}: printed back byte for byte`);
  const r = parse(text);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  const shown = JSON.stringify(r.diagnostics.map((d) => `${d.severity}[${d.code}]@${d.line}:${d.column} ${d.message}`), null, 1);
  if (c.exception) {
    assert.equal(DIAGNOSTIC_CODES[c.exception].group, 'exception', `${name}: ${c.exception} is on the list of exceptions`);
    assert.equal(errors[0]?.code, c.exception, `${name}: the exception is the first error\n${shown}`);
    return;
  }
  if (c.daemons === 'OK') {
    assert.deepEqual(errors, [], `${name}: the daemons run this file, so it opens\n${shown}`);
    assert.ok(r.model, name);
    return;
  }
  const line = Number(/^ERROR (\d+) /.exec(c.daemons)?.[1]);
  assert.ok(errors.length > 0, `${name}: the daemons refuse it (${c.daemons}), so does the library\n${shown}`);
  assert.equal(errors[0]!.line, line, `${name}: the first error is at the daemons' line (${c.daemons})\n${shown}`);
}

test('mutants of real files: the daemons\' verdict and line', () => {
  const cases = JSON.parse(readFileSync(new URL('mutants.json', DIR), 'utf8')) as (Case & { file: string; disagreed: string })[];
  assert.ok(cases.length >= 80, `${cases.length} cases`);
  for (const c of cases) {
    // Read as the CLI and the console read a file: bytes, UTF-8 else Latin-1.
    const { text } = decodeConfigFile(readFileSync(new URL(c.file, DIR)));
    check(c.file, text, c);
  }
});

test('edge cases: quotes, numbers, addresses, lists, braces, carriage returns', () => {
  const cases = JSON.parse(readFileSync(new URL('edge-cases.json', DIR), 'utf8')) as (Case & { text: string })[];
  assert.ok(cases.length >= 500, `${cases.length} cases`);
  for (const c of cases) check(JSON.stringify(c.text), c.text, c);
});
