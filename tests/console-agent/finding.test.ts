// Finding things on a site of 120 virtual servers, against the real console and the real agent on
// loopback: VIRTUAL SERVERS searched, ordered and paged on the server (links and GET forms, the
// htmx region); CONTROL/MONITORING with its counts at the top and its problems first, searched and
// paged through the agent; one host everywhere, drained, taken out of every virtual server and put
// back as one save each, audited, reloaded by the agent, and refused when stale.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { spawnAgent, type SpawnedAgent } from '../../testing/agent.ts';
import { follow, makeConsole, type Console } from '../../testing/console.ts';
import { lvsCf, type TestVirtual } from '../../testing/lvs-cf.ts';
import { freePort, loopback } from '../../testing/net.ts';
import { startReplyServer } from '../../testing/traffic.ts';
import { waitFor } from '../../testing/wait.ts';
import type { Server } from 'node:net';

const VIRTUALS = 120;

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&middot;/g, '·').replace(/\s+/g, ' ').replace(/ ,/g, ',');
}

// One host (`shared`) behind every VIP, one (`own`) behind the even ones, one that never answers
// (`dead`) behind every fortieth.
const shared = loopback();
const own = loopback();
const dead = loopback();
let port = 0;
const backends: Server[] = [];
let site: { console: Console; agent: SpawnedAgent; lvs: string; vips: string[] } | null = null;
const cleanups: (() => Promise<unknown>)[] = [];

function siteCf(vips: string[]): string {
  const virtuals: TestVirtual[] = vips.map((vip, i) => ({
    name: `site${i}`,
    vip,
    port,
    send: 'GET / HTTP/1.0\\r\\n\\r\\n',
    expect: 'HTTP',
    servers: [
      { name: 'shared', address: shared, port },
      ...(i % 2 === 0 ? [{ name: `own${i}`, address: own, port }] : []),
      ...(i % 40 === 0 ? [{ name: 'dead', address: dead, port }] : []),
    ],
  }));
  return lvsCf({ serial: 10, virtuals });
}

before(async () => {
  port = await freePort(shared);
  for (const host of [shared, own]) backends.push(await startReplyServer(host, port, 'HTTP/1.0 200 OK\r\n\r\nok'));
  const vips = Array.from({ length: VIRTUALS }, () => loopback());
  const lvs = siteCf(vips);
  // makeConsole ties its clean-up to a test context; this file shares one site between its tests.
  const hooks: (() => Promise<unknown> | void)[] = [];
  const fakeT = { after: (f: () => Promise<unknown> | void) => hooks.push(f) } as unknown as TestContext;
  const c = await makeConsole(fakeT, { lvs, agentInRoot: true });
  cleanups.push(async () => {
    for (const h of hooks.reverse()) await h();
  });
  const agent = await spawnAgent({ root: c.root, socket: join(c.root, 'agent.sock') });
  cleanups.unshift(() => agent.stop());
  site = { console: c, agent, lvs, vips };
  // Every check has run once: shared and own up, dead down.
  const client = await agent.client();
  await waitFor(async () => {
    const s = (await client.call('checkers', { limit: 0 })).summary!;
    return s.reals.pending === 0 && s.reals.down === 3 && s.reals.inTable === s.reals.up ? s : null;
  }, { timeoutMs: 30_000, message: 'the checks of the site never settled' });
  client.close();
});

after(async () => {
  for (const f of cleanups) await f().catch(() => {});
  for (const b of backends) b.close();
});

test('VIRTUAL SERVERS: pages of 100, a search that goes through real servers, orders, the htmx region', async () => {
  const c = site!.console;
  let page = await c.get('/secure/virtual');
  assert.equal(page.statusCode, 200);
  let body = text(page.body);
  assert.match(body, /Virtual servers 1–100 of 120\./);
  assert.match(body, /site99 /);
  assert.doesNotMatch(body, /site100 /);
  assert.match(page.body, /<a href="\/secure\/virtual\?page=2" rel="next" hx-get="\/secure\/virtual\?page=2" hx-target="#vs-list" hx-swap="outerHTML" hx-push-url="true">next<\/a>/);
  assert.match(page.body, /<form method="get" action="\/secure\/virtual" class="search"/);

  page = await c.get('/secure/virtual?page=2');
  body = text(page.body);
  assert.match(body, /Virtual servers 101–120 of 120\./);
  assert.match(body, /site119 /);

  // A real server's name: every virtual server that has it, and through which real server.
  page = await c.get('/secure/virtual?q=own1');
  body = text(page.body);
  assert.match(body, /Virtual servers 1–15 of 15 matching “own1” \(120 in lvs\.cf\)/, 'own10, own12 … own18 and own100 … own118');
  assert.match(body, /site10 \(real server own10 /);
  // An address: the virtual servers it is a real server of (the search is text: VIPs that contain
  // the address's digits match too), and the way to act on all of them.
  page = await c.get(`/secure/virtual?q=${dead}&per=500`);
  body = text(page.body);
  for (const i of [0, 40, 80]) assert.match(body, new RegExp(`site${i} \\(real server dead ${dead.replace(/\./g, '\\.')}\\)`));
  assert.match(body, new RegExp(`The real server ${dead.replace(/\./g, '\\.')} serves 3 virtual servers: see and act on all of them at once`));
  assert.match(page.body, new RegExp(`href="/secure/host\\?address=${dead.replace(/\./g, '\\.')}"`));
  // A VIP.
  page = await c.get(`/secure/virtual?q=${site!.vips[57]}`);
  assert.match(text(page.body), /site57 /);
  // Orders: by name, site0, site1, site10, …
  page = await c.get('/secure/virtual?sort=name&per=25');
  assert.match(text(page.body), /Virtual servers 1–25 of 120\. .*site0 .*site1 .*site10 .*site100 /);

  // htmx asks for the list's region: the region alone, with the rows of the asked page.
  const region = await c.get('/secure/virtual?page=2', { 'hx-request': 'true', 'hx-target': 'vs-list' });
  assert.match(region.body, /^<div id="vs-list">/);
  assert.doesNotMatch(region.body, /<html/);
  assert.match(text(region.body), /Virtual servers 101–120 of 120/);
});

test('VIRTUAL SERVERS: an action on page 2 comes back to the same view with the row selected', async () => {
  const c = site!.console;
  const page = await c.get('/secure/virtual?page=2&sort=name');
  const { csrf, version } = c.hidden(page.body);
  const index = String(VIRTUALS - 1);
  const res = await c.post('/secure/virtual', { _csrf: csrf, version, action: 'toggle', selected: index, q: '', sort: 'name', per: '100', page: '2' });
  const location = String(res.headers.location);
  assert.match(location, /^\/secure\/virtual\?sort=name&selected=119&flash=/);
  const back = await follow(c, res);
  assert.match(text(back.body), /Saved: deactivate virtual server site119/);
  assert.match(back.body, /id="vs-119" aria-label="select site119" checked/);
  // Put it back.
  const again = c.hidden(back.body);
  await follow(c, await c.post('/secure/virtual', { _csrf: again.csrf, version: again.version, action: 'toggle', selected: index, sort: 'name' }));
});

test('CONTROL/MONITORING: counts at the top, the real servers down first, search and pages through the agent', async () => {
  const c = site!.console;
  let page = await c.get('/secure/control');
  let body = text(page.body);
  // 120 shared + 60 own + 3 dead real servers checked; the dead ones are down.
  assert.match(body, /120 services · 183 real servers checked: 180 up, 3 down, 0 pending · 180 in the routing table/);
  assert.match(body, /PROBLEMS .*Real servers down: 3 Real server Since Last error site0 \/ dead /);
  assert.ok(body.indexOf('PROBLEMS') < body.indexOf('CURRENT LVS ROUTING TABLE'), 'problems before the table');
  assert.match(body, /Services 1–10 of 120, problems first\./);
  assert.match(body, /Checks 1–50 of 183, down first\./);
  // The checks: down first.
  const checks = body.slice(body.indexOf('CURRENT REAL SERVER CHECKS'));
  assert.match(checks, /Last error site0 \/ dead .* down .* site40 \/ dead .* down .* site80 \/ dead .* down /);
  assert.match(page.body, new RegExp(`<a href="/secure/host\\?address=${shared.replace(/\./g, '\\.')}">`));

  page = await c.get('/secure/control?cpage=4');
  assert.match(text(page.body), /Checks 151–183 of 183, down first\./);
  page = await c.get("/secure/control?tpage=12");
  assert.match(text(page.body), /Services 111–120 of 120/);

  page = await c.get('/secure/control?q=site7&state=up');
  body = text(page.body);
  assert.match(body, /Services 1–10 of 11 matching “site7”/);
  assert.match(body, /Checks 1–16 of 16 up matching “site7”/, 'site7 and site70–79 with their shared host, and own70 … own78');
  // The view survives auto update: the polled URL and the refresh keep it.
  page = await c.get('/secure/control?q=site7&auto_update=1&rate=5');
  assert.match(page.body, /hx-get="\/secure\/control\/live\?auto_update=1&amp;rate=5&amp;q=site7"/);
  assert.match(page.body, /content="5;url=\/secure\/control\?auto_update=1&amp;rate=5&amp;q=site7"/);
  const region = await c.get('/secure/control?q=site7&cpage=1', { 'hx-request': 'true', 'hx-target': 'control-live' });
  assert.match(region.body, /^<section id="control-live"/);
});

test('one host everywhere: every virtual server of an address, taken out and put back as one save each', async () => {
  const c = site!.console;
  const client = await site!.agent.client();
  after(() => client.close());
  let page = await c.get(`/secure/host?address=${shared}`);
  assert.equal(page.statusCode, 200);
  let body = text(page.body);
  assert.match(body, new RegExp(`${shared.replace(/\./g, '\\.')} is a real server of 120 virtual servers \\(120 entries: 120 active, 0 inactive\\)`));
  assert.match(body, /Entries 1–100 of 120/);
  assert.match(body, /site0 .* shared .* active up/);
  const next = await c.get(`/secure/host?address=${shared}&page=2`);
  assert.match(text(next.body), /Entries 101–120 of 120/);

  const serial = (t: string) => Number(/serial_no = (\d+)/.exec(t)![1]);
  const before = await c.lvs();
  const auditBefore = (await readFile(join(c.root, 'audit.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  const { csrf, version } = c.hidden(page.body);
  let res = await c.post('/secure/host', { _csrf: csrf, version, address: shared, action: 'deactivate' });
  page = await follow(c, res);
  body = text(page.body);
  assert.match(body, new RegExp(`Saved: deactivate real server ${shared.replace(/\./g, '\\.')} in 120 virtual servers \\(120 real server entries\\): site0, site1, site2, .*site119 \\(lvs\\.cf serial ${serial(before) + 1}\\)`));
  assert.match(body, /The agent reloaded lvs\.cf \(serial \d+, 120 table changes\)/);
  assert.match(body, /120 entries: 0 active, 120 inactive/);
  const after1 = await c.lvs();
  assert.equal(serial(after1), serial(before) + 1, 'one serial increment');
  assert.equal((after1.match(/^ +active = 0$/gm) ?? []).length, 120, 'only the 120 entries changed');
  const audit = (await readFile(join(c.root, 'audit.log'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; changes?: unknown[] });
  const saves = audit.slice(auditBefore).filter((e) => e.changes);
  assert.equal(saves.length, 1, 'one audit entry for the save');
  assert.match(saves[0]!.action, /^deactivate real server .* in 120 virtual servers \(120 real server entries\): site0, site1, .*, site119$/);
  // The agent took the host out of every service.
  const t = await client.call('table', { address: shared, limit: 0 });
  assert.equal(t.page!.total, 0, 'no service has the host any more');

  // Deactivating again changes nothing and says so.
  const again = c.hidden(page.body);
  res = await c.post('/secure/host', { _csrf: again.csrf, version: again.version, address: shared, action: 'deactivate' });
  assert.match(text((await follow(c, res)).body), /already inactive: lvs\.cf was not written/);

  // A form read before someone else saved is refused (409), and nothing is written.
  res = await c.post('/secure/host', { _csrf: again.csrf, version: c.hidden((await c.get('/secure/virtual')).body).version.replace(/^./, (x) => (x === 'a' ? 'b' : 'a')), address: shared, action: 'activate' });
  assert.equal(res.statusCode, 409);
  assert.equal(await c.lvs(), after1);

  res = await c.post('/secure/host', { _csrf: again.csrf, version: again.version, address: shared, action: 'activate' });
  body = text((await follow(c, res)).body);
  assert.match(body, /Saved: activate real server .* in 120 virtual servers/);
  await waitFor(async () => ((await client.call('table', { address: shared, limit: 0 })).page!.total === 120 ? true : null), { timeoutMs: 20_000, message: 'the host back in every service' });
});

test('one host drained everywhere as one save, draining on each DRAIN page, then taken out with its weights written back', async () => {
  const c = site!.console;
  const client = await site!.agent.client();
  after(() => client.close());
  const esc = own.replace(/\./g, '\\.');
  const serial = (t: string) => Number(/serial_no = (\d+)/.exec(t)![1]);
  const noSerial = (t: string) => t.replace(/serial_no = \d+/, '');
  const auditLines = async () => (await readFile(join(c.root, 'audit.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; changes?: unknown[] });
  const drains = async () => (JSON.parse(await readFile(join(c.root, 'drains.json'), 'utf8').catch(() => '{"drains":[]}')) as { drains: { virtual: string; server: string; weights: Record<string, number> }[] }).drains;
  const ownWeights = async () => (await client.call('table', { address: own, limit: 1000 })).services.flatMap((s) => s.reals.filter((r) => r.address === own).map((r) => r.weight));
  const before = await c.lvs();
  const auditBefore = (await auditLines()).length;

  let page = await c.get(`/secure/host?address=${own}`);
  assert.match(text(page.body), /DRAIN EVERYWHERE/);
  assert.doesNotMatch(text(page.body), /UNDRAIN EVERYWHERE/, 'nothing drained yet');
  let { csrf, version } = c.hidden(page.body);
  let res = await c.post('/secure/host', { _csrf: csrf, version, address: own, action: 'drain' });
  page = await follow(c, res);
  let body = text(page.body);
  assert.match(body, new RegExp(`Saved: drain real server ${esc} in 60 virtual servers \\(60 real server entries\\): site0, site2, .*site118 \\(lvs\\.cf serial ${serial(before) + 1}\\)`));
  assert.match(body, /New connections go to the other real servers; open ones stay/);
  assert.match(body, /60 entries: 60 active, 0 inactive, 60 draining/);
  assert.match(body, new RegExp(`Active connections to ${esc}: \\d+ \\.`));
  assert.match(body, /UNDRAIN EVERYWHERE/);
  // It counts itself down: htmx polls the list, without JavaScript the page reloads.
  assert.match(page.body, new RegExp(`<meta http-equiv="refresh" content="5;url=/secure/host\\?address=${esc}"`));
  assert.match(page.body, /<div id="host-list" hx-get="\/secure\/host\?address=[\d.]+" hx-trigger="every 2s"/);
  assert.match(page.body, /<a href="\/secure\/virtual\/0\/real\/1\/drain">draining<\/a>/);
  const drained = await c.lvs();
  assert.equal(serial(drained), serial(before) + 1, 'one serial increment');
  assert.equal((drained.match(/^ +weight = 0$/gm) ?? []).length, 60, 'the 60 entries of the host at weight 0, nothing else');
  const saves = (await auditLines()).slice(auditBefore).filter((e) => e.changes);
  assert.equal(saves.length, 1, 'one audit entry');
  assert.match(saves[0]!.action, /^drain real server .* in 60 virtual servers \(60 real server entries\): site0, site2, .*, site118$/);
  const recorded = await drains();
  assert.equal(recorded.length, 60);
  assert.deepEqual(recorded[0], { ...recorded[0], virtual: 'site0', server: 'own0', weights: { own0: 1 } });
  // The agent keeps it in every service at weight 0 (established connections stay).
  await waitFor(async () => {
    const w = await ownWeights();
    return w.length === 60 && w.every((x) => x === 0) ? true : null;
  }, { timeoutMs: 20_000, message: 'the host at weight 0 in every service' });
  // Each entry's own DRAIN page knows the drain.
  const one = await c.get('/secure/virtual/2/real/1/drain');
  assert.match(text(one.body), /Real server own2 of site2 is draining/);
  assert.match(one.body, /value="undrain"/);

  // Taken out, with the weights written back for after the maintenance.
  ({ csrf, version } = c.hidden(page.body));
  res = await c.post('/secure/host', { _csrf: csrf, version, address: own, action: 'deactivate' });
  page = await follow(c, res);
  body = text(page.body);
  assert.match(body, new RegExp(`Saved: deactivate real server ${esc} in 60 virtual servers`));
  assert.match(body, /60 entries: 0 active, 60 inactive\)/);
  assert.doesNotMatch(page.body, /http-equiv="refresh"/, 'nothing drains any more');
  const out = await c.lvs();
  assert.equal(serial(out), serial(before) + 2);
  assert.equal((out.match(/^ +weight = 0$/gm) ?? []).length, 0, 'every weight written back');
  assert.deepEqual(await drains(), [], 'the drains are over');
  await waitFor(async () => ((await ownWeights()).length === 0 ? true : null), { timeoutMs: 20_000, message: 'the host out of every service' });

  // Put back as it was: the file is the one before the drain, but for its serial.
  ({ csrf, version } = c.hidden(page.body));
  res = await c.post('/secure/host', { _csrf: csrf, version, address: own, action: 'activate' });
  assert.match(text((await follow(c, res)).body), /Saved: activate real server/);
  assert.equal(noSerial(await c.lvs()), noSerial(before));
  await waitFor(async () => {
    const w = await ownWeights();
    return w.length === 60 && w.every((x) => x === 1) ? true : null;
  }, { timeoutMs: 20_000, message: 'the host back in every service at its weight' });
});

test('the one-host page refuses what is not an address and says when nothing has it', async () => {
  const c = site!.console;
  let page = await c.get('/secure/host?address=%3Cscript%3E');
  assert.match(text(page.body), /An address is a dotted IPv4 address or a host name/);
  page = await c.get('/secure/host?address=10.255.255.1');
  assert.match(text(page.body), /No real server of lvs\.cf has the address 10\.255\.255\.1/);
  const { csrf, version } = c.hidden((await c.get('/secure/virtual')).body);
  const res = await c.post('/secure/host', { _csrf: csrf, version, address: 'x y', action: 'deactivate' });
  assert.equal(res.statusCode, 400);
});
