// Every panel end to end through app.inject(): GET shows the file's values, ACCEPT writes exactly the
// expected lines (comments and unknown keys survive, serial_no + 1), and every invalid value is
// shown beside its field with lvs.cf untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { follow, makeConsole, type Console } from '../testing/console.ts';
import { GLOBAL_OK, REAL_OK, REDUNDANCY_OK, SCRIPTS_OK, VIRTUAL_OK } from '../testing/forms.ts';
import { SAMPLE } from '../testing/lvs-cf.ts';

function fieldError(html: string, field: string): string {
  return new RegExp(`id="err-${field}" role="alert">([^<]*)<`).exec(html)?.[1] ?? '';
}
function flash(html: string): string {
  return (/<div class="flash[^"]*" role="status">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '').replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}

type Refusal = [patch: Record<string, string>, field: string, message: RegExp];

/**
 * The form at `path` refuses `valid` changed by each refusal's patch: 422, the message beside its
 * field, the form still showing what was typed, and lvs.cf as it was.
 */
async function assertRefused(c: Console, path: string, valid: Record<string, string>, refusals: Refusal[]): Promise<void> {
  const before = await c.lvs();
  for (const [patch, field, message] of refusals) {
    const res = await c.submit(path, path, { ...valid, ...patch });
    assert.equal(res.statusCode, 422, JSON.stringify(patch));
    assert.match(fieldError(res.body, field), message, JSON.stringify(patch));
    assert.match(res.body, new RegExp(`name="${field}"`), JSON.stringify(patch));
    assert.equal(await c.lvs(), before);
  }
}

test('GLOBAL SETTINGS shows the file and saves every field', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const page = await c.get('/secure/global');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /name="primary" type="text" value="10\.0\.0\.1"/);
  assert.match(page.body, /value="direct" checked/);
  const res = await c.submit('/secure/global', '/secure/global', { ...GLOBAL_OK, action: 'accept' });
  const after = await follow(c, res);
  assert.match(flash(after.body), /Saved: global settings \(lvs\.cf serial 8\)/);
  const text = await c.lvs();
  for (const line of ['serial_no = 8', 'primary = 10.0.0.2', 'primary_private = 10.1.0.1', 'network = nat', 'nat_router = 10.1.0.254 eth1:1', 'nat_nmask = 255.255.255.0', 'tcp_timeout = 900', 'tcpfin_timeout = 120', 'udp_timeout = 300']) {
    assert.ok(text.split('\n').includes(line), `missing line "${line}" in\n${text}`);
  }
  assert.match(text, /# hand-written comment: must survive every save/);
  assert.match(text, /hard_shutdown = 0/);
  assert.match(after.body, /name="nat_dev" type="text" value="eth1:1"/);

  // Direct routing removes the NAT router lines; a blank private IP removes primary_private.
  const res2 = await c.submit('/secure/global', '/secure/global', { ...GLOBAL_OK, network: 'direct', primary_private: '', tcp_timeout: '' });
  assert.equal(res2.statusCode, 303);
  const text2 = await c.lvs();
  assert.doesNotMatch(text2, /nat_router|nat_nmask|primary_private|tcp_timeout/);
  assert.match(text2, /network = direct/);
  assert.match(text2, /serial_no = 9/);
});

test('GLOBAL SETTINGS: an unchanged form writes nothing', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const page = await c.get('/secure/global');
  const h = c.hidden(page.body);
  const res = await c.post('/secure/global', { _csrf: h.csrf, version: h.version, primary: '10.0.0.1', primary_private: '', network: 'direct', nat_ip: '', nat_nmask: '', nat_dev: '', tcp_timeout: '', tcpfin_timeout: '', udp_timeout: '' });
  const after = await follow(c, res);
  assert.match(flash(after.body), /Nothing changed/);
  assert.equal(await c.lvs(), SAMPLE);
});

test('GLOBAL SETTINGS: field errors are placed beside their fields and nothing is written', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  await assertRefused(c, '/secure/global', GLOBAL_OK, [
    [{ primary: '' }, 'primary', /Required/],
    [{ primary: '10.0.0.300' }, 'primary', /Not an IPv4 address/],
    [{ network: 'bridge' }, 'network', /Choose NAT, Direct Routing or Tunneling/],
    [{ nat_ip: '' }, 'nat_ip', /Required for NAT/],
    [{ nat_dev: '' }, 'nat_dev', /Required for NAT/],
    [{ nat_dev: 'eth 1' }, 'nat_dev', /Not an interface name/],
    [{ nat_nmask: '255.0.255.0' }, 'nat_nmask', /Choose a netmask/],
    [{ tcp_timeout: '-1' }, 'tcp_timeout', /whole number/],
    [{ udp_timeout: '1.5' }, 'udp_timeout', /whole number/],
    [{ tcpfin_timeout: '99999999999' }, 'tcpfin_timeout', /between 0 and/],
  ]);
});

test('REDUNDANCY: ENABLE, every field, DISABLE and RESET', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE.replace('primary = 10.0.0.1\n', 'primary = 10.0.0.1\nprimary_private = 10.1.0.1\n') });
  let page = await c.get('/secure/redundancy');
  assert.match(page.body, /Backup: <strong class="state-down">inactive/);
  assert.match(page.body, /value="enable"/);
  assert.doesNotMatch(page.body, /name="backup"/);
  // ENABLE without a backup address asks for it first; nothing is written yet.
  const before = await c.lvs();
  let res = await c.submit('/secure/redundancy', '/secure/redundancy', { action: 'enable' });
  page = await follow(c, res);
  assert.match(flash(page.body), /Enter the redundant server's address/);
  assert.match(page.body, /name="backup_private"/);
  assert.equal(await c.lvs(), before);
  // ACCEPT on that form enables the backup with its fields.
  res = await c.submit('/secure/redundancy?enable=1', '/secure/redundancy', { ...REDUNDANCY_OK, enable: '1', action: 'accept' });
  assert.equal(res.statusCode, 303, res.body);
  page = await follow(c, res);
  assert.match(page.body, /Backup: <strong class="state-up">active/);
  assert.match(await c.lvs(), /backup_active = 1/);
  const text = await c.lvs();
  for (const line of ['backup = 10.0.0.3', 'backup_private = 10.1.0.3', 'keepalive = 2', 'deadtime = 10', 'heartbeat_port = 1539', 'monitor_links = 1', 'syncdaemon = 1', 'syncd_iface = eth2', 'syncd_id = 7']) {
    assert.ok(text.split('\n').includes(line), `missing "${line}" in\n${text}`);
  }
  // Unchecking a checkbox writes 0.
  res = await c.submit('/secure/redundancy', '/secure/redundancy', { ...REDUNDANCY_OK, monitor_links: '', syncdaemon: '' });
  assert.equal(res.statusCode, 303);
  assert.match(await c.lvs(), /monitor_links = 0[\s\S]*syncdaemon = 0/);

  res = await c.submit('/secure/redundancy', '/secure/redundancy', { action: 'reset' });
  assert.equal(res.statusCode, 303);
  const reset = await c.lvs();
  assert.match(reset, /backup = 0\.0\.0\.0/);
  assert.match(reset, /keepalive = 6/);
  assert.match(reset, /deadtime = 18/);
  assert.match(reset, /heartbeat_port = 539/);
  assert.doesNotMatch(reset, /backup_private/);

  assert.match(reset, /backup_active = 0/);
  // With an address already set, ENABLE saves at once; DISABLE keeps the address.
  res = await c.submit('/secure/redundancy?enable=1', '/secure/redundancy', { ...REDUNDANCY_OK, enable: '1' });
  assert.equal(res.statusCode, 303);
  res = await c.submit('/secure/redundancy', '/secure/redundancy', { action: 'disable' });
  res = await c.submit('/secure/redundancy', '/secure/redundancy', { action: 'enable' });
  assert.equal(String(res.headers.location).split('?')[0], '/secure/redundancy');
  assert.match(await c.lvs(), /backup_active = 1/);
});

test('REDUNDANCY: errors beside fields; the private field only with a private primary', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE.replace('backup_active = 0', 'backup_active = 1') });
  const page = await c.get('/secure/redundancy');
  assert.doesNotMatch(page.body, /name="backup_private"/);
  assert.match(page.body, /Primary server private IP/);
  await assertRefused(c, '/secure/redundancy', REDUNDANCY_OK, [
    [{ backup: 'not an ip!' }, 'backup', /Not an IPv4 address or host name/],
    [{ keepalive: '0' }, 'keepalive', /between 1 and/],
    [{ deadtime: '1' }, 'deadtime', /longer than the heartbeat interval/],
    [{ heartbeat_port: '70000' }, 'heartbeat_port', /between 1 and 65535/],
    [{ syncd_iface: '' }, 'syncd_iface', /Required when the sync daemon/],
    [{ syncd_id: '256' }, 'syncd_id', /between 0 and 255/],
  ]);
  // A blank heartbeat port means 539.
  const res = await c.submit('/secure/redundancy', '/secure/redundancy', { ...REDUNDANCY_OK, heartbeat_port: '' });
  assert.equal(res.statusCode, 303);
  assert.match(await c.lvs(), /heartbeat_port = 539/);
});

test('VIRTUAL SERVERS: table, ADD, EDIT every field, (DE)ACTIVATE, DELETE', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  let page = await c.get('/secure/virtual');
  assert.match(page.body, /<td class="state-up">up<\/td><td><label for="vs-0">web<\/label><\/td><td>192\.168\.1\.100<\/td><td>255\.255\.255\.0<\/td><td>80<\/td><td>tcp<\/td><td>eth0:1<\/td>/);

  let res = await c.submit('/secure/virtual', '/secure/virtual', { action: 'add' });
  assert.equal(res.headers.location?.toString().split('?')[0], '/secure/virtual/1/edit');
  page = await follow(c, res);
  assert.match(flash(page.body), /Added the virtual server new_virtual/);
  assert.match(page.body, /name="name" type="text" value="new_virtual"/);
  assert.match(await c.lvs(), /virtual new_virtual \{\n     active = 0\n     address = 0\.0\.0\.0 eth0:1/);

  res = await c.submit('/secure/virtual/1/edit', '/secure/virtual/1/edit', { ...VIRTUAL_OK, name: 'my www' });
  page = await follow(c, res);
  assert.match(flash(page.body), /"my www" was saved as "my_www"/);
  const text = await c.lvs();
  const block = text.slice(text.indexOf('virtual my_www {'));
  for (const line of ['address = 192.168.1.200 eth0:2', 'vip_nmask = 255.255.255.0', 'sorry_server = 192.168.1.99', 'fwmark = 80', 'port = 443', 'persistent = 300', 'pmask = 255.255.0.0', 'load_monitor = rup', 'scheduler = sh', 'protocol = tcp', 'timeout = 5', 'reentry = 30', 'quiesce_server = 1']) {
    assert.ok(block.split('\n').map((l) => l.trim()).includes(line), `missing "${line}" in\n${block}`);
  }
  // The first virtual server is untouched.
  assert.ok(text.startsWith(SAMPLE.slice(0, SAMPLE.indexOf('virtual web {')).replace('serial_no = 7', 'serial_no = 9')));

  res = await c.submit('/secure/virtual', '/secure/virtual', { action: 'toggle', selected: '1' });
  page = await follow(c, res);
  assert.match(await c.lvs(), /virtual my_www \{\n     active = 1/);
  assert.match(page.body, /value="1" id="vs-1" aria-label="select my_www" checked/);

  res = await c.submit('/secure/virtual', '/secure/virtual', { action: 'edit', selected: '0' });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/secure/virtual/0/edit');

  res = await c.submit('/secure/virtual', '/secure/virtual', { action: 'delete', selected: '0' });
  assert.equal(res.statusCode, 303);
  const after = await c.lvs();
  assert.doesNotMatch(after, /virtual web/);
  assert.match(after, /virtual my_www/);
  assert.match(after, /# hand-written comment/);

  res = await c.submit('/secure/virtual', '/secure/virtual', { action: 'delete' });
  assert.equal(res.statusCode, 422);
  assert.match(fieldError(res.body, 'selected'), /Select a virtual server first/);
});

test('VIRTUAL SERVER: every field error, and the library\'s own checks beside the field', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  await assertRefused(c, '/secure/virtual/0/edit', VIRTUAL_OK, [
    [{ name: '' }, 'name', /Required/],
    [{ name: 'a{b' }, 'name', /quotes, braces/],
    [{ port: '0' }, 'port', /between 1 and 65535/],
    [{ port: 'http' }, 'port', /whole number/],
    [{ protocol: 'sctp' }, 'protocol', /TCP or UDP/],
    [{ address: '300.1.1.1' }, 'address', /Not an IPv4 address/],
    [{ vip_nmask: '1.2.3.4' }, 'vip_nmask', /Choose a netmask/],
    [{ sorry_server: 'host.example' }, 'sorry_server', /Not an IPv4 address/],
    [{ fwmark: 'x' }, 'fwmark', /whole number/],
    [{ device: '' }, 'device', /Required/],
    [{ reentry: '' }, 'reentry', /Required/],
    [{ timeout: '0' }, 'timeout', /between 1 and/],
    [{ quiesce_server: '2' }, 'quiesce_server', /Yes or No/],
    [{ load_monitor: '/bin/evil' }, 'load_monitor', /Choose none, rup or ruptime/],
    [{ scheduler: 'sed' }, 'scheduler', /scheduling algorithm/],
    [{ persistent: '-5' }, 'persistent', /whole number/],
    [{ pmask: 'x' }, 'pmask', /Choose a netmask/],
  ]);
  const missing = await c.get('/secure/virtual/5/edit');
  assert.equal(missing.statusCode, 404);
  const junk = await c.get('/secure/virtual/abc/edit');
  assert.equal(junk.statusCode, 404);
});

test('REAL SERVER: list, ADD, EDIT every field, blank port, (DE)ACTIVATE, DELETE, errors', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  let page = await c.get('/secure/virtual/0/real');
  assert.match(page.body, /<label for="rs-1">r2<\/label><\/td><td><a href="\/secure\/host\?address=192\.168\.1\.12"[^>]*>192\.168\.1\.12<\/a><\/td><td>8080<\/td><td>2<\/td>/);

  let res = await c.submit('/secure/virtual/0/real', '/secure/virtual/0/real', { action: 'add' });
  assert.equal(String(res.headers.location).split('?')[0], '/secure/virtual/0/real/2/edit');
  res = await c.submit('/secure/virtual/0/real/2/edit', '/secure/virtual/0/real/2/edit', { ...REAL_OK, name: 'back end 9' });
  page = await follow(c, res);
  assert.match(flash(page.body), /"back end 9" was saved as "back_end_9"/);
  let text = await c.lvs();
  assert.match(text, /     server back_end_9 \{\n[^}]*address = 192\.168\.1\.19[^}]*port = 8443[^}]*weight = 5[^}]*\}/);

  // Blank port = the virtual server's port: the port line goes away.
  res = await c.submit('/secure/virtual/0/real/2/edit', '/secure/virtual/0/real/2/edit', { ...REAL_OK, name: 'back_end_9', port: '' });
  assert.equal(res.statusCode, 303);
  text = await c.lvs();
  assert.doesNotMatch(text.slice(text.indexOf('server back_end_9')), /port = 8443/);

  res = await c.submit('/secure/virtual/0/real', '/secure/virtual/0/real', { action: 'toggle', selected: '2' });
  assert.equal(res.statusCode, 303);
  assert.match(await c.lvs(), /server back_end_9 \{[^}]*active = 1/);
  res = await c.submit('/secure/virtual/0/real', '/secure/virtual/0/real', { action: 'toggle', selected: '0' });
  assert.match(await c.lvs(), /server r1 \{[^}]*active = 0/);

  res = await c.submit('/secure/virtual/0/real', '/secure/virtual/0/real', { action: 'delete', selected: '1' });
  assert.equal(res.statusCode, 303);
  assert.doesNotMatch(await c.lvs(), /server r2/);

  await assertRefused(c, '/secure/virtual/0/real/0/edit', REAL_OK, [
    [{ name: 'a#b' }, 'name', /quotes, braces, #/],
    [{ address: '' }, 'address', /Required/],
    [{ address: '1.2.3' }, 'address', /Not an IPv4 address/],
    [{ port: '65536' }, 'port', /between 1 and 65535/],
    [{ weight: '-1' }, 'weight', /whole number/],
    [{ weight: '70000' }, 'weight', /between 0 and 65535/],
  ]);
});

test('MONITORING SCRIPTS: every field and the three blank buttons', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  let page = await c.get('/secure/virtual/0/scripts');
  assert.match(page.body, /name="send" type="text" value="GET \/ HTTP\/1\.0\\r\\n\\r\\n"/);
  let res = await c.submit('/secure/virtual/0/scripts', '/secure/virtual/0/scripts', { ...SCRIPTS_OK, action: 'accept' });
  assert.equal(res.statusCode, 303, res.body);
  let text = await c.lvs();
  assert.match(text, /send_program = "\/usr\/local\/bin\/check-dns %h"/);
  assert.match(text, /send = "quit\\r\\n"/);
  assert.match(text, /expect = "220"/);
  assert.match(text, /use_regex = 1/);
  for (const [button, gone] of [['no_send_program', /send_program/], ['blank_send', /\bsend = /], ['blank_expect', /expect = /]] as const) {
    res = await c.submit('/secure/virtual/0/scripts', '/secure/virtual/0/scripts', { ...SCRIPTS_OK, action: button });
    assert.equal(res.statusCode, 303);
    text = await c.lvs();
    assert.doesNotMatch(text, gone, button);
  }
  res = await c.submit('/secure/virtual/0/scripts', '/secure/virtual/0/scripts', { ...SCRIPTS_OK, send: 'say "hi"' });
  assert.equal(res.statusCode, 422);
  assert.match(fieldError(res.body, 'send'), /double quote/);
  res = await c.submit('/secure/virtual/0/scripts', '/secure/virtual/0/scripts', { ...SCRIPTS_OK, send_program: ' /bin/x' });
  assert.match(fieldError(res.body, 'send_program'), /Start with the program path/);
});

test('inline validation returns the field\'s error fragment', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const page = await c.get('/secure/virtual/0/edit');
  const h = c.hidden(page.body);
  let res = await c.post('/secure/validate/virtual/port', { _csrf: h.csrf, port: '99999' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<span class="field-error" id="err-port" role="alert">Must be between 1 and 65535\.<\/span>/);
  res = await c.post('/secure/validate/virtual/port', { _csrf: h.csrf, port: '8080' });
  assert.match(res.body, /id="err-port" role="alert"><\/span>/);
  res = await c.post('/secure/validate/virtual/nonsense', { _csrf: h.csrf });
  assert.equal(res.statusCode, 404);
  assert.equal(await c.lvs(), SAMPLE);
});

test('a missing lvs.cf is a new configuration created on the first save', async (t) => {
  const c = await makeConsole(t);
  const page = await c.get('/secure/virtual');
  assert.match(page.body, /No virtual servers yet/);
  const res = await c.submit('/secure/global', '/secure/global', { ...GLOBAL_OK, network: 'direct' });
  assert.equal(res.statusCode, 303, res.body);
  const text = await c.lvs();
  assert.match(text, /^serial_no = 1\n/);
  assert.match(text, /primary = 10\.0\.0\.2/);
});

test('a file with syntax errors is shown with its positioned errors and never edited', async (t) => {
  const broken = 'serial_no = 1\nprimary = 10.0.0.1 # inline comment\n';
  const c = await makeConsole(t, { lvs: broken });
  const page = await c.get('/secure/global');
  assert.equal(page.statusCode, 500);
  assert.match(page.body, /lvs\.cf:2:\d+: error\[/);
  assert.equal(await c.lvs(), broken);
});
