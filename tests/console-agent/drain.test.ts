// DRAIN against the real agent and real long-lived TCP connections through the userspace dataplane:
// the drained real server gets weight 0 (saved in lvs.cf), its open connections keep working, new
// ones go to the other server, the page's count falls as they close, and DEACTIVATE at 0 takes it
// out with its weight kept. The same for a whole virtual server, and the automatic deactivation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { follow, makeConsole } from '../../testing/console.ts';
import { LineClient } from '../../testing/traffic.ts';
import { waitFor } from '../../testing/wait.ts';
import { agentRunningWeb, webOfTwo } from '../../testing/web-service.ts';

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/\s+/g, ' ');
}

async function setUp(t: import('node:test').TestContext) {
  const { backends, vip, vport, lvs } = await webOfTwo(t, { echo: true, scheduler: 'rr', weight: () => 2 });
  const c = await makeConsole(t, { lvs, agentInRoot: true, drainTimeouts: [1, 60] });
  const { client } = await agentRunningWeb(t, c.root);
  const real = async (host: string) => (await client.call('table', {})).services[0]?.reals.find((r) => r.address === host);
  const open: LineClient[] = [];
  t.after(() => open.forEach((l) => l.close()));
  /** A new connection through the VIP and the name of the real server that greeted it (null: none did). */
  const connect = async (): Promise<{ conn: LineClient; name: string | null }> => {
    const conn = new LineClient(vip, vport);
    open.push(conn);
    const name = await conn.next(3000).catch(() => null);
    return { conn, name };
  };
  const audit = async () => (await readFile(join(c.root, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string });
  return { c, lvs, backends, real, connect, audit, client };
}

test('DRAIN a real server: open connections stay, new ones go elsewhere, the count falls, DEACTIVATE at 0', async (t) => {
  const { c, backends, real, connect, audit } = await setUp(t);
  const [a] = backends;
  const conns = await Promise.all(Array.from({ length: 6 }, () => connect()));
  const onA = conns.filter((x) => x.name === 'a').map((x) => x.conn);
  assert.ok(onA.length >= 2, `rr sent ${onA.length} of 6 connections to a`);
  await waitFor(async () => (await real(a!.host))?.activeConns === onA.length, { message: 'the agent counts the connections to a' });

  let page = await c.get('/secure/virtual/0/real/0/drain');
  assert.match(text(page.body), /Real server a of web is not draining/);
  const drained = await c.submit('/secure/virtual/0/real/0/drain', '/secure/virtual/0/real/0/drain', { action: 'drain', timeout: '' });
  page = await follow(c, drained);
  assert.match(text(page.body), /Saved: drain real server a of web \(lvs\.cf serial 4\)/);
  assert.match(text(page.body), /Real server a of web is draining since/);
  assert.match(text(page.body), new RegExp(`Active connections: ${onA.length} `));
  assert.match(page.body, /<noscript><meta http-equiv="refresh" content="5;url=\/secure\/virtual\/0\/real\/0\/drain"><\/noscript>/, 'a refresh without JavaScript');
  assert.match(page.body, /hx-get="\/secure\/virtual\/0\/real\/0\/drain\/live" hx-trigger="every 2s"/, 'htmx refreshes the count');
  assert.doesNotMatch(page.body, /value="deactivate"/, 'DEACTIVATE waits for 0');
  assert.match(await c.lvs(), /address = [\d.]+\n\s+active = 1\n\s+port = \d+\n\s+weight = 0\n/);
  await waitFor(async () => (await real(a!.host))?.weight === 0, { message: 'the agent gave a weight 0' });

  // The open connections to a still work; every new connection goes to b.
  for (const conn of onA) assert.equal(await conn.say('still here'), 'a:still here');
  const fresh = await Promise.all(Array.from({ length: 5 }, () => connect()));
  assert.deepEqual(fresh.map((x) => x.name), ['b', 'b', 'b', 'b', 'b']);
  assert.match(text((await c.get('/secure/virtual/0/real')).body), /draining a /);

  // They end one by one: the count on the page falls with them.
  for (let left = onA.length - 1; left >= 0; left--) {
    onA[left]!.close();
    await waitFor(async () => new RegExp(`Active connections: ${left} `).test(text((await c.get('/secure/virtual/0/real/0/drain/live')).body)), { message: `the page never showed ${left} active connections` });
  }
  const live = (await c.get('/secure/virtual/0/real/0/drain/live')).body;
  assert.match(text(live), /No connection is left\. DEACTIVATE takes real server a of web out of service and gives lvs\.cf its weight back for later/);
  const version = /name="version" value="([^"]+)"/.exec(live)![1]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(live)![1]!;
  const off = await c.post('/secure/virtual/0/real/0/drain', { _csrf: csrf, version, action: 'deactivate' });
  assert.match(String(off.headers.location), /^\/secure\/virtual\/0\/real\?selected=0&flash=/);
  assert.match(text((await follow(c, off)).body), /Saved: deactivate real server a of web \(drained\)/);
  assert.match(await c.lvs(), /server a \{\n\s+address = [\d.]+\n\s+active = 0\n\s+port = \d+\n\s+weight = 2\n/);
  await waitFor(async () => (await real(a!.host)) === undefined, { message: 'a left the table' });
  assert.deepEqual((await audit()).map((l) => l.action).filter((x) => !x.startsWith('agent')), ['drain real server a of web', 'deactivate real server a of web (drained)']);
});

test('DRAIN a whole virtual server: no new clients, open connections stay; DEACTIVATE keeps the weights', async (t) => {
  const { c, connect, client } = await setUp(t);
  const first = await connect();
  assert.ok(first.name);
  const drained = await c.submit('/secure/virtual/0/drain', '/secure/virtual/0/drain', { action: 'drain', timeout: '' });
  const page = text((await follow(c, drained)).body);
  assert.match(page, /Saved: drain virtual server web/);
  assert.match(page, /Active connections: 1 /);
  await waitFor(async () => (await client.call('table', {})).services[0]?.reals.every((r) => r.weight === 0), { message: 'every real server at weight 0' });
  assert.equal(await first.conn.say('hello'), `${first.name}:hello`);
  const late = await connect();
  assert.equal(late.name, null, 'a new client finds no real server');
  first.conn.close();
  await waitFor(async () => /Active connections: 0 /.test(text((await c.get('/secure/virtual/0/drain/live')).body)), { message: 'the count never reached 0' });
  const res = await c.submit('/secure/virtual/0/drain', '/secure/virtual/0/drain', { action: 'deactivate' });
  assert.equal(res.statusCode, 303);
  const lvs = await c.lvs();
  assert.match(lvs, /virtual web \{\n\s+active = 0\n/);
  assert.equal((lvs.match(/weight = 2/g) ?? []).length, 2, 'the weights are back for the next activation');
  await waitFor(async () => (await client.call('table', {})).services.length === 0, { message: 'the service left the table' });
});

test('the operator\'s timeout deactivates a drained server by itself, with its open connections', async (t) => {
  const { c, backends, real, connect, audit } = await setUp(t);
  const conns = await Promise.all(Array.from({ length: 4 }, () => connect()));
  assert.ok(conns.some((x) => x.name === 'b'));
  const drained = await c.submit('/secure/virtual/0/real/1/drain', '/secure/virtual/0/real/1/drain', { action: 'drain', timeout: '1' });
  assert.match(text((await follow(c, drained)).body), /Real server b of web is deactivated by itself in 1 s/);
  await waitFor(async () => /server b \{\n\s+address = [\d.]+\n\s+active = 0\n\s+port = \d+\n\s+weight = 2\n/.test(await c.lvs()), { message: 'b was not deactivated at its timeout' });
  await waitFor(async () => (await real(backends[1]!.host)) === undefined, { message: 'b left the table' });
  assert.ok((await audit()).some((l) => l.action === 'deactivate real server b of web (drained for 1 s)'));
});

test('refusals: a server at weight 0 cannot be drained again; an unknown delay is refused', async (t) => {
  const { c, lvs } = await setUp(t);
  const bad = await c.submit('/secure/virtual/0/real/0/drain', '/secure/virtual/0/real/0/drain', { action: 'drain', timeout: '7' });
  assert.equal(bad.statusCode, 400);
  assert.equal(await c.lvs(), lvs);
  await follow(c, await c.submit('/secure/virtual/0/real/0/drain', '/secure/virtual/0/real/0/drain', { action: 'drain', timeout: '' }));
  // A second browser still on the old page.
  const h = c.hidden((await c.get('/secure/virtual/0/real/0/edit')).body);
  const again = await c.post('/secure/virtual/0/real/0/drain', { _csrf: h.csrf, version: h.version, action: 'drain', timeout: '' });
  assert.equal(again.statusCode, 409);
  assert.match(text(again.body), /a is already at weight 0: there is nothing to drain/);
  // UNDRAIN gives the weight back.
  const undo = await c.submit('/secure/virtual/0/real/0/drain', '/secure/virtual/0/real/0/drain', { action: 'undrain' });
  assert.match(text((await follow(c, undo)).body), /Saved: undrain real server a of web/);
  assert.equal((await c.lvs()).match(/weight = 2/g)?.length, 2);
});
