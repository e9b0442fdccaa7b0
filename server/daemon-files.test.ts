// Files the original daemons run open in the console, over real HTTP: quoted values and a
// non-ASCII name as they are (a save of an unrelated field keeps every other byte), a Latin-1 file
// kept Latin-1, and files with one of the documented exceptions shown read-only with their errors
// and a way to fix each from the console. What a form writes stays strict.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AUTH, startConsole } from '../testing/console.ts';

/** A file pulse runs: quoted values (the daemons strip quotes from every word) and a non-ASCII name. */
const QUOTED = `serial_no = 3
primary = "10.0.0.1"
service = lvs
backup_active = "0"
backup = "10.1.2.105"
network = direct
virtual café {
     active = "1"
     address = 192.168.1.100 eth0:1
     port = "80"
     send = "GET / HTTP/1.0\\r\\n\\r\\n"
     expect = "HTTP"
     scheduler = wlc
     timeout = 6
     server r1 {
         address = "192.168.1.11"
         active = '1'
         weight = 1
     }
}
`;

interface Page {
  status: number;
  body: string;
  location: string | null;
}

/** The real console (piranha-gui listening on loopback), spoken to with fetch the way a browser would. */
async function http(t: TestContext, lvs: string | Buffer) {
  const h = await startConsole({ prepare: (root) => writeFile(join(root, 'lvs.cf'), lvs) });
  t.after(() => h.close());
  const url = h.url;
  const get = async (path: string): Promise<Page> => {
    const r = await fetch(url + path, { headers: { authorization: AUTH }, redirect: 'manual' });
    return { status: r.status, body: await r.text(), location: r.headers.get('location') };
  };
  /** GETs the form page, then POSTs its csrf token and version with `fields`. */
  const submit = async (formPath: string, action: string, fields: Record<string, string>): Promise<Page> => {
    const page = await get(formPath);
    assert.equal(page.status, 200, page.body.slice(0, 400));
    const csrf = /name="_csrf" value="([^"]*)"/.exec(page.body)?.[1] ?? '';
    const version = /name="version" value="([^"]*)"/.exec(page.body)?.[1] ?? '';
    const r = await fetch(url + action, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded', origin: url },
      body: new URLSearchParams({ _csrf: csrf, version, ...fields }).toString(),
      redirect: 'manual',
    });
    return { status: r.status, body: await r.text(), location: r.headers.get('location') };
  };
  const bytes = () => readFile(h.lvsPath);
  return { get, submit, bytes };
}

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}

/** The virtual server form as the page shows it, with `patch` applied. */
function virtualFields(html: string, patch: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { action: 'accept' };
  for (const m of html.matchAll(/<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"/g)) if (!['_csrf', 'version'].includes(m[1]!)) out[m[1]!] = m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
  for (const m of html.matchAll(/<select[^>]*name="([a-z_]+)"[\s\S]*?<\/select>/g)) {
    const sel = /<option value="([^"]*)" selected/.exec(m[0]);
    out[m[1]!] = sel ? sel[1]! : '';
  }
  for (const m of html.matchAll(/<input type="radio" name="([a-z_]+)" value="([^"]*)" checked/g)) out[m[1]!] = m[2]!;
  return { ...out, ...patch };
}

test('a file with quoted values and a non-ASCII name opens, and saving an unrelated field keeps every other byte', async (t) => {
  const h = await http(t, QUOTED);
  const list = await h.get('/secure/virtual');
  assert.equal(list.status, 200);
  assert.match(list.body, /café/);
  assert.doesNotMatch(list.body, /lvs\.cf has errors/);
  const edit = await h.get('/secure/virtual/0/edit');
  assert.equal(edit.status, 200);
  assert.match(edit.body, /name="name" type="text" value="café"/);
  assert.match(edit.body, /name="port" type="text" value="80"/);
  const real = await h.get('/secure/virtual/0/real/0/edit');
  assert.equal(real.status, 200);
  assert.match(real.body, /value="192\.168\.1\.11"/);

  // GLOBAL SETTINGS: a new primary address. Only that line and serial_no change.
  const res = await h.submit('/secure/global', '/secure/global', { primary: '10.0.0.2', primary_private: '', network: 'direct', nat_ip: '', nat_nmask: '', nat_dev: '', tcp_timeout: '', tcpfin_timeout: '', udp_timeout: '' });
  assert.equal(res.status, 303, res.body.slice(0, 600));
  const expected = QUOTED.replace('serial_no = 3', 'serial_no = 4').replace('primary = "10.0.0.1"', 'primary = 10.0.0.2');
  assert.equal((await h.bytes()).toString('utf8'), expected);

  // The virtual server's own form: its name is kept as it is while another field changes.
  const form = await h.get('/secure/virtual/0/edit');
  const res2 = await h.submit('/secure/virtual/0/edit', '/secure/virtual/0/edit', virtualFields(form.body, { port: '8080' }));
  assert.equal(res2.status, 303, text(res2.body).slice(0, 600));
  assert.equal((await h.bytes()).toString('utf8'), expected.replace('serial_no = 4', 'serial_no = 5').replace('port = "80"', 'port = 8080'));
});

test('what a form writes stays strict: "1"-style and non-ASCII input is refused, nothing is written', async (t) => {
  const h = await http(t, QUOTED);
  const before = await h.bytes();
  const form = await h.get('/secure/virtual/0/edit');
  const cases: [Record<string, string>, RegExp][] = [
    [{ port: '"80"' }, /whole number/],
    [{ timeout: "'6'" }, /whole number/],
    [{ address: '"192.168.1.100"' }, /Not an IPv4 address/],
    [{ name: 'crème' }, /plain ASCII/],
    [{ port: '4294967376' }, /between 1 and 65535/],
  ];
  for (const [patch, message] of cases) {
    const res = await h.submit('/secure/virtual/0/edit', '/secure/virtual/0/edit', virtualFields(form.body, patch));
    assert.equal(res.status, 422, JSON.stringify(patch));
    assert.match(text(res.body), message, JSON.stringify(patch));
    assert.deepEqual(await h.bytes(), before, JSON.stringify(patch));
  }
});

test('a Latin-1 file opens and is written back in Latin-1', async (t) => {
  const latin1 = Buffer.from(QUOTED.replace('virtual café {', '# caf\u00e9 au lait\nvirtual cafe {'), 'latin1');
  const h = await http(t, latin1);
  const page = await h.get('/secure/global');
  assert.equal(page.status, 200);
  const res = await h.submit('/secure/global', '/secure/global', { primary: '10.0.0.9', primary_private: '', network: 'direct', nat_ip: '', nat_nmask: '', nat_dev: '', tcp_timeout: '', tcpfin_timeout: '', udp_timeout: '' });
  assert.equal(res.status, 303, res.body.slice(0, 600));
  const after = await h.bytes();
  assert.ok(after.includes(Buffer.from('# caf\xe9 au lait\n', 'latin1')), 'the Latin-1 comment keeps its bytes');
  assert.deepEqual(after, Buffer.from(latin1.toString('latin1').replace('serial_no = 3', 'serial_no = 4').replace('primary = "10.0.0.1"', 'primary = 10.0.0.9'), 'latin1'));
});

const CRLF = QUOTED.replace('virtual café', 'virtual web').replace(/\n/g, '\r\n');

async function refusesUnrelatedSave(h: Awaited<ReturnType<typeof http>>, problem: RegExp): Promise<void> {
  const before = await h.bytes();
  const res = await h.submit('/secure/global', '/secure/global', { primary: '10.0.0.5', primary_private: '', network: 'direct', nat_ip: '', nat_nmask: '', nat_dev: '', tcp_timeout: '', tcpfin_timeout: '', udp_timeout: '' });
  assert.equal(res.status, 422);
  assert.match(text(res.body), /Nothing was saved/);
  assert.match(text(res.body), problem);
  assert.deepEqual(await h.bytes(), before);
}

test('CRLF: opens read-only with the error and a button that converts the file to LF', async (t) => {
  const h = await http(t, CRLF);
  for (const path of ['/secure/control', '/secure/global', '/secure/virtual', '/secure/virtual/0/edit']) {
    const page = await h.get(path);
    assert.equal(page.status, 200, path);
    assert.match(text(page.body), /lvs\.cf has errors: .*Windows \(CRLF\) line endings: the daemons would read only the first line/, path);
    assert.match(page.body, /<button type="submit" name="action" value="fix">CONVERT TO LF LINE ENDINGS<\/button>/, path);
  }
  await refusesUnrelatedSave(h, /CRLF|line endings/);
  const res = await h.submit('/secure/global', '/secure/lvs.cf/line-endings', { back: '/secure/global', action: 'fix' });
  assert.equal(res.status, 303, res.body.slice(0, 600));
  assert.match(String(res.location), /^\/secure\/global/);
  assert.equal((await h.bytes()).toString('utf8'), CRLF.replace(/\r\n/g, '\n').replace('serial_no = 3', 'serial_no = 4'));
  const fixed = await h.get('/secure/global');
  assert.doesNotMatch(fixed.body, /lvs\.cf has errors/);
});

test('a stray carriage return: the same button makes every line end in LF', async (t) => {
  const stray = QUOTED.replace('virtual café', 'virtual web').replace('network = direct\n', 'network = direct\r\n');
  const h = await http(t, stray);
  const page = await h.get('/secure/global');
  assert.match(text(page.body), /a carriage return in a file with LF line endings/);
  const res = await h.submit('/secure/global', '/secure/lvs.cf/line-endings', { back: '/secure/global', action: 'fix' });
  assert.equal(res.status, 303);
  assert.equal((await h.bytes()).toString('utf8'), stray.replace('\r\n', '\n').replace('serial_no = 3', 'serial_no = 4'));
});

test('timeout = 0: read-only with a link to the form that fixes it', async (t) => {
  const zero = QUOTED.replace('timeout = 6', 'timeout = 0');
  const h = await http(t, zero);
  const page = await h.get('/secure/virtual');
  assert.match(text(page.body), /lvs\.cf line 14: The service timeout must be at least 1 second, not 0: nanny divides by it/);
  assert.match(page.body, /<a class="button" href="\/secure\/virtual\/0\/edit">EDIT virtual server café<\/a>/);
  await refusesUnrelatedSave(h, /timeout/);
  const form = await h.get('/secure/virtual/0/edit');
  // Another field alone does not fix it: refused, beside the timeout field.
  const wrong = await h.submit('/secure/virtual/0/edit', '/secure/virtual/0/edit', virtualFields(form.body, { port: '81' }));
  assert.equal(wrong.status, 422);
  const res = await h.submit('/secure/virtual/0/edit', '/secure/virtual/0/edit', virtualFields(form.body, { timeout: '6' }));
  assert.equal(res.status, 303, text(res.body).slice(0, 800));
  assert.equal((await h.bytes()).toString('utf8'), zero.replace('timeout = 0', 'timeout = 6').replace('serial_no = 3', 'serial_no = 4'));
});

test('two virtual servers with one name: read-only until one is renamed', async (t) => {
  const twice = QUOTED.replace('virtual café', 'virtual web') + 'virtual web {\n     active = 0\n}\n';
  const h = await http(t, twice);
  const page = await h.get('/secure/control');
  assert.match(text(page.body), /There are two virtual servers named "web"/);
  assert.match(page.body, /href="\/secure\/virtual\/1\/edit">EDIT virtual server web</);
  await refusesUnrelatedSave(h, /two virtual servers named/);
  const form = await h.get('/secure/virtual/1/edit');
  const res = await h.submit('/secure/virtual/1/edit', '/secure/virtual/1/edit', virtualFields(form.body, { name: 'web2' }));
  assert.equal(res.status, 303, text(res.body).slice(0, 800));
  const after = (await h.bytes()).toString('utf8');
  assert.match(after, /\nvirtual web2 \{\n/);
  assert.equal(after, twice.replace('serial_no = 3', 'serial_no = 4').replace(/virtual web \{\n     active = 0/, 'virtual web2 {\n     active = 0'));
});
