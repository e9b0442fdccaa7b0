// Edits change only what they must: given(text).edit(...edits).produces(text). Every accepted edit
// is also checked for a minimal patch (no hunk could drop a whole unchanged line at either end) that
// rebuilds the new text from the old one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edit, applyPatch, parse, type Edit, type EditResult, type EditValue, type PatchHunk, type Target } from './index.ts';

const lines = (...ls: string[]) => ls.map((l) => `${l}\n`).join('');

function assertMinimal(old: string, patch: PatchHunk[], next: string): void {
  assert.equal(applyPatch(old, patch), next, 'applyPatch(old, patch) gives the new text');
  let prevEnd = -1;
  for (const h of patch) {
    assert.ok(h.start > prevEnd || (h.start === 0 && prevEnd === -1) || h.start >= prevEnd, 'hunks are ordered and disjoint');
    prevEnd = h.end;
    assert.equal(old.slice(h.start, h.end), h.removed);
    assert.equal(old.slice(0, h.start).split('\n').length, h.line, 'hunk line number');
    const removed = h.removed.split(/(?<=\n)/).filter(Boolean);
    const inserted = h.inserted.split(/(?<=\n)/).filter(Boolean);
    if (removed.length && inserted.length) {
      assert.notEqual(removed[0], inserted[0], `hunk at line ${h.line} starts with an unchanged line`);
      assert.notEqual(removed[removed.length - 1], inserted[inserted.length - 1], `hunk at line ${h.line} ends with an unchanged line`);
    }
  }
}

function given(text: string) {
  return {
    edit(...edits: Edit[]) {
      const r: EditResult = edit(text, edits);
      return {
        result: r,
        produces(expected: string) {
          assert.ok(r.ok, `edit refused: ${JSON.stringify(r.diagnostics)}`);
          assert.equal(r.text, expected);
          assertMinimal(text, r.patch, r.text);
          assert.deepEqual(r.model, parse(expected).model, 'the returned model is the new text\'s');
        },
        /** Refused with a diagnostic beside `key` of `target`; the caller's text stays as it was. */
        refuses(target: Target | undefined, key: string | undefined, message?: RegExp) {
          assert.equal(r.ok, false, `expected a refusal, got ${r.ok ? JSON.stringify(r.text) : ''}`);
          const d = r.diagnostics.find((x) => x.severity === 'error');
          assert.ok(d, 'a refusal carries an error');
          if (target) assert.deepEqual(d.target, target);
          if (key) assert.equal(d.key, key);
          if (message) assert.match(d.message, message);
          assert.equal('text' in r, false, 'no new text');
        },
      };
    },
  };
}

const G: Target = { scope: 'global' };
const V0: Target = { scope: 'virtual', virtual: 0 };
const S00: Target = { scope: 'server', virtual: 0, server: 0 };

/** A file as the original GUI wrote it (§2.10). */
const GUI = lines(
  'serial_no = 70',
  'primary = 172.16.11.74',
  'service = lvs',
  'backup_active = 0',
  'heartbeat = 1',
  'keepalive = 6',
  'deadtime = 18',
  'network = direct',
  'virtual web01 {',
  '     active = 1',
  '     address = 172.16.11.210 eth0:1',
  '     port = 80',
  '     expect = "HTTP"',
  '     scheduler = wlc',
  '     timeout = 6',
  '     server server-01 {',
  '         address = 172.16.11.76',
  '         active = 1',
  '         weight = 1',
  '     }',
  '     server server-02 {',
  '         address = 172.16.11.77',
  '         active = 1',
  '         weight = 1',
  '     }',
  '}',
);

/** A hand-edited file: comments, blank lines, odd spacing, keys the GUI never knew. */
const HAND = lines(
  '# router pair for the web farm',
  'serial_no = 3',
  'primary = 10.0.0.1',
  'hard_shutdown = 0',
  'active_cmd = "/usr/local/bin/became-active"',
  'syncdaemon = 1',
  'network   =   direct   ',
  '',
  '# the public site',
  'virtual www {',
  '    active = 1',
  '    address = 10.0.0.10 eth0:1',
  '    # health check',
  '    expect = "HTTP/1.1 200"  ',
  '    server a {',
  '        address = 10.0.1.1',
  '        active = 1',
  '    }',
  '}',
  '',
  '# the old site, kept for reference',
  'virtual old {',
  '    address = 10.0.0.11 eth0:2',
  '}',
  '# end of file',
);

test('set an existing key: only its value changes, spacing and trailing blanks stay', () => {
  given(GUI).edit({ op: 'set', target: G, key: 'keepalive', value: 8 }).produces(GUI.replace('keepalive = 6', 'keepalive = 8'));
  given(HAND).edit({ op: 'set', target: G, key: 'network', value: 'nat' }, { op: 'set', target: G, key: 'nat_router', value: '10.0.0.254 eth1:1' })
    .produces(HAND.replace('network   =   direct   \n', 'network   =   nat   \nnat_router = 10.0.0.254 eth1:1\n'));
  given(GUI).edit({ op: 'set', target: S00, key: 'weight', value: '5' }).produces(GUI.replace('         weight = 1\n     }\n     server server-02', '         weight = 5\n     }\n     server server-02'));
  given(GUI).edit({ op: 'set', target: V0, key: 'address', value: '172.16.11.211 eth0:2' }).produces(GUI.replace('172.16.11.210 eth0:1', '172.16.11.211 eth0:2'));
  // The same value: nothing changes, and the patch is empty.
  const same = given(GUI).edit({ op: 'set', target: G, key: 'keepalive', value: 6 });
  same.produces(GUI);
  assert.deepEqual((same.result as { patch: PatchHunk[] }).patch, []);
});

test('set a quoted value: the library adds the quotes; a one-word value drops blanks the daemons would refuse', () => {
  given(GUI).edit({ op: 'set', target: V0, key: 'expect', value: '200 OK' }).produces(GUI.replace('"HTTP"', '"200 OK"'));
  // `expect = "HTTP"  ` keeps its trailing blanks only while the value has a blank inside.
  given(HAND).edit({ op: 'set', target: V0, key: 'expect', value: 'HTTP/1.0 200' }).produces(HAND.replace('"HTTP/1.1 200"  ', '"HTTP/1.0 200"  '));
  given(HAND).edit({ op: 'set', target: V0, key: 'expect', value: 'OK' }).produces(HAND.replace('"HTTP/1.1 200"  ', '"OK"'));
});

test('insert a missing key where the GUI writes it, with the block\'s indentation', () => {
  // Virtual order: … port, persistent, pmask, send, expect … scheduler …
  given(GUI).edit({ op: 'set', target: V0, key: 'persistent', value: 300 }).produces(GUI.replace('     port = 80\n', '     port = 80\n     persistent = 300\n'));
  given(GUI).edit({ op: 'set', target: V0, key: 'send', value: 'GET / HTTP/1.0\\r\\n\\r\\n' })
    .produces(GUI.replace('     expect = "HTTP"\n', '     send = "GET / HTTP/1.0\\r\\n\\r\\n"\n     expect = "HTTP"\n'));
  // Global order: … deadtime, network, nat_router …
  given(GUI).edit({ op: 'set', target: G, key: 'heartbeat_port', value: 539 }).produces(GUI.replace('keepalive = 6\n', 'heartbeat_port = 539\nkeepalive = 6\n'));
  given(GUI).edit({ op: 'set', target: S00, key: 'port', value: 8080 }).produces(GUI.replace('         active = 1\n         weight = 1\n     }\n     server server-02', '         active = 1\n         port = 8080\n         weight = 1\n     }\n     server server-02'));
  // The hand-edited file indents with 4 spaces: the new line does too.
  given(HAND).edit({ op: 'set', target: V0, key: 'scheduler', value: 'rr' }).produces(HAND.replace('    expect = "HTTP/1.1 200"  \n', '    expect = "HTTP/1.1 200"  \n    scheduler = rr\n'));
  // A key the GUI never wrote goes after those it did.
  given(GUI).edit({ op: 'set', target: G, key: 'hard_shutdown', value: false }).produces(GUI.replace('network = direct\n', 'network = direct\nhard_shutdown = 0\n'));
});

test('remove a key', () => {
  given(GUI).edit({ op: 'set', target: V0, key: 'timeout', value: null }).produces(GUI.replace('     timeout = 6\n', ''));
  given(HAND).edit({ op: 'set', target: G, key: 'hard_shutdown', value: null }).produces(HAND.replace('hard_shutdown = 0\n', ''));
  // Removing an absent key changes nothing.
  given(GUI).edit({ op: 'set', target: V0, key: 'pmask', value: null }).produces(GUI);
});

test('toggle active', () => {
  given(GUI).edit({ op: 'setActive', target: V0, active: false }).produces(GUI.replace('     active = 1\n', '     active = 0\n'));
  given(GUI).edit({ op: 'setActive', target: { scope: 'server', virtual: 0, server: 1 }, active: false })
    .produces(GUI.replace('172.16.11.77\n         active = 1', '172.16.11.77\n         active = 0'));
  // Absent: inserted in its canonical place (first in a virtual block).
  given(HAND).edit({ op: 'setActive', target: { scope: 'virtual', virtual: 1 }, active: true }).produces(HAND.replace('virtual old {\n', 'virtual old {\n    active = 1\n'));
});

test('add a virtual server: the GUI\'s layout and defaults, after the last block', () => {
  const added = lines(
    'virtual api {',
    '     active = 0',
    '     address = 172.16.11.212 eth0:2',
    '     port = 8080',
    '     send = "GET / HTTP/1.0\\r\\n\\r\\n"',
    '     expect = "HTTP"',
    '     use_regex = 0',
    '     load_monitor = none',
    '     scheduler = wlc',
    '     protocol = tcp',
    '     timeout = 6',
    '     reentry = 15',
    '     quiesce_server = 0',
    '}',
  );
  given(GUI).edit({ op: 'addVirtual', name: 'api', fields: { address: '172.16.11.212 eth0:2', port: 8080 } }).produces(GUI + added);
  // In the hand-edited file it lands after the last block, before the closing comment, with its indentation.
  given(HAND).edit({ op: 'addVirtual', name: 'api', fields: { address: '10.0.0.12 eth0:3' } })
    .produces(HAND.replace('}\n# end of file\n', `}\n${added.replace(/^ {5}/gm, '    ').replace('172.16.11.212 eth0:2', '10.0.0.12 eth0:3').replace('port = 8080', 'port = 80')}# end of file\n`));
});

test('remove a virtual server: its comments go with it', () => {
  given(HAND).edit({ op: 'removeVirtual', virtual: 1 }).produces(HAND.replace('# the old site, kept for reference\nvirtual old {\n    address = 10.0.0.11 eth0:2\n}\n', ''));
  given(HAND).edit({ op: 'removeVirtual', virtual: 0 }).produces(HAND.replace(/# the public site\n[\s\S]*?\n}\n/, ''));
});

test('rename a virtual server and a real server: only the name changes', () => {
  given(GUI).edit({ op: 'renameVirtual', virtual: 0, name: 'web02' }).produces(GUI.replace('virtual web01 {', 'virtual web02 {'));
  given(GUI).edit({ op: 'renameServer', virtual: 0, server: 1, name: 'db' }).produces(GUI.replace('server server-02 {', 'server db {'));
});

test('add and remove real servers', () => {
  given(GUI).edit({ op: 'addServer', virtual: 0, name: 'server-03', fields: { address: '172.16.11.78', active: true } })
    .produces(GUI.replace('     }\n}\n', '     }\n     server server-03 {\n         address = 172.16.11.78\n         active = 1\n         weight = 1\n     }\n}\n'));
  given(GUI).edit({ op: 'removeServer', virtual: 0, server: 0 }).produces(GUI.replace(/     server server-01 \{\n[\s\S]*?     \}\n/, ''));
  // The first server of a virtual without any: after its last key, in the GUI's indentation.
  given(HAND).edit({ op: 'addServer', virtual: 1, name: 'b', fields: { address: '10.0.1.2' } })
    .produces(HAND.replace('    address = 10.0.0.11 eth0:2\n', '    address = 10.0.0.11 eth0:2\n    server b {\n         address = 10.0.1.2\n         active = 0\n         weight = 1\n    }\n'));
});

test('keys the GUI never knew survive every edit', () => {
  const r = edit(HAND, [
    { op: 'set', target: G, key: 'serial_no', value: 4 },
    { op: 'addServer', virtual: 0, name: 'c', fields: { address: '10.0.1.3' } },
    { op: 'renameVirtual', virtual: 0, name: 'site' },
  ]);
  assert.ok(r.ok);
  for (const kept of ['hard_shutdown = 0', 'active_cmd = "/usr/local/bin/became-active"', 'syncdaemon = 1', '# health check', '# end of file']) {
    assert.ok(r.text.includes(`${kept}\n`), kept);
  }
  assert.equal(r.model.hard_shutdown, false);
  assertMinimal(HAND, r.patch, r.text);
});

test('a file without a final newline', () => {
  const text = 'serial_no = 1\nnetwork = direct';
  given(text).edit({ op: 'set', target: G, key: 'network', value: 'tunnel' }).produces('serial_no = 1\nnetwork = tunnel');
  given(text).edit({ op: 'set', target: G, key: 'debug_level', value: 'NONE' }).produces('serial_no = 1\nnetwork = direct\ndebug_level = NONE\n');
  given(text).edit({ op: 'addVirtual', name: 'v', fields: { port: 81 } }).produces(
    'serial_no = 1\nnetwork = direct\n' +
      lines('virtual v {', '     active = 0', '     address = 0.0.0.0 eth0:1', '     port = 81', '     send = "GET / HTTP/1.0\\r\\n\\r\\n"', '     expect = "HTTP"', '     use_regex = 0', '     load_monitor = none', '     scheduler = wlc', '     protocol = tcp', '     timeout = 6', '     reentry = 15', '     quiesce_server = 0', '}'),
  );
});

test('a tab-indented file keeps its tabs', () => {
  const text = lines('network = direct', 'virtual v {', '\tactive = 0', '\tserver s {', '\t\taddress = 10.0.1.1', '\t}', '}');
  given(text).edit({ op: 'set', target: V0, key: 'port', value: 443 }).produces(text.replace('\tactive = 0\n', '\tactive = 0\n\tport = 443\n'));
  given(text).edit({ op: 'set', target: S00, key: 'weight', value: 3 }).produces(text.replace('\t\taddress = 10.0.1.1\n', '\t\taddress = 10.0.1.1\n\t\tweight = 3\n'));
  given(text).edit({ op: 'addServer', virtual: 0, name: 't' }).produces(text.replace('\t}\n}\n', '\t}\n\tserver t {\n\t\taddress = 0.0.0.0\n\t\tactive = 0\n\t\tweight = 1\n\t}\n}\n'));
});

test('a CRLF file is refused: the daemons would read only its first line', () => {
  const text = GUI.replace(/\n/g, '\r\n');
  const r = edit(text, [{ op: 'set', target: G, key: 'keepalive', value: 8 }]);
  assert.equal(r.ok, false);
  assert.ok(r.diagnostics.some((d) => d.code === 'CRLF' && d.line === 1));
});

test('hostile values are refused beside their field, and nothing is written', () => {
  // A value set on an element is refused beside that element's field.
  const sets: [Target, string, EditValue[]][] = [
    [V0, 'send', ['GET /\nport = 1', 'GET /\r\n']],
    [V0, 'expect', ['say "hi"', 'caf\u00e9', 'x'.repeat(1001)]],
    [V0, 'send_program', ['/bin/check\0']],
    [V0, 'load_monitor', ['none }', '{', '#x', '"x']],
    [G, 'rsh_command', ['ssh -p 22']],
    [G, 'debug_level', ['x'.repeat(300)]],
    [V0, 'address', ['10.0.0.1 eth0:1\nactive = 1', '10.0.0.1', '10.0.0.1 eth0;reboot']],
    [V0, 'port', ['80\n' + 'x', '80 # web']],
    [V0, 'scheduler', ['WLC']],
    [S00, 'address', ['10.0.1.1 }']],
    [S00, 'weight', [true]],
    [S00, 'nmask', ['255.255.255.0']],
    [V0, 'expect_program', ['/bin/x']],
    [V0, 'dirs', ['[ a ]']],
  ];
  const cases: [Edit, Target | undefined, string][] = sets.flatMap(([target, key, values]) => values.map((value): [Edit, Target, string] => [{ op: 'set', target, key, value }, target, key]));
  for (const name of ['a b', 'web {', 'web\n}', '#web', 'w\u00e9b', 'w'.repeat(65)]) cases.push([{ op: 'renameVirtual', virtual: 0, name }, V0, 'name']);
  cases.push(
    [{ op: 'renameServer', virtual: 0, server: 0, name: '"a"' }, S00, 'name'],
    [{ op: 'addVirtual', name: '{' }, undefined, 'name'],
    [{ op: 'addServer', virtual: 0, name: '' }, V0, 'name'],
    [{ op: 'addVirtual', name: 'ok', fields: { send: 'a\nb' } }, undefined, 'send'],
  );
  for (const [e, target, key] of cases) {
    const before = GUI;
    given(GUI).edit(e).refuses(target, key);
    assert.equal(GUI, before);
  }
});

test('edits the file cannot hold as a whole are refused with the validation error', () => {
  // A value each line accepts but the configuration does not: port 0.
  given(GUI).edit({ op: 'set', target: V0, key: 'port', value: 0 }).refuses(V0, 'port', /between 1 and 65535/);
  // Two virtual servers with one name.
  given(GUI).edit({ op: 'addVirtual', name: 'web01' }).refuses(undefined, undefined, /two virtual servers named/);
  // Edits on elements that do not exist.
  given(GUI).edit({ op: 'removeVirtual', virtual: 5 }).refuses({ scope: 'virtual', virtual: 5 }, undefined);
  given(GUI).edit({ op: 'set', target: { scope: 'server', virtual: 0, server: 9 }, key: 'weight', value: 1 }).refuses({ scope: 'server', virtual: 0, server: 9 }, undefined);
});

test('several edits at once produce one minimal patch', () => {
  const r = edit(GUI, [
    { op: 'set', target: G, key: 'serial_no', value: 71 },
    { op: 'set', target: S00, key: 'weight', value: 2 },
    { op: 'removeServer', virtual: 0, server: 1 },
  ]);
  assert.ok(r.ok);
  assert.equal(r.patch.length, 3);
  assert.deepEqual(r.patch.map((h) => h.line), [1, 19, 21]);
  assertMinimal(GUI, r.patch, r.text);
});
