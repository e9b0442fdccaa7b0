// The write path: stale edits are refused with what changed, serial_no goes up by one, the old file
// is kept in history/, audit.log gets one line per save, concurrent saves never interleave, and a
// GET never writes anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { follow, makeConsole } from '../testing/console.ts';
import { GLOBAL_OK } from '../testing/forms.ts';
import { SAMPLE } from '../testing/lvs-cf.ts';
import { ConfigStore, versionOf } from './config-store.ts';

test('a save based on a stale version is refused with the changed lines, and nothing is lost', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const formA = c.hidden((await c.get('/secure/virtual/0/edit')).body);
  // Someone edits lvs.cf by hand meanwhile.
  const handEdited = SAMPLE.replace('scheduler = wlc', 'scheduler = rr');
  await writeFile(c.lvsPath, handEdited);
  const res = await c.post('/secure/virtual/0/edit', { _csrf: formA.csrf, version: formA.version, name: 'web', port: '8080', protocol: 'tcp', address: '192.168.1.100', vip_nmask: '255.255.255.0', sorry_server: '', fwmark: '', device: 'eth0:1', reentry: '15', timeout: '6', quiesce_server: '0', load_monitor: 'none', scheduler: 'wlc', persistent: '', pmask: '' });
  assert.equal(res.statusCode, 409);
  assert.match(res.body, /lvs\.cf changed while you were editing/);
  assert.match(res.body, /<span class="removed">-\s+22 {2}     scheduler = wlc<\/span>\n<span class="added">\+\s+22 {2}     scheduler = rr<\/span>/);
  assert.match(res.body, /<code>8080<\/code>/);
  assert.match(res.body, /href="\/secure\/virtual\/0\/edit">Reload the form/);
  assert.equal(await c.lvs(), handEdited);
});

test('two browsers: the second save of the same version gets a conflict', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const a = c.hidden((await c.get('/secure/global')).body);
  const b = c.hidden((await c.get('/secure/global')).body);
  const first = await c.post('/secure/global', { _csrf: a.csrf, version: a.version, ...GLOBAL_OK, network: 'direct' });
  assert.equal(first.statusCode, 303);
  const second = await c.post('/secure/global', { _csrf: b.csrf, version: b.version, ...GLOBAL_OK, primary: '10.0.0.77', network: 'direct' });
  assert.equal(second.statusCode, 409);
  assert.match(second.body, /<span class="added">\+\s+\d+ {2}primary = 10\.0\.0\.2<\/span>/);
  assert.match(await c.lvs(), /primary = 10\.0\.0\.2/);
});

test('serial_no + 1, history kept, audit line, atomic write leaves no temp file', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const res = await c.submit('/secure/global', '/secure/global', { ...GLOBAL_OK, network: 'direct' });
  await follow(c, res);
  assert.match(await c.lvs(), /^serial_no = 8$/m);
  // The file as found (a full copy) and the saved version (its changed lines).
  assert.deepEqual((await readdir(join(c.root, 'history'))).sort(), ['0000000001.json', '0000000001.text.gz', '0000000002.json']);
  const store = new ConfigStore(c.root);
  assert.equal(await store.textOf(versionOf(SAMPLE)), SAMPLE);
  const audit = (await readFile(join(c.root, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(audit.length, 1);
  assert.equal(audit[0].action, 'global settings');
  assert.equal(audit[0].client, '127.0.0.1');
  assert.deepEqual(audit[0].serial, [7, 8]);
  assert.equal(audit[0].version[0], versionOf(SAMPLE));
  assert.ok(audit[0].changes.some((ch: { removed: string; inserted: string }) => ch.removed.includes('primary = 10.0.0.1') && ch.inserted.includes('primary = 10.0.0.2')));
  assert.deepEqual((await readdir(c.root)).filter((n) => n.endsWith('.tmp')), []);
});

test('GET never writes: lvs.cf, history and audit.log stay untouched by page views', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const before = await stat(c.lvsPath);
  for (const url of ['/secure/control', '/secure/global', '/secure/redundancy', '/secure/virtual', '/secure/virtual/0/edit', '/secure/virtual/0/real', '/secure/virtual/0/real/1/edit', '/secure/virtual/0/scripts']) {
    assert.equal((await c.get(url)).statusCode, 200, url);
  }
  const after = await stat(c.lvsPath);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.equal(await c.lvs(), SAMPLE);
  assert.deepEqual((await readdir(c.root)).sort(), ['conf', 'lvs.cf', 'web']);
});

test('concurrent saves on one file are serialised: exactly one wins per version', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const store = new ConfigStore(c.root);
  const base = versionOf(SAMPLE);
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      store.save({ baseVersion: base, client: 'test', action: `w${i}`, build: () => [{ op: 'set', target: { scope: 'global' }, key: 'keepalive', value: 10 + i }] }),
    ),
  );
  assert.equal(results.filter((r) => r.kind === 'saved').length, 1);
  assert.equal(results.filter((r) => r.kind === 'conflict').length, 7);
  assert.match(await c.lvs(), /^serial_no = 8$/m);
  // Chained saves, each on the version before it, all succeed in order.
  let version = versionOf(await c.lvs());
  for (let i = 0; i < 5; i++) {
    const r = await store.save({ baseVersion: version, client: 'test', action: `c${i}`, build: () => [{ op: 'set', target: { scope: 'global' }, key: 'deadtime', value: 20 + i }] });
    assert.equal(r.kind, 'saved');
    if (r.kind === 'saved') version = r.snapshot.version;
  }
  assert.match(await c.lvs(), /^serial_no = 13$/m);
  assert.match(await c.lvs(), /^deadtime = 24$/m);
});

test('the library\'s refusal leaves the file alone and is shown on the form', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  // Activating a virtual server with VIP 0.0.0.0 is refused by the library's validation.
  let res = await c.submit('/secure/virtual', '/secure/virtual', { action: 'add' });
  await follow(c, res);
  const before = await c.lvs();
  res = await c.submit('/secure/virtual', '/secure/virtual', { action: 'toggle', selected: '1' });
  const page = await follow(c, res);
  assert.match(page.body, /Nothing was saved/);
  assert.match(page.body, /no virtual IP address/);
  assert.equal(await c.lvs(), before);
});

test('a long run of one-line saves of a large file: the bytes on disk are exactly the edited text each time', async (t) => {
  const { generate } = await import('../testing/generated-lvs-cf.ts');
  const { edit } = await import('../lvs-cf/index.ts');
  const { tempRoot } = await import('../testing/temp.ts');
  const tmp = await tempRoot('piranha-store-');
  t.after(() => tmp.remove());
  let text = generate(40);
  await writeFile(join(tmp.root, 'lvs.cf'), text);
  const store = new ConfigStore(tmp.root);
  // More saves than the chunks the store keeps before joining them (file-bytes.ts), with lines added
  // and removed, so offsets move; a hand edit with a non-ASCII comment makes the text wider than one byte a character.
  for (let i = 0; i < 80; i++) {
    const snap = await store.read();
    const edits = i % 3 === 0 ? [{ op: 'addServer' as const, virtual: 20, name: `n${i}`, fields: { address: '10.9.9.9' } }] : i % 3 === 1 ? [{ op: 'removeServer' as const, virtual: 20, server: 20 }] : [{ op: 'set' as const, target: { scope: 'server' as const, virtual: (i * 7) % 40, server: 3 }, key: 'weight', value: i }];
    const r = await store.save({ baseVersion: snap.version, client: 'test', action: 'a save', build: () => edits });
    assert.equal(r.kind, 'saved');
    const expected = edit(text, [...edits, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: (snap.parsed.model?.serial_no ?? 0) + 1 }]);
    assert.ok(expected.ok);
    text = expected.text;
    const disk = await readFile(join(tmp.root, 'lvs.cf'));
    assert.equal(disk.toString('utf8'), text, `save ${i}`);
    assert.equal(r.kind === 'saved' && r.snapshot.version, versionOf(text));
    if (i === 60) {
      // A hand edit adds a comment in UTF-8 with a character of two bytes: offsets in the text are
      // no longer offsets in the bytes, and the saves after it still write exactly the text.
      text = text.replace('virtual ', '# café\nvirtual ');
      await writeFile(join(tmp.root, 'lvs.cf'), text);
    }
  }
  // The text read back through the store and through history/ is the file.
  const last = await store.read();
  assert.equal(last.text, text);
  assert.equal(await store.textOf(last.version), text);
});
