// The agent as a real process: start/refuse, socket handling, protocol abuse, start/stop, checkNow,
// signals. Backends and VIPs on 127.0.0.0/8 only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { rawExchange, rawFlood, spawnAgent } from '../testing/agent.ts';
import { lvsCf, writeLvsCf } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { type Backend, startTcpBackend, tcpAsk } from '../testing/traffic.ts';
import { waitFor } from '../testing/wait.ts';
import { AgentError } from './client.ts';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

test('an invalid lvs.cf: exit 1 with the positioned error, and no socket left behind', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  await writeLvsCf(t.root, lvsCf({ virtuals: [] }).replace('network = direct', 'network = bogus'));
  const agent = await spawnAgent({ root: t.root, socket: t.socket, waitReady: false });
  const { code } = await agent.exited;
  assert.equal(code, 1);
  assert.match(agent.stderr(), /lvs\.cf:9:\d+: error\[[A-Z-]+\]/);
  assert.match(agent.stderr(), /> +9 \| network = bogus/);
  await assert.rejects(stat(t.socket), { code: 'ENOENT' });
});

test('bad command line: exit 2 with usage', () => {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'piranha-agent.js'), '--dataplane', 'xdp'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--dataplane: must be userspace or ipvs/);
  assert.match(r.stderr, /usage: piranha-agent/);
});

test('lifecycle: missing lvs.cf, socket 0660, second agent refused, protocol abuse survived, clean SIGTERM', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  const agent = await spawnAgent({ root: t.root, socket: t.socket });
  cleanup.push(() => agent.stop('SIGKILL'));
  assert.equal((await stat(t.socket)).mode & 0o777, 0o660);

  const c = await agent.client();
  const st = await c.call('status', {});
  assert.equal(st.running, true);
  assert.equal(st.role, 'standalone');
  assert.equal(st.serial, null);
  assert.equal(st.pid, agent.child.pid);
  assert.equal(st.configPath, join(t.root, 'lvs.cf'));
  assert.match(st.problems.map((p) => p.message).join('\n'), /no configuration at .*lvs\.cf; running with an empty one/);
  assert.deepEqual((await c.call('table', {})).services, []);

  const second = await spawnAgent({ root: t.root, socket: t.socket, waitReady: false });
  assert.equal((await second.exited).code, 1);
  assert.match(second.stderr(), new RegExp(`another piranha-agent is already listening on ${t.socket} \\(pid ${agent.child.pid}\\)`));

  // Garbage, an unknown method, a request before hello; then a 10 MB line; the agent stays up.
  const replies = await rawExchange(t.socket, ['}{', '{"id":1,"method":"status"}', '{"id":2,"method":"hello","params":{"version":1}}', '{"id":3,"method":"selfDestruct"}']);
  assert.deepEqual(replies.map((r) => (r.error as { code: string } | undefined)?.code ?? 'ok'), ['E_PARSE', 'E_HANDSHAKE', 'ok', 'E_UNKNOWN_METHOD']);
  const flood = await rawFlood(t.socket, 10 * 1024 * 1024);
  assert.deepEqual(flood.replies.map((r) => (r.error as { code: string }).code), ['E_TOO_LARGE']);
  assert.equal(flood.closed, true);
  assert.equal((await c.call('status', {})).running, true);
  await assert.rejects(c.call('checkNow', { virtual: 'nope', server: 'x' }), (e: AgentError) => e.code === 'E_NOT_FOUND');

  c.close();
  const { code } = await agent.stop('SIGTERM');
  assert.equal(code, 0);
  await assert.rejects(stat(t.socket), { code: 'ENOENT' });
});

test('a socket file left by a crash is replaced', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  const first = await spawnAgent({ root: t.root, socket: t.socket });
  await first.stop('SIGKILL');
  assert.ok((await stat(t.socket)).isSocket(), 'SIGKILL leaves the socket file');
  const agent = await spawnAgent({ root: t.root, socket: t.socket });
  const c = await agent.client();
  assert.equal((await c.call('status', {})).pid, agent.child.pid);
  c.close();
  assert.equal((await agent.stop()).code, 0);
});

test('start/stop keep the process up; checkNow shows the transcript; SIGHUP reloads', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  const vip = loopback();
  const vport = await freePort(vip);
  const a: Backend = await startTcpBackend('alpha', loopback());
  cleanup.push(() => a.close());
  const conf = (serial: number, scheduler = 'rr') =>
    lvsCf({ serial, virtuals: [{ name: 'svc', vip, port: vport, scheduler, send: 'hello\\n', expect: 'alpha', servers: [{ name: 'alpha', address: a.host, port: a.port }] }] });
  await writeLvsCf(t.root, conf(7));
  const agent = await spawnAgent({ root: t.root, socket: t.socket });
  cleanup.push(() => agent.stop('SIGKILL'));
  const c = await agent.client();
  const events: string[] = [];
  await c.subscribe((e) => events.push(e.event));

  const key = `tcp|${vip}|${vport}`;
  const tableReals = async () => (await c.call('table', {})).services.find((s) => s.key === key)?.reals.map((r) => `${r.address}:${r.port}/${r.weight}`) ?? null;
  assert.deepEqual(await waitFor(async () => ((await tableReals())?.length === 1 ? tableReals() : null), { message: 'alpha in table' }), [`${a.host}:${a.port}/1`]);
  assert.equal(await tcpAsk(vip, vport), 'alpha');

  const chk = await c.call('checkNow', { virtual: 'svc', server: 'alpha' });
  assert.equal(chk.verdict, 'up');
  assert.equal(chk.sent, 'hello\\n');
  assert.equal(chk.received, 'alpha\\n');
  assert.equal(chk.error, null);
  const [info] = (await c.call('checkers', {})).checkers;
  assert.equal(info.state, 'up');
  assert.equal(info.weight, 1);
  assert.equal(info.check, 'send/expect');

  const stopped = await c.call('stop', {});
  assert.equal(stopped.running, false);
  assert.deepEqual((await c.call('table', {})).services, []);
  await assert.rejects(tcpAsk(vip, vport, { timeoutMs: 2000 }));
  // checkNow still works while stopped: it runs the check directly.
  assert.equal((await c.call('checkNow', { virtual: 'svc', server: 'alpha' })).verdict, 'up');

  await writeLvsCf(t.root, conf(8, 'wrr'));
  const started = await c.call('start', {});
  assert.equal(started.running, true);
  assert.equal(started.serial, 8);
  await waitFor(async () => (await tableReals())?.length === 1, { message: 'alpha back after start' });
  assert.equal((await c.call('table', {})).services[0].scheduler, 'wrr');

  await writeLvsCf(t.root, conf(9, 'lc'));
  agent.child.kill('SIGHUP');
  await waitFor(async () => (await c.call('status', {})).serial === 9, { message: 'SIGHUP reload' });
  assert.equal((await c.call('table', {})).services[0].scheduler, 'lc');
  await waitFor(() => events.includes('reload') && events.includes('state') && events.includes('log'), { message: 'events' });

  c.close();
  assert.equal((await agent.stop('SIGINT')).code, 0);
  assert.match(agent.stderr(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z piranha-agent: /m);
  // One line per state change, not per check: alpha went up once per start (twice), whatever the
  // number of 1 s checks in between.
  assert.equal(agent.stderr().split('\n').filter((l) => /real server alpha .* is up/.test(l)).length, 2);
});

test('unwritable socket folder: a clear error', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  await writeFile(join(t.root, 'file'), 'x');
  const agent = await spawnAgent({ root: t.root, socket: join(t.root, 'file', 'agent.sock'), waitReady: false });
  assert.equal((await agent.exited).code, 1);
  assert.match(agent.stderr(), /piranha-agent: .*(ENOTDIR|EEXIST)/);
});
