// What the model holds for files the daemons run in surprising ways, and the warning that says so:
// quotes stripped from every word, numbers read as strtol into a 32-bit int, inet_aton, names of any
// bytes, the unchecked quoting of a virtual block. (Verdicts alone are in daemon-cases.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Diagnostic, type LvsConfig } from './index.ts';

const file = (...lines: string[]) => lines.map((l) => `${l}\n`).join('');
const inVirtual = (...lines: string[]) => file('network = direct', 'virtual web {', '     active = 0', ...lines, '}');

function read(text: string): { model: LvsConfig; warnings: Diagnostic[] } {
  const r = parse(text);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], `no errors expected in:\n${text}`);
  assert.ok(r.model);
  return { model: r.model, warnings: r.diagnostics };
}

function warned(ds: Diagnostic[], code: string, line: number): Diagnostic {
  const d = ds.find((x) => x.code === code && x.line === line);
  assert.ok(d, `expected ${code} at line ${line}, got ${JSON.stringify(ds)}`);
  assert.equal(d.severity, 'warning');
  return d;
}

test('quotes around any word mean what the word means unquoted', () => {
  const { model, warnings } = read(file('primary = "10.0.0.1"', 'backup = "10.1.2.105"', 'network = "direct"', 'virtual web "{"', '     active = "1"', "     port = '80'", '     address = 10.0.0.10 "eth0:1"', '     server r1 "{"', '         address = "10.0.1.1"', '         weight = "3"', "     '}'", '"}"'));
  assert.equal(model.primary, '10.0.0.1');
  assert.equal(model.backup, '10.1.2.105');
  const vs = model.virtuals[0]!;
  assert.deepEqual([vs.name, vs.active, vs.port, vs.device], ['web', true, 80, 'eth0:1']);
  assert.deepEqual([vs.servers[0]!.address, vs.servers[0]!.weight], ['10.0.1.1', 3]);
  assert.deepEqual(warnings.filter((d) => d.severity === 'warning' && d.code !== 'V-NATROUTER'), []);
});

test('send and expect keep what the daemons send: double quotes off, single quotes on (with a warning)', () => {
  const { model, warnings } = read(inVirtual('     send = "GET /"', "     expect = 'OK'"));
  assert.equal(model.virtuals[0]!.send, 'GET /');
  assert.equal(model.virtuals[0]!.expect, "'OK'");
  warned(warnings, 'SINGLEQUOTE', 5);
  // active_cmd is stored without its quotes, whichever they are.
  assert.equal(read(file("active_cmd = '/bin/up'")).model.active_cmd, '/bin/up');
});

test('numbers are strtol into a 32-bit int, with a warning where that is not the number written', () => {
  const rows: [string, string, number, string | null][] = [
    ['serial_no', '4294967296', 0, 'NUMWRAP'],
    ['serial_no', '4294967297', 1, 'NUMWRAP'],
    ['serial_no', '2147483648', -2147483648, 'NUMWRAP'],
    ['serial_no', '99999999999999999999', -1, 'NUMWRAP'],
    ['serial_no', '-99999999999999999999', 0, 'NUMWRAP'],
    ['serial_no', '""', 0, 'EMPTYNUM'],
    ['serial_no', '" 7"', 7, null],
    ['serial_no', '0x1F', 31, null],
    ['serial_no', '010', 8, 'OCTAL'],
    ['syncdaemon', '4294967297', 1, 'NUMWRAP'],
  ];
  for (const [key, word, value, code] of rows) {
    const { model, warnings } = read(file(`${key} = ${word}`));
    const held = (model as unknown as Record<string, number | boolean>)[key];
    assert.equal(typeof held === 'boolean' ? Number(held) : held, value, `${key} = ${word}`);
    if (code) warned(warnings, code, 1);
    else assert.deepEqual(warnings.filter((d) => d.line === 1), [], `${key} = ${word}`);
  }
  // fwmark is unsigned: 4294967295 and -1 are the same mark, and not a surprise.
  assert.equal(read(inVirtual('     fwmark = 4294967295')).model.virtuals[0]!.fwmark, 4294967295);
  assert.equal(read(inVirtual('     fwmark = -1')).model.virtuals[0]!.fwmark, 4294967295);
  // A port the daemons read as 80 from a wider number: both the wrap and the value are shown.
  const wide = read(inVirtual('     port = 4294967376'));
  assert.equal(wide.model.virtuals[0]!.port, 80);
  warned(wide.warnings, 'NUMWRAP', 4);
});

test('addresses are inet_aton: short, octal and hex forms, and what follows a blank is ignored', () => {
  const rows: [string, string][] = [['10.1', '10.0.0.1'], ['0x0a.0.0.1', '10.0.0.1'], ['012.0.0.1', '10.0.0.1'], ['"10.1.2.105 x"', '10.1.2.105'], ['167772161', '10.0.0.1']];
  for (const [word, address] of rows) {
    const { model, warnings } = read(file(`primary = ${word}`));
    assert.equal(model.primary, address, word);
    warned(warnings, 'SHORTADDR', 1);
  }
  // nat_router and a virtual address may be 0.0.0.0; primary may not.
  assert.deepEqual(read(file('network = direct', 'nat_router = 0 eth1:1')).model.nat_router, { address: '0.0.0.0', device: 'eth1:1' });
  assert.equal(parse(file('primary = 0')).ok, false);
  // A pmask the daemons cannot read is ignored, keeping the one before it.
  const pm = read(inVirtual('     persistent = 60', '     pmask = 255.255.255.0', '     pmask = none'));
  assert.equal(pm.model.virtuals[0]!.pmask, '255.255.255.0');
  warned(pm.warnings, 'PMASKIGNORED', 6);
});

test('names are the bytes the daemons read: non-ASCII, spaces inside quotes — a warning, never an error', () => {
  const { model, warnings } = read(file('network = direct', 'virtual café {', '     server "web one" {', '     }', '}'));
  assert.equal(model.virtuals[0]!.name, 'café');
  assert.equal(model.virtuals[0]!.servers[0]!.name, 'web one');
  const v = warned(warnings, 'V-NAME', 2);
  assert.equal(v.writeError, true);
  warned(warnings, 'V-NAME', 3);
});

test('after the first line of a virtual block an unclosed quote drops the rest of the line', () => {
  const { model, warnings } = read(inVirtual('     load_monitor = rup "fast', '     port = 81'));
  assert.equal(model.virtuals[0]!.load_monitor, 'rup');
  assert.equal(model.virtuals[0]!.port, 81);
  warned(warnings, 'QUOTEDROP', 4);
  // A line that starts with one ends the block: the next key is read at the top level.
  const r = parse(inVirtual('     "junk', '     port = 81'));
  const first = r.diagnostics.find((d) => d.severity === 'error')!;
  assert.deepEqual([first.code, first.line], ['BADCOMMAND', 5]);
  // On the block's first line the daemons check it: a refusal.
  const strict = parse(file('network = direct', 'virtual web {', '     load_monitor = rup "fast', '}'));
  assert.deepEqual(strict.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.line]), [['BADQUOTING', 3]]);
});

test('lists end at the first "]"; the words after it are ignored', () => {
  const { model, warnings } = read(inVirtual('     dirs = [ /a /b ] /c'));
  assert.deepEqual((model.virtuals[0] as unknown as { dirs?: string[] }).dirs, ['/a', '/b']);
  warned(warnings, 'AFTERLIST', 4);
});

test('a keyword is one of the level\'s own: words like "constructor" are unknown commands', () => {
  for (const w of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const r = parse(file(`${w} = 1`));
    assert.equal(r.diagnostics[0]?.code, 'BADCOMMAND', w);
  }
  assert.equal(parse(inVirtual('     port = constructor')).diagnostics.some((d) => d.code === 'BADARGUMENT'), true);
});
