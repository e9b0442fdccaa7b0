// The diagnostic codes of codes.ts and the table of docs/lvs-cf.md are the same list, both ways:
// code, group, and the severities when a file is read and when the console writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ALL_CODES, DIAGNOSTIC_CODES, type DiagnosticCode } from './codes.ts';
import { SYNTAX_CODES } from './diagnostics.ts';

interface Row {
  code: string;
  group: string;
  reading: string[];
  writing: string[];
}

function docTable(): Row[] {
  const md = readFileSync(new URL('../docs/lvs-cf.md', import.meta.url), 'utf8');
  const section = md.slice(md.indexOf('\n## Diagnostics\n'));
  const body = section.slice(0, section.indexOf('\n## ', 1));
  const rows: Row[] = [];
  for (const line of body.split('\n')) {
    const m = /^\| `([^`]+)` \| ([a-z]+) \| ([^|]+) \| ([^|]+) \|/.exec(line);
    if (!m) continue;
    const list = (cell: string) => cell.split(',').map((s) => s.trim()).sort();
    rows.push({ code: m[1]!, group: m[2]!, reading: list(m[3]!), writing: list(m[4]!) });
  }
  return rows;
}

test('every code of the library has its row in docs/lvs-cf.md, and every row a code', () => {
  const rows = docTable();
  assert.ok(rows.length >= 40, `the Diagnostics table of docs/lvs-cf.md was not found (${rows.length} rows)`);
  const documented = rows.map((r) => r.code);
  assert.deepEqual([...documented].sort(), [...ALL_CODES].sort(), 'the same codes');
  assert.deepEqual(documented, ALL_CODES, 'in the same order');
  for (const r of rows) {
    const info = DIAGNOSTIC_CODES[r.code as DiagnosticCode];
    assert.deepEqual(
      { group: r.group, reading: r.reading, writing: r.writing },
      { group: info.group, reading: [...info.reading].sort(), writing: [...info.writing].sort() },
      r.code,
    );
  }
});

test('the daemons\' own error kinds are the daemon group, always errors', () => {
  const daemon = ALL_CODES.filter((c) => DIAGNOSTIC_CODES[c].group === 'daemon');
  assert.deepEqual(daemon.sort(), Object.keys(SYNTAX_CODES).sort());
  for (const c of daemon) assert.deepEqual([DIAGNOSTIC_CODES[c].reading, DIAGNOSTIC_CODES[c].writing], [['error'], ['error']], c);
});

test('only the daemons\' refusals and the documented exceptions are errors in a file the library reads', () => {
  const errorsWhenRead = ALL_CODES.filter((c) => (DIAGNOSTIC_CODES[c].reading as readonly string[]).includes('error'));
  const groups = new Set(errorsWhenRead.map((c) => DIAGNOSTIC_CODES[c].group));
  assert.deepEqual([...groups].sort(), ['daemon', 'edit', 'exception', 'semantic']);
  // The one semantic error while reading is a model handed in from outside that is not a model.
  assert.deepEqual(errorsWhenRead.filter((c) => DIAGNOSTIC_CODES[c].group === 'semantic'), ['V-SHAPE']);
});
