// The grammar of lvs.cf (lvs-cf-format.md §2.1–2.7), one table per rule: what the original C
// parser (lvsconfig.c) accepts, what it refuses and with which of its error kinds, where we report
// what it silently misreads, and the semantic checks on top. Each row asserts code, line and column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Diagnostic, type LvsConfig } from './index.ts';
import { tokenize } from './lexer.ts';
import { GLOBAL_KEYS, VIRTUAL_KEYS, SERVER_KEYS } from './keywords.ts';

/** Lines joined with LF and a final LF. */
const file = (...lines: string[]) => lines.map((l) => `${l}\n`).join('');
/** A virtual block: its keys start at line 3 (line 1 sets direct routing, so no NAT router is needed). */
const inVirtual = (...lines: string[]) => file('network = direct', 'virtual web {', ...lines, '}');
/** A real-server block: its keys start at line 4. */
const inServer = (...lines: string[]) => file('network = direct', 'virtual web {', '     server a {', ...lines, '     }', '}');

interface Want {
  code: string;
  line: number;
  column: number;
  severity?: 'error' | 'warning';
}

function found(text: string, code: string): Diagnostic | undefined {
  return parse(text).diagnostics.find((d) => d.code === code);
}

/** The first error (what the daemons would stop at) is `want`. */
function assertFirstError(text: string, want: Want): void {
  const r = parse(text);
  const first = r.diagnostics.find((d) => d.severity === 'error');
  assert.ok(first, `expected ${want.code} at ${want.line}:${want.column}, got no error in:\n${text}`);
  assert.deepEqual(
    { code: first.code, line: first.line, column: first.column },
    { code: want.code, line: want.line, column: want.column },
    `first error for:\n${text}\n${JSON.stringify(r.diagnostics, null, 1)}`,
  );
  assert.equal(r.ok, false);
}

/** Each row's text has its first error, of that code, at that line and column. */
function assertFirstErrors(rows: [text: string, code: string, line: number, column: number][]): void {
  for (const [text, code, line, column] of rows) assertFirstError(text, { code, line, column });
}

/** A diagnostic with this code, severity and position exists. */
function assertHas(text: string, want: Want): void {
  const d = found(text, want.code);
  assert.ok(d, `expected ${want.code} in:\n${text}\ngot ${JSON.stringify(parse(text).diagnostics)}`);
  assert.deepEqual({ line: d.line, column: d.column, severity: d.severity }, { line: want.line, column: want.column, severity: want.severity ?? 'error' });
}

function assertNoErrors(text: string): LvsConfig {
  const r = parse(text);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], `expected no errors in:\n${text}`);
  assert.ok(r.ok && r.model);
  return r.model;
}

// ---------------------------------------------------------------------------------------------
// §2.1 Tokenizing: blanks, quotes, comments.

test('tokenizing: runs of spaces and tabs separate words; quoted words keep their blanks', () => {
  const rows: [string, string[]][] = [
    ['a = b', ['a', '=', 'b']],
    ['  \ta\t=\t\tb  ', ['a', '=', 'b']],
    ['send = "GET / HTTP/1.0\\r\\n"', ['send', '=', '"GET / HTTP/1.0\\r\\n"']],
    ["send = 'a b'", ['send', '=', "'a b'"]],
    ['send = "it\'s"', ['send', '=', '"it\'s"']],
    ['send = ""', ['send', '=', '""']],
    ['a"b = c', ['a"b', '=', 'c']],
    // The quote scan restarts at the first blank, so it can swallow the next word up to its quote.
    ['send = "a" b"', ['send', '=', '"a" b"']],
  ];
  for (const [line, words] of rows) {
    const t = tokenize(line);
    assert.ok(t.ok, line);
    assert.deepEqual(t.tokens.map((x) => x.text), words, line);
  }
});

test('tokenizing: comments are whole lines only; blank lines are ignored', () => {
  assertNoErrors(file('# a comment', '   \t# indented comment', '', '   ', 'serial_no = 1'));
  assertFirstErrors([
    [file('serial_no = 1 # one'), 'EXTRAARGS', 1, 15],
    [file('serial_no = 1#'), 'INTEXPECTED', 1, 13],
  ]);
});

test('quotes: an unclosed quote, glued text, or blanks after a one-word quoted value are quotation mismatches', () => {
  const rows: [string, number][] = [
    ['send = "GET /', 8],
    ["send = 'GET /", 8],
    ['send = "abc"x', 8],
    ['send = "abc" ', 8],
    ['send = "abc"\t', 8],
    ['send = "" ', 8],
  ];
  for (const [line, col] of rows) assertFirstError(inVirtual(line), { code: 'BADQUOTING', line: 3, column: col });
  // A lone quote at the end of a line: the daemons' tokenizer writes before its buffer and reads an
  // undefined word; one of the exceptions the daemons run but that stays an error.
  assertFirstError(inVirtual('send = "'), { code: 'LONEQUOTE', line: 3, column: 8 });
  // A value with a blank inside ends at its closing quote, so trailing blanks are fine there.
  assert.equal(assertNoErrors(inVirtual('send = "GET / HTTP/1.0"  ')).virtuals[0]!.send, 'GET / HTTP/1.0');
});

test('quotes: double quotes are stripped from the value, single quotes are kept (with a warning)', () => {
  assert.equal(assertNoErrors(inVirtual('expect = "HTTP"')).virtuals[0]!.expect, 'HTTP');
  assert.equal(assertNoErrors(inVirtual('expect = HTTP')).virtuals[0]!.expect, 'HTTP');
  const text = inVirtual("expect = 'HTTP'");
  assert.equal(assertNoErrors(text).virtuals[0]!.expect, "'HTTP'");
  assertHas(text, { code: 'SINGLEQUOTE', line: 3, column: 10, severity: 'warning' });
});

test('"=" must be its own word', () => {
  assertFirstErrors([
    [file('serial_no=1'), 'BADCOMMAND', 1, 1],
    [file('serial_no =1'), 'EQUALEXPECTED', 1, 11],
    [file('serial_no= 1'), 'BADCOMMAND', 1, 1],
    [file('serial_no 1'), 'EQUALEXPECTED', 1, 11],
    [file('serial_no'), 'EQUALEXPECTED', 1, 1],
  ]);
  assert.equal(assertNoErrors(file('serial_no\t=\t7')).serial_no, 7);
});

test('arity is exact: one value, or two for address and nat_router', () => {
  assertFirstErrors([
    [file('keepalive ='), 'MISSINGARGS', 1, 11],
    [file('keepalive = 6 7'), 'EXTRAARGS', 1, 15],
    [file('nat_router = 10.0.0.1'), 'MISSINGARGS', 1, 14],
    [file('nat_router = 10.0.0.1 eth1:1 x'), 'EXTRAARGS', 1, 30],
    [inVirtual('address = 10.0.0.1'), 'MISSINGARGS', 3, 11],
    [inVirtual('address = 10.0.0.1 eth0:1 eth0:2'), 'EXTRAARGS', 3, 27],
    [inServer('address = 10.0.0.2 eth0'), 'EXTRAARGS', 4, 20],
  ]);
  const m = assertNoErrors(file('network = nat', 'nat_router = 10.0.0.1 eth1:1'));
  assert.deepEqual(m.nat_router, { address: '10.0.0.1', device: 'eth1:1' });
});

test('keywords and enumerated values are case-sensitive', () => {
  assertFirstErrors([
    [file('Serial_no = 1'), 'BADCOMMAND', 1, 1],
    [file('network = NAT'), 'BADARGUMENT', 1, 11],
    [file('service = LVS'), 'BADARGUMENT', 1, 11],
    [inVirtual('protocol = TCP'), 'BADARGUMENT', 3, 12],
    [inVirtual('scheduler = WLC'), 'BADARGUMENT', 3, 13],
    [inVirtual('scheduler = sed'), 'BADARGUMENT', 3, 13],
    [file('reservation_conflict_action = fence'), 'BADARGUMENT', 1, 31],
  ]);
  for (const s of ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh'] as const) {
    assert.equal(assertNoErrors(inVirtual(`scheduler = ${s}`)).virtuals[0]!.scheduler, s);
  }
});

test('integers are read like strtol(…, 0): decimal, 0x hex, leading-0 octal, sign', () => {
  const rows: [string, number][] = [
    ['10', 10], ['0x10', 16], ['0X1f', 31], ['010', 8], ['0', 0], ['+7', 7], ['-5', -5], ['00', 0],
  ];
  for (const [tok, value] of rows) {
    const r = parse(file(`serial_no = ${tok}`));
    assert.equal(r.model?.serial_no, value, tok);
  }
  assertHas(file('serial_no = 010'), { code: 'OCTAL', line: 1, column: 13, severity: 'warning' });
  for (const bad of ['1.5', '08', '0x', '1e3', 'ten', '--1', '12a', '0xg']) {
    assertFirstError(file(`serial_no = ${bad}`), { code: 'INTEXPECTED', line: 1, column: 13 });
  }
  // fwmark is unsigned in the daemons: -1 wraps.
  assert.equal(assertNoErrors(inVirtual('fwmark = -1')).virtuals[0]!.fwmark, 4294967295);
});

test('booleans are integers that must be 0 or 1', () => {
  assert.equal(assertNoErrors(inVirtual('active = 0')).virtuals[0]!.active, false);
  assert.equal(assertNoErrors(file('heartbeat = 1')).heartbeat, true);
  assert.equal(assertNoErrors(file('heartbeat = 0x1')).heartbeat, true);
  assertFirstErrors([
    [inVirtual('active = 2'), 'BOOLEXPECTED', 3, 10],
    [inVirtual('active = -1'), 'BOOLEXPECTED', 3, 10],
    [inVirtual('active = yes'), 'INTEXPECTED', 3, 10],
    [file('backup_active = true'), 'INTEXPECTED', 1, 17],
  ]);
});

test('ports: numbers everywhere, service names only for virtual port and heartbeat_port', () => {
  assert.equal(assertNoErrors(inVirtual('port = http')).virtuals[0]!.port, 80);
  assert.equal(assertNoErrors(inVirtual('port = https')).virtuals[0]!.port, 443);
  assert.equal(assertNoErrors(file('heartbeat_port = ssh')).heartbeat_port, 22);
  assert.equal(assertNoErrors(inVirtual('port = 0x50')).virtuals[0]!.port, 80);
  assertFirstErrors([
    [inVirtual('port = nosuchservice'), 'BADARGUMENT', 3, 8],
    [inVirtual('port = HTTP'), 'BADARGUMENT', 3, 8],
    [inServer('port = http'), 'INTEXPECTED', 4, 8],
  ]);
  assert.equal(assertNoErrors(inServer('port = 8080')).virtuals[0]!.servers[0]!.port, 8080);
});

test('hosts: dotted quads, 0.0.0.0 only where the daemons allow it, host names with a warning', () => {
  assertFirstErrors([
    [file('primary = 0.0.0.0'), 'BADHOSTNAME', 1, 11],
    [file('primary_private = 0.0.0.0'), 'BADHOSTNAME', 1, 19],
    [file('backup_private = 0.0.0.0'), 'BADHOSTNAME', 1, 18],
  ]);
  assert.equal(assertNoErrors(file('backup = 0.0.0.0')).backup, '0.0.0.0');
  assert.equal(assertNoErrors(inVirtual('address = 0.0.0.0 eth0:1')).virtuals[0]!.address, '0.0.0.0');
  assert.equal(assertNoErrors(inServer('address = 0.0.0.0')).virtuals[0]!.servers[0]!.address, '0.0.0.0');
  // A name that cannot be an address or a host name: the daemons' "invalid argument".
  assertFirstErrors([
    [file('primary = 10.0.0.256'), 'BADARGUMENT', 1, 11],
    [file('primary = 1.2.3.4.5'), 'BADARGUMENT', 1, 11],
    [file('primary = bad_name!'), 'BADARGUMENT', 1, 11],
  ]);
  // A host name needs DNS when the daemons start: a warning.
  const text = file('primary = lvs1.example.com');
  assert.equal(assertNoErrors(text).primary, 'lvs1.example.com');
  assertHas(text, { code: 'HOSTNAME', line: 1, column: 11, severity: 'warning' });
  assertHas(inServer('address = web1'), { code: 'HOSTNAME', line: 4, column: 11, severity: 'warning' });
  // inet_aton's short and octal forms: accepted, shown as the address the daemons use.
  const short = file('primary = 10.1');
  assert.equal(assertNoErrors(short).primary, '10.0.0.1');
  assertHas(short, { code: 'SHORTADDR', line: 1, column: 11, severity: 'warning' });
  assert.equal(assertNoErrors(file('primary = 010.0.0.1')).primary, '8.0.0.1');
});

test('dotted-only values: sorry_server needs an address, masks need a netmask', () => {
  assertFirstErrors([
    [inVirtual('sorry_server = web1'), 'BADHOSTNAME', 3, 16],
    [inVirtual('vip_nmask = mask'), 'BADNETMASK', 3, 13],
  ]);
  // pmask is the exception: lvsconfig.c ignores a pmask inet_aton cannot read (a warning).
  assertHas(inVirtual('pmask = 255.255.255.0.0'), { code: 'PMASKIGNORED', line: 3, column: 9, severity: 'warning' });
  assertFirstError(file('nat_nmask = 0x'), { code: 'BADNETMASK', line: 1, column: 13 });
  const m = assertNoErrors(inVirtual('sorry_server = 0.0.0.0', 'vip_nmask = 0.0.0.0', 'pmask = 255.255.255.0', 'persistent = 60'));
  assert.equal(m.virtuals[0]!.sorry_server, null);
  assert.equal(m.virtuals[0]!.vip_nmask, null);
  assert.equal(m.virtuals[0]!.pmask, '255.255.255.0');
});

test('lists: dirs = [ a b ] with the brackets as their own words', () => {
  assertNoErrors(inVirtual('dirs = [ /a /b ]'));
  assertNoErrors(inVirtual('dirs = [ ]'));
  assertFirstErrors([
    [inVirtual('dirs = /a'), 'LISTEXPECTED', 3, 8],
    [inVirtual('dirs = [/a]'), 'LISTEXPECTED', 3, 8],
    [inVirtual('dirs = [ /a'), 'LISTEXPECTED', 3, 8],
    [inVirtual('dirs ='), 'LISTEXPECTED', 3, 6],
  ]);
});

// ---------------------------------------------------------------------------------------------
// §2.1 Blocks.

test('blocks: "{" on the header line as its own third word; "}" closes; rest of a "}" line reported', () => {
  assertFirstErrors([
    [file('virtual web{', '}'), 'MISSINGARGS', 1, 9],
    [file('virtual web', '{', '}'), 'MISSINGARGS', 1, 9],
    [file('virtual', '}'), 'MISSINGARGS', 1, 1],
    [file('virtual web (', '}'), 'MISSINGARGS', 1, 13],
    [file('virtual web { active = 1', '}'), 'EXTRAARGS', 1, 15],
    [file('virtual web foo {', '}'), 'EXTRAARGS', 1, 17],
    [file('network = direct', 'virtual web {', 'server a{', '}', '}'), 'MISSINGARGS', 3, 8],
  ]);
  // Text after `}` is dropped by the daemons: a warning for a comment, an error for anything else.
  assertHas(file('network = direct', 'virtual web {', '} # end of web'), { code: 'AFTERBRACE', line: 3, column: 3, severity: 'warning' });
  assertHas(file('network = direct', 'virtual web {', '} active = 1'), { code: 'AFTERBRACE', line: 3, column: 3, severity: 'warning' });
  // A stray `}` at the top level is looked up as a keyword.
  assertFirstError(file('serial_no = 1', '}'), { code: 'BADCOMMAND', line: 2, column: 1 });
});

test('blocks do not nest further', () => {
  assertFirstErrors([
    [file('virtual a {', '     virtual b {', '     }', '}'), 'BADCOMMAND', 2, 6],
    [file('virtual a {', '     failover b {', '     }', '}'), 'BADCOMMAND', 2, 6],
    [inServer('server b {', '}'), 'BADCOMMAND', 4, 1],
    [file('server a {', '}'), 'BADCOMMAND', 1, 1],
  ]);
});

test('duplicate keys: the last one wins (with a warning); duplicate virtual names are separate entries', () => {
  const text = file('keepalive = 3', 'keepalive = 4');
  assert.equal(assertNoErrors(text).keepalive, 4);
  assertHas(text, { code: 'DUPKEY', line: 2, column: 1, severity: 'warning' });
  assert.equal(assertNoErrors(inVirtual('port = 81', 'port = 82')).virtuals[0]!.port, 82);
  assert.equal(assertNoErrors(inServer('weight = 2', 'weight = 3')).virtuals[0]!.servers[0]!.weight, 3);
  const twice = parse(file('network = direct', 'virtual web {', '}', 'virtual web {', '}'));
  assert.equal(twice.model?.virtuals.length, 2);
});

// ---------------------------------------------------------------------------------------------
// §2.3–2.6 Keywords at each level.

const GOOD: Record<string, string> = {
  int: '5', bool: '1', port: '539', host: '10.0.0.1', dotted: '255.255.255.0', string: 'x', hostDevice: '10.0.0.9 eth0:1', list: '[ a ]',
};

function goodValue(key: string, kind: { kind: string; values?: readonly string[]; quoted?: boolean }): string {
  if (kind.kind === 'enum') return kind.values![0]!;
  if (kind.kind === 'string') return kind.quoted ? '"/bin/true"' : key === 'rsh_command' ? 'ssh' : 'x';
  if (key === 'sorry_server') return '10.0.0.3';
  return GOOD[kind.kind]!;
}

test('every global keyword is accepted', () => {
  for (const [key, kind] of Object.entries(GLOBAL_KEYS)) {
    const r = parse(file(`${key} = ${goodValue(key, kind)}`));
    assert.ok(r.model, key);
    assert.deepEqual(r.diagnostics.filter((d) => d.line === 1 && d.severity === 'error' && !d.code.startsWith('V-')), [], key);
  }
  assert.equal(Object.keys(GLOBAL_KEYS).length, 31);
});

test('every virtual and failover keyword is accepted', () => {
  for (const [key, kind] of Object.entries(VIRTUAL_KEYS)) {
    for (const level of ['virtual', 'failover']) {
      const r = parse(file('network = direct', `${level} web {`, `     ${key} = ${goodValue(key, kind)}`, '}'));
      assert.ok(r.model, `${level} ${key}`);
      assert.deepEqual(r.diagnostics.filter((d) => d.line === 3 && d.severity === 'error' && !d.code.startsWith('V-')), [], `${level} ${key}`);
    }
  }
});

test('every real-server keyword is accepted', () => {
  for (const [key, kind] of Object.entries(SERVER_KEYS)) {
    assertNoErrors(inServer(`address = 10.0.0.2`, `${key} = ${key === 'port' ? '80' : goodValue(key, kind)}`));
  }
});

test('unknown keys are errors at every level', () => {
  for (const k of ['nmask', 'heartbeat_dev', 'mode', 'fwmark', 'lvs', 'global_defs', 'weight', 'server']) {
    assertFirstError(file(`${k} = 1`), { code: 'BADCOMMAND', line: 1, column: 1 });
  }
  for (const k of ['deadtime', 'heartbeat', 'expect_program', 'weight', 'nmask']) {
    assertFirstErrors([
      [inVirtual(`     ${k} = 1`), 'BADCOMMAND', 3, 6],
      [file('failover f {', `     ${k} = 1`, '}'), 'BADCOMMAND', 2, 6],
    ]);
  }
  for (const k of ['nmask', 'log_file', 'scheduler', 'protocol']) {
    assertFirstError(inServer(`         ${k} = 1`), { code: 'BADCOMMAND', line: 4, column: 10 });
  }
});

test('defaults are the daemons\' when a key is absent', () => {
  const m = assertNoErrors(file('network = direct', 'virtual web {', '     server a {', '     }', '}'));
  assert.equal(m.heartbeat_port, 539);
  assert.equal(m.keepalive, 2);
  assert.equal(m.deadtime, 5);
  assert.equal(m.hard_shutdown, true);
  assert.equal(m.rsh_command, 'rsh');
  const vs = m.virtuals[0]!;
  assert.deepEqual([vs.active, vs.port, vs.scheduler, vs.timeout, vs.reentry, vs.protocol], [false, 80, 'wlc', 10, 180, 'tcp']);
  assert.deepEqual([vs.servers[0]!.active, vs.servers[0]!.weight, vs.servers[0]!.port, vs.servers[0]!.address], [false, 1, 80, '0.0.0.0']);
  assert.equal(parse(file('serial_no = 1')).model?.network, 'nat');
});

// ---------------------------------------------------------------------------------------------
// §2.2 One row per error kind of the daemons.

test('one row per daemon error kind', () => {
  const rows: [string, string, number, number][] = [
    ['STAT', '', 0, 0],
    ['BADQUOTING', file('serial_no = 1', 'rsh_command = "ssh'), 2, 15],
    ['EXTRAARGS', file('keepalive = 6 s'), 1, 15],
    ['EQUALEXPECTED', file('keepalive : 6'), 1, 11],
    ['MISSINGARGS', file('keepalive ='), 1, 11],
    ['BADHOSTNAME', file('primary = 0.0.0.0'), 1, 11],
    ['BADARGUMENT', file('network = bridge'), 1, 11],
    ['INTEXPECTED', file('keepalive = six'), 1, 13],
    ['BOOLEXPECTED', file('syncdaemon = 2'), 1, 14],
    ['BADCOMMAND', file('serial = 1'), 1, 1],
    ['LISTEXPECTED', inVirtual('dirs = a'), 3, 8],
    ['TOOMANYARGS', file(`debug_level = ${Array.from({ length: 98 }, (_, i) => `w${i}`).join(' ')}`), 1, 'debug_level = '.length + 97 * 4 - 10 + 1],
    ['BADNETMASK', file('nat_nmask = 255.255.x.0'), 1, 13],
  ];
  for (const [code, text, line, column] of rows) assertFirstError(text, { code, line, column });
});

// ---------------------------------------------------------------------------------------------
// Never silent: what the daemons misread is reported.

test('never silent: CRLF line endings (the daemons would read line 1 only)', () => {
  assertFirstError('serial_no = 1\r\nnetwork = direct\r\n', { code: 'CRLF', line: 1, column: 14 });
});

test('never silent: mixed line endings', () => {
  // The daemons read lines 1-2 as one line and refuse it at line 1: the error is where they stop.
  assertFirstErrors([
    ['serial_no = 1\nnetwork = direct\r\nkeepalive = 2\n', 'MIXEDEOL', 1, 1],
    ['serial_no = 1\nnetwork = direct\rkeepalive = 2\n', 'MIXEDEOL', 1, 1],
  ]);
  // Where they accept it (a comment swallows the lines before the CR), the error is at the CR.
  assertFirstError('# one\nnetwork = direct\r\nkeepalive = 2\n', { code: 'MIXEDEOL', line: 2, column: 17 });
});

test('never silent: a missing "}" at the end of the file', () => {
  const text = file('network = direct', 'virtual web {', '     port = 80');
  assert.equal(assertNoErrors(text).virtuals[0]!.port, 80);
  assertHas(text, { code: 'UNCLOSED', line: 2, column: 1, severity: 'warning' });
});

test('never silent: text after "}"', () => {
  assertHas(inServer('address = 10.0.0.2').replace('     }\n', '     } weight = 5\n'), { code: 'AFTERBRACE', line: 5, column: 8, severity: 'warning' });
});

test('never silent: pmask = 255.255.255.255 is read as no pmask', () => {
  const text = inVirtual('persistent = 60', 'pmask = 255.255.255.255');
  assert.equal(assertNoErrors(text).virtuals[0]!.pmask, null);
  assertHas(text, { code: 'PMASKALLONES', line: 4, column: 9, severity: 'warning' });
});

test('never silent: a real server before the virtual\'s port gets the earlier port', () => {
  const text = file('network = direct', 'virtual web {', '     server a {', '         address = 10.0.0.2', '     }', '     port = 443', '}');
  assertHas(text, { code: 'PORTORDER', line: 3, column: 1, severity: 'warning' });
  const model = parse(text).model!;
  assert.equal(model.virtuals[0]!.servers[0]!.port, 80);
  assert.equal(model.virtuals[0]!.port, 443);
  // The same order with an explicit server port is fine.
  assertNoErrors(file('network = direct', 'virtual web {', '     server a {', '         port = 443', '     }', '     port = 443', '}'));
});

test('never silent: host names and octal numbers', () => {
  assertHas(inVirtual('address = vip.example.com eth0:1'), { code: 'HOSTNAME', line: 3, column: 11, severity: 'warning' });
  assertHas(inVirtual('port = 0100'), { code: 'OCTAL', line: 3, column: 8, severity: 'warning' });
  assert.equal(parse(inVirtual('port = 0100')).model!.virtuals[0]!.port, 64);
  assertHas(inServer('port = 08080'.replace('08080', '010')), { code: 'OCTAL', line: 4, column: 8, severity: 'warning' });
});

test('never silent: NUL bytes', () => {
  assertHas(file('serial_no = 1', 'a\0b'), { code: 'BINARY', line: 2, column: 2 });
  assert.equal(parse(file('serial_no = 1', 'a\0b')).model, null);
});

// ---------------------------------------------------------------------------------------------
// Semantic rules (validate.ts).

test('semantic rules, one row each', () => {
  const nat = (...lines: string[]) => file('network = nat', 'nat_router = 10.0.0.254 eth1:1', ...lines);
  const web = (...lines: string[]) => file('network = direct', 'virtual web {', '     active = 1', '     address = 10.0.0.10 eth0:1', ...lines, '}');
  const rows: [string, string, string, number, number][] = [
    ['active real server without address', 'V-ADDRESS', web('     server a {', '         active = 1', '     }'), 5, 1],
    ['vip netmask not contiguous', 'V-NETMASK', web('     vip_nmask = 255.0.255.0'), 5, 18],
    ['nat netmask not contiguous', 'V-NETMASK', file('network = direct', 'nat_nmask = 255.255.0.255'), 2, 13],
    ['port 0', 'V-PORT', web('     port = 0'), 5, 13],
    ['port 70000', 'V-PORT', web('     port = 70000'), 5, 13],
    ['real-server port 0', 'V-PORT', web('     server a {', '         address = 10.0.0.2', '         port = 0', '     }'), 7, 17],
    ['heartbeat port 65536', 'V-PORT', file('network = direct', 'heartbeat_port = 65536'), 2, 18],
    ['negative weight', 'V-WEIGHT', web('     server a {', '         address = 10.0.0.2', '         weight = -1', '     }'), 7, 19],
    ['weight above 65535', 'V-WEIGHT', web('     server a {', '         address = 10.0.0.2', '         weight = 65536', '     }'), 7, 19],
    ['timeout 0', 'V-TIMEOUT', web('     timeout = 0'), 5, 16],
    ['keepalive 0', 'V-KEEPALIVE', file('network = direct', 'keepalive = 0'), 2, 13],
    ['deadtime 0', 'V-DEADTIME', file('network = direct', 'deadtime = 0'), 2, 12],
    ['negative reentry', 'V-REENTRY', web('     reentry = -1'), 5, 16],
    ['negative persistence', 'V-PERSIST', web('     persistent = -1'), 5, 19],
    ['negative tcp timeout', 'V-NEGATIVE', file('network = direct', 'tcp_timeout = -1'), 2, 15],
    ['syncd_id above 255', 'V-SYNCID', file('network = direct', 'syncd_id = 256'), 2, 12],
    ['duplicate virtual names', 'V-DUPNAME', file('network = direct', 'virtual web {', '}', 'virtual web {', '}'), 4, 1],
    ['duplicate real-server names', 'V-DUPNAME', web('     server a {', '     }', '     server a {', '     }'), 7, 1],
    ['name too long', 'V-NAME', file('network = direct', `virtual ${'n'.repeat(65)} {`, '}'), 2, 1],
    ['active virtual without VIP', 'V-VIP', file('network = direct', 'virtual web {', '     active = 1', '}'), 2, 1],
    ['VIP device not an interface', 'V-DEVICE', file('network = direct', 'virtual web {', '     address = 10.0.0.10 eth0;1', '}'), 3, 16],
    ['NAT without nat_router', 'V-NATROUTER', file('network = nat', 'virtual web {', '     active = 1', '     address = 10.0.0.10 eth0:1', '}'), 1, 11],
    ['backup_active without backup', 'V-BACKUP', file('network = direct', 'primary = 10.0.0.1', 'backup_active = 1'), 0, 0],
    ['backup_active with backup 0.0.0.0', 'V-BACKUP', file('network = direct', 'primary = 10.0.0.1', 'backup_active = 1', 'backup = 0.0.0.0'), 4, 10],
    ['backup without private address', 'V-BACKUP', file('network = direct', 'primary = 10.0.0.1', 'primary_private = 192.168.0.1', 'backup_active = 1', 'backup = 10.0.0.2'), 0, 0],
    [
      'fwmark without shared persistence',
      'V-FWMARK-PERSIST',
      file('network = direct', 'virtual http {', '     fwmark = 80', '     persistent = 60', '}', 'virtual https {', '     fwmark = 80', '     persistent = 30', '}'),
      8, 19,
    ],
    ['send with a control character', 'V-SENDEXPECT', web('     send = "GET /\x01"'), 5, 13],
    ['expect with non-ASCII', 'V-SENDEXPECT', web('     expect = "ok\u00e9"'), 5, 15],
    ['send_program relative', 'V-PROGRAM', web('     send_program = "check %h"'), 5, 21],
    ['active_cmd relative', 'V-PROGRAM', file('network = direct', 'active_cmd = "up.sh"'), 2, 14],
    ['expect not a regular expression', 'V-REGEX', web('     use_regex = 1', '     expect = "(unclosed"'), 6, 15],
    ['nat_router device invalid', 'V-DEVICE', nat('nat_nmask = 255.255.255.0').replace('eth1:1', 'eth1/1'), 2, 14],
  ];
  // The daemons run every one of these files: in a file they are warnings that the console refuses
  // to write (writeError), except the documented exceptions, which break the daemons at run time.
  const exceptions = new Set(['timeout 0', 'duplicate virtual names']);
  for (const [what, code, text, line, column] of rows) {
    const d = found(text, code);
    assert.ok(d, `${what}: expected ${code}, got ${JSON.stringify(parse(text).diagnostics)}`);
    const fatal = exceptions.has(what);
    assert.equal(d.severity, fatal ? 'error' : 'warning', what);
    if (!fatal) assert.equal(d.writeError, true, `${what}: refused when the console writes it`);
    assert.deepEqual([d.line, d.column], [line, column], `${what}: position`);
    assert.ok(d.target, `${what}: the diagnostic names its target`);
    assert.equal(parse(text).ok, !fatal, what);
  }
});

test('semantic rules: what is fine passes, and send/expect escapes are checked', () => {
  assertNoErrors(file('network = direct', 'virtual web {', '     active = 1', '     address = 10.0.0.10 eth0:1', '     send = "GET / HTTP/1.0\\r\\n\\r\\n"', '     expect = "HTTP"', '     send_program = "/usr/bin/check %h %p"', '}'));
  // Shared firewall mark with the same persistence is fine.
  assertNoErrors(file('network = direct', 'virtual http {', '     fwmark = 80', '     persistent = 60', '}', 'virtual https {', '     fwmark = 80', '     persistent = 60', '}'));
  // An unknown escape is sent as is: a warning.
  const text = inVirtual('send = "a\\qb"');
  assertNoErrors(text);
  assertHas(text, { code: 'V-ESCAPE', line: 3, column: 8, severity: 'warning' });
  // NAT with a router and a backup with both addresses.
  assertNoErrors(
    file('network = nat', 'nat_router = 10.0.0.254 eth1:1', 'primary = 10.0.0.1', 'backup_active = 1', 'backup = 10.0.0.2', 'virtual web {', '     active = 1', '     address = 10.0.0.10 eth0:1', '}'),
  );
});

test('semantic diagnostics carry the target and key a console shows them beside', () => {
  const text = file('network = direct', 'virtual web {', '     server a {', '         address = 10.0.0.2', '         weight = -3', '     }', '}');
  const d = found(text, 'V-WEIGHT')!;
  assert.deepEqual(d.target, { scope: 'server', virtual: 0, server: 0 });
  assert.equal(d.key, 'weight');
  const s = found(inVirtual('protocol = tcpx'), 'BADARGUMENT')!;
  assert.deepEqual([s.target, s.key], [{ scope: 'virtual', virtual: 0 }, 'protocol']);
});
