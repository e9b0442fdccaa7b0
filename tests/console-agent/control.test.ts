// CONTROL/MONITORING with no agent (a clear reason, the rest of the console working) and against the
// real agent process on loopback: status, routing table, checkers, START/STOP/RELOAD, check now,
// and the reload after a save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { spawnAgent } from '../../testing/agent.ts';
import { follow, makeConsole } from '../../testing/console.ts';
import { SAMPLE, lvsCf } from '../../testing/lvs-cf.ts';
import { freePort, loopback } from '../../testing/net.ts';
import { startReplyServer } from '../../testing/traffic.ts';
import { waitFor } from '../../testing/wait.ts';

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/\s+/g, ' ');
}

test('without an agent the panel says why, and the other panels keep working', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE, agentSocket: '/nonexistent/piranha/agent.sock' });
  const page = await c.get('/secure/control');
  assert.equal(page.statusCode, 200);
  assert.match(text(page.body), /The agent is not reachable at \/nonexistent\/piranha\/agent\.sock: no agent socket/);
  const action = await c.submit('/secure/control', '/secure/control/action', { action: 'start' });
  const after = await follow(c, action);
  assert.match(text(after.body), /START failed: the agent is not reachable at \/nonexistent\/piranha\/agent\.sock/);
  // Saving still works, and says the agent will read the file later.
  const save = await c.submit('/secure/virtual/0/edit', '/secure/virtual/0/edit', { name: 'web', port: '81', protocol: 'tcp', address: '192.168.1.100', vip_nmask: '255.255.255.0', sorry_server: '', fwmark: '', device: 'eth0:1', reentry: '15', timeout: '6', quiesce_server: '0', load_monitor: 'none', scheduler: 'wlc', persistent: '', pmask: '' });
  const saved = await follow(c, save);
  assert.match(text(saved.body), /Saved: edit virtual server web/);
  assert.match(text(saved.body), /The agent is not reachable at .* It will read lvs\.cf when it starts/);
  assert.match(await c.lvs(), /port = 81/);
});

test('auto update: htmx polling with the rate, and a meta refresh inside <noscript>', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  let page = await c.get('/secure/control?auto_update=1&rate=3');
  assert.match(page.body, /<noscript><meta http-equiv="refresh" content="3;url=\/secure\/control\?auto_update=1&amp;rate=3"><\/noscript>/);
  assert.match(page.body, /hx-get="\/secure\/control\/live\?auto_update=1&amp;rate=3" hx-trigger="every 3s"/);
  assert.match(page.body, /name="auto_update" value="1" checked/);
  page = await c.get('/secure/control');
  assert.doesNotMatch(page.body, /http-equiv="refresh"|hx-trigger="every/);
  assert.match(page.body, /name="rate" value="10"/);
  page = await c.get('/secure/control?auto_update=1&rate=0');
  assert.match(page.body, /The update frequency must be a whole number of seconds, at least 1; using 10/);
  assert.match(page.body, /hx-trigger="every 10s"/);
  const live = await c.get('/secure/control/live?auto_update=1&rate=5');
  assert.match(live.body, /^<section id="control-live"/);
});

test('against the real agent: status, routing table, checkers, check now, STOP/START/RELOAD, reload after save', async (t) => {
  const vip = loopback();
  const r1 = loopback();
  const r2 = loopback();
  const vport = await freePort(vip);
  const rport = await freePort(r1);
  const b1 = await startReplyServer(r1, rport, 'HTTP/1.0 200 OK\r\n\r\nr1');
  const b2 = await startReplyServer(r2, rport, 'HTTP/1.0 200 OK\r\n\r\nr2');
  t.after(() => { b1.close(); b2.close(); });
  const lvs = `serial_no = 3
primary = 127.0.0.1
network = direct
virtual web {
     active = 1
     address = ${vip} lo
     port = ${vport}
     send = "GET / HTTP/1.0\\r\\n\\r\\n"
     expect = "HTTP"
     scheduler = wrr
     protocol = tcp
     timeout = 2
     reentry = 2
     server r1 {
         address = ${r1}
         active = 1
         port = ${rport}
         weight = 3
     }
     server r2 {
         address = ${r2}
         active = 1
         port = ${rport}
         weight = 1
     }
}
`;
  // The console and the agent share one root: the console writes lvs.cf, the agent reads it.
  const c = await makeConsole(t, { lvs, agentInRoot: true });
  const agent = await spawnAgent({ root: c.root, socket: join(c.root, 'agent.sock') });
  t.after(() => agent.stop());

  // Both checks up and both servers in the table: the table follows a check's verdict a moment
  // later (the director applies it), so a page can catch one without the other.
  const inTable = (body: string) => [r1, r2].every((r) => body.includes(`-> ${r}:${rport} Route`));
  const up = await waitFor(async () => {
    const page = await c.get('/secure/control');
    const body = text(page.body);
    return /Daemon running/.test(body) && (body.match(/ up /g) ?? []).length >= 2 && inTable(body) ? page : null;
  }, { timeoutMs: 15_000, message: 'the agent never reported both real servers up and in the table' });
  const body = text(up.body);
  assert.match(body, /Daemon running/);
  assert.match(body, /Configuration serial in use 3/);
  assert.match(body, /Prot LocalAddress:Port Scheduler Flags/);
  assert.match(body, new RegExp(`TCP ${vip.replace(/\./g, '\\.')}:${vport} wrr`));
  assert.match(body, new RegExp(`-> ${r1.replace(/\./g, '\\.')}:${rport} Route 3 \\d+ \\d+`));
  assert.match(body, /web \/ r1 \(/);
  assert.match(body, /web \/ r2 \(/);

  // check now shows the transcript.
  let res = await c.submit('/secure/control', '/secure/control/check', { virtual: 'web', server: 'r2' });
  let page = await follow(c, res);
  assert.match(text(page.body), /Check of r2 in web : UP/);
  assert.match(text(page.body), /Sent GET \/ HTTP\/1\.0/);
  assert.match(text(page.body), /Received HTTP\/1\.0 200 OK/);

  res = await c.submit('/secure/control', '/secure/control/action', { action: 'stop' });
  page = await follow(c, res);
  assert.match(text(page.body), /STOP: LVS is now stopped/);
  assert.match(text(page.body), /Daemon stopped/);
  res = await c.submit('/secure/control', '/secure/control/action', { action: 'start' });
  page = await follow(c, res);
  assert.match(text(page.body), /START: LVS is now running/);

  // A save asks the agent to reload and shows its answer.
  res = await c.submit('/secure/virtual/0/real/1/edit', '/secure/virtual/0/real/1/edit', { name: 'r2', address: r2, port: String(rport), weight: '5' });
  page = await follow(c, res);
  assert.match(text(page.body), /The agent reloaded lvs\.cf \(serial 4, \d+ table changes?\)/);
  await waitFor(async () => {
    const p = text((await c.get('/secure/control')).body);
    return /Configuration serial in use 4/.test(p) && new RegExp(`-> ${r2.replace(/\./g, '\\.')}:${rport} Route 5 `).test(p);
  }, { timeoutMs: 10_000, message: 'the new weight never reached the routing table' });

  res = await c.submit('/secure/control', '/secure/control/action', { action: 'reload' });
  page = await follow(c, res);
  assert.match(text(page.body), /RELOAD: the agent re-read lvs\.cf/);
});

test('a save answers 303 once lvs.cf is in place, without waiting for the agent; the page after it shows the agent\'s answer', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE, agentInRoot: true });
  const agent = await spawnAgent({ root: c.root, socket: join(c.root, 'agent.sock') });
  t.after(() => agent.stop());
  // The console's connection to the agent is open (CONTROL asked it), then the agent is frozen: a
  // save that waited for the reload could not answer until the agent ran again.
  await waitFor(async () => (/Daemon running/.test(text((await c.get('/secure/control')).body)) ? true : null), { timeoutMs: 15_000, message: 'the agent never said it runs' });
  const form = await c.get('/secure/virtual/0/real/0/edit');
  const fields = Object.fromEntries([...form.body.matchAll(/<input[^>]*name="(name|address|port)"[^>]*value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  process.kill(agent.child.pid!, 'SIGSTOP');
  let res;
  try {
    res = await c.submit('/secure/virtual/0/real/0/edit', '/secure/virtual/0/real/0/edit', { ...fields, weight: '7' });
    assert.equal(res.statusCode, 303, res.body);
    // The file is written, and the agent has not answered yet: no reload in the audit log.
    assert.match(await c.lvs(), /weight = 7/);
    const audit = await readFile(join(c.root, 'audit.log'), 'utf8');
    assert.doesNotMatch(audit, /agent reload after save/);
  } finally {
    process.kill(agent.child.pid!, 'SIGCONT');
  }
  // The page the 303 leads to waits for the agent's answer and shows it.
  const page = await follow(c, res);
  assert.match(text(page.body), /Saved: .* The agent reloaded lvs\.cf \(serial \d+, \d+ table changes?\)/);
  assert.match(await readFile(join(c.root, 'audit.log'), 'utf8'), /agent reload after save/);
});

test('views asked at the same time: each shows its own view and flash, and none shows the agent as it was before the view was asked', async (t) => {
  const vip = loopback();
  const r1 = loopback();
  const vport = await freePort(vip);
  const rport = await freePort(r1);
  const b1 = await startReplyServer(r1, rport, 'HTTP/1.0 200 OK\r\n\r\nr1');
  t.after(() => b1.close());
  const lvs = lvsCf({ virtuals: [{ name: 'web', vip, port: vport, servers: [{ name: 'r1', address: r1, port: rport }] }] });
  const c = await makeConsole(t, { lvs, agentInRoot: true });
  const agent = await spawnAgent({ root: c.root, socket: join(c.root, 'agent.sock') });
  t.after(() => agent.stop());
  await waitFor(async () => /Daemon running/.test(text((await c.get('/secure/control')).body)), { message: 'the agent running' });

  const urls = [...Array(6).fill('/secure/control'), ...Array(3).fill('/secure/control?q=r1&tpage=1&cpage=1'), ...Array(3).fill('/secure/control/live')];
  const pages = await Promise.all(urls.map((u) => c.get(u)));
  for (const [i, p] of pages.entries()) {
    assert.equal(p.statusCode, 200, urls[i]);
    assert.match(text(p.body), /Daemon running/, urls[i]);
  }
  for (const p of pages.slice(0, 6)) assert.match(p.body, /name="q" value=""/);
  for (const p of pages.slice(6, 9)) assert.match(p.body, /name="q" value="r1"/);
  for (const p of pages.slice(9)) assert.match(p.body, /^<section id="control-live"/);

  // STOP, then its page with the flash and a plain view at the same time: both show the agent
  // stopped; the flash is on its own page alone.
  const stop = await c.submit('/secure/control', '/secure/control/action', { action: 'stop' });
  const [flashed, plain] = await Promise.all([follow(c, stop), c.get('/secure/control')]);
  assert.match(text(flashed.body), /STOP: LVS is now stopped/);
  assert.doesNotMatch(text(plain.body), /STOP: LVS is now stopped/);
  for (const p of [flashed, plain]) assert.match(text(p.body), /Daemon stopped/);
  const start = await c.submit('/secure/control', '/secure/control/action', { action: 'start' });
  assert.match(text((await follow(c, start)).body), /START: LVS is now running/);
  assert.match(text((await c.get('/secure/control')).body), /Daemon running/);
});
