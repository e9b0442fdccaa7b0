// What an edit writes is stricter than what a file may hold: a typed value must be read by the
// daemons the way it is shown, an edit may add no problem that is an error for what is written, and
// a file with errors (one of the documented exceptions) takes only edits that fix one of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edit, parse, type Target } from './index.ts';

const lines = (...ls: string[]) => ls.map((l) => `${l}\n`).join('');
const G: Target = { scope: 'global' };
const V0: Target = { scope: 'virtual', virtual: 0 };
const V1: Target = { scope: 'virtual', virtual: 1 };

const FILE = lines('serial_no = 1', 'network = direct', 'virtual café {', '     active = "1"', '     address = 10.0.0.10 eth0:1', '     port = "80"', '     timeout = 6', '}');

test('a file the daemons run, with warnings, takes an unrelated edit and keeps every other byte', () => {
  assert.ok(parse(FILE).ok);
  const r = edit(FILE, [{ op: 'set', target: G, key: 'serial_no', value: 2 }]);
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  assert.equal(r.text, FILE.replace('serial_no = 1', 'serial_no = 2'));
  // The value of a quoted line is replaced, its meaning unchanged where the edit keeps it.
  const p = edit(FILE, [{ op: 'set', target: V0, key: 'port', value: 81 }]);
  assert.ok(p.ok);
  assert.equal(p.text, FILE.replace('port = "80"', 'port = 81'));
});

test('typed values the daemons would read otherwise are refused before anything is written', () => {
  const cases: [string, string | number | boolean][] = [
    ['port', '"80"'], ['port', "'80'"], ['active', '"1"'], ['timeout', '" 6"'], ['port', 4294967376], ['timeout', '2147483648'], ['timeout', '010x'],
  ];
  for (const [key, value] of cases) {
    const r = edit(FILE, [{ op: 'set', target: V0, key, value }]);
    assert.equal(r.ok, false, `${key} = ${value}`);
    assert.equal(r.diagnostics[0]!.code, 'EDIT', `${key} = ${value}`);
  }
  // A name typed into the console is plain ASCII; the file's own non-ASCII name stays as it is.
  assert.equal(edit(FILE, [{ op: 'renameVirtual', virtual: 0, name: 'crème' }]).ok, false);
  assert.ok(edit(FILE, [{ op: 'renameVirtual', virtual: 0, name: 'creme' }]).ok);
});

test('an edit that adds a problem the daemons tolerate but the console never writes is refused, as an error', () => {
  const r = edit(FILE, [{ op: 'set', target: V0, key: 'port', value: 0 }]);
  assert.equal(r.ok, false);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity]), [['V-PORT', 'error']]);
  // The same warning already in the file does not block an edit elsewhere.
  const zeroPort = FILE.replace('port = "80"', 'port = 0');
  assert.equal(parse(zeroPort).ok, true);
  assert.ok(edit(zeroPort, [{ op: 'set', target: G, key: 'serial_no', value: 2 }]).ok);
});

test('a file with exception errors takes only edits that fix one of them', () => {
  const two = lines('serial_no = 1', 'network = direct', 'virtual a {', '     timeout = 0', '}', 'virtual b {', '     timeout = 0', '}');
  assert.equal(parse(two).ok, false);
  const unrelated = edit(two, [{ op: 'set', target: G, key: 'serial_no', value: 2 }]);
  assert.equal(unrelated.ok, false);
  assert.ok(unrelated.diagnostics.every((d) => d.code === 'V-TIMEOUT'));
  // Fixing one of the two is taken, though the other remains; then the other.
  const one = edit(two, [{ op: 'set', target: V0, key: 'timeout', value: 6 }]);
  assert.ok(one.ok, JSON.stringify(one.diagnostics));
  const both = edit(one.text, [{ op: 'set', target: V1, key: 'timeout', value: 6 }]);
  assert.ok(both.ok);
  assert.equal(parse(both.text).ok, true);
  // Fixing one while adding another problem is refused.
  const swap = edit(two, [{ op: 'set', target: V0, key: 'timeout', value: 6 }, { op: 'set', target: V0, key: 'port', value: 0 }]);
  assert.equal(swap.ok, false);
});

test('useLfLineEndings fixes CRLF and a stray CR, and nothing else changes', () => {
  const crlf = FILE.replace(/\n/g, '\r\n');
  assert.equal(parse(crlf).diagnostics[0]!.code, 'CRLF');
  assert.equal(edit(crlf, [{ op: 'set', target: G, key: 'serial_no', value: 2 }]).ok, false, 'an edit that keeps the CRLF error is refused');
  const r = edit(crlf, [{ op: 'useLfLineEndings' }]);
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  assert.equal(r.text, FILE);
  const stray = FILE.replace('network = direct\n', 'network = direct\r');
  assert.equal(parse(stray).diagnostics[0]!.code, 'MIXEDEOL');
  const s = edit(stray, [{ op: 'useLfLineEndings' }]);
  assert.ok(s.ok);
  assert.equal(s.text, FILE);
});
