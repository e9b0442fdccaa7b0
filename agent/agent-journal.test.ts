// The agent as systemd runs it: its stderr is the journal (JOURNAL_STREAM names that stream), so
// each line is one entry with a syslog priority and no time of its own; one line per state change
// and none per check; SIGHUP re-reads lvs.cf like `service pulse reload`, and an invalid file keeps
// the table running with one error line saying why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAgent, type SpawnedAgent } from '../testing/agent.ts';
import { lvsCf, type TestVirtual, writeLvsCf } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { type Backend, startTcpBackend } from '../testing/traffic.ts';
import { waitFor } from '../testing/wait.ts';
import type { AgentClient } from './client.ts';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

let agent: SpawnedAgent;
let client: AgentClient;
let root: string;
let backend: Backend;
let svc: TestVirtual;
const lines = () => agent.stderr().split('\n').filter(Boolean);

before(async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  root = t.root;
  const host = loopback();
  backend = await startTcpBackend('alpha', host);
  cleanup.push(() => backend.close());
  const vip = loopback();
  svc = { name: 'svc', vip, port: await freePort(vip), scheduler: 'wlc', timeout: 1, reentry: 0, servers: [{ name: 'alpha', address: host, port: backend.port, weight: 3 }] };
  await writeLvsCf(root, lvsCf({ serial: 1, virtuals: [svc] }));
  const logFile = join(root, 'journal');
  writeFileSync(logFile, '');
  const st = statSync(logFile);
  agent = await spawnAgent({ root, socket: t.socket, logFile, env: { JOURNAL_STREAM: `${st.dev}:${st.ino}` } });
  cleanup.push(() => agent.stop('SIGKILL'));
  client = await agent.client();
  cleanup.push(async () => client.close());
  await waitFor(async () => (await client.call('checkers', {})).checkers[0]?.state === 'up', { message: 'alpha up' });
});

const realWeight = async () => (await client.call('table', {})).services[0]?.reals.find((r) => r.port === backend.port)?.weight ?? null;
const checkerState = async () => (await client.call('checkers', {})).checkers[0]?.state;

test('SIGHUP re-reads lvs.cf: a changed weight reaches the table, with one line', async () => {
  const mark = lines().length;
  svc.servers[0]!.weight = 7;
  await writeLvsCf(root, lvsCf({ serial: 2, virtuals: [svc] }));
  agent.child.kill('SIGHUP');
  await waitFor(async () => (await realWeight()) === 7, { message: 'weight 7 in the table after SIGHUP' });
  await waitFor(() => lines().length >= mark + 2, { message: 'the reload logged' });
  assert.deepEqual(lines().slice(mark), ['<6>SIGHUP: reloading', '<6>reloaded serial 2: 1 dataplane operation']);
});

test('SIGHUP with an invalid lvs.cf keeps the running table and logs why, in one error line', async () => {
  const mark = lines().length;
  await writeLvsCf(root, lvsCf({ serial: 3, virtuals: [{ ...svc, scheduler: 'fastest' }] }));
  agent.child.kill('SIGHUP');
  await waitFor(() => lines().length >= mark + 2, { message: 'the refusal logged' });
  const [hup, refusal, ...rest] = lines().slice(mark);
  assert.equal(hup, '<6>SIGHUP: reloading');
  assert.match(refusal!, /^<3>reload refused, keeping the configuration in use \(serial 2\): \| \/.*\/lvs\.cf:\d+:\d+: error\[BADARGUMENT\]: .*"scheduler" must be one of .*, not "fastest"$/);
  assert.deepEqual(rest, []);
  const st = await client.call('status', {});
  assert.equal(st.serial, 2);
  assert.match(st.lastReloadError ?? '', /fastest/);
  assert.equal(await realWeight(), 7, 'the table in use stays');
});

test('in the journal: a priority prefix, no time, and a real server down then up is exactly two lines (no line per check or ramp step)', async () => {
  assert.ok(lines().length > 0);
  for (const l of lines()) assert.match(l, /^<[36]>[^<]/, `a journal line with its priority: ${l}`);
  assert.ok(!/\d{4}-\d\d-\d\dT\d\d:\d\d/.test(agent.stderr()), 'no time of our own: the journal stamps each entry');

  const mark = lines().length;
  const host = svc.servers[0]!.address;
  await backend.close();
  await waitFor(async () => (await checkerState()) === 'down' && (await realWeight()) === null, { message: 'alpha down and out of the table' });
  backend = await startTcpBackend('alpha', host, svc.servers[0]!.port);
  // Back in the table, at the start of nanny's slow start (agent/checkers/weights.ts).
  await waitFor(async () => (await checkerState()) === 'up' && (await realWeight()) === 1, { message: 'alpha up and back in the table' });
  // Checks went on every second meanwhile; they add nothing to the log.
  const changes = lines().slice(mark);
  const where = `real server alpha \\(${host.replace(/\./g, '\\.')}:${backend.port}\\) of svc`;
  assert.equal(changes.length, 2, changes.join('\n'));
  assert.match(changes[0]!, new RegExp(`^<6>${where} is down: .*ECONNREFUSED`));
  assert.match(changes[1]!, new RegExp(`^<6>${where} is up$`));
});

test('off the journal (JOURNAL_STREAM naming another stream): ISO time and name, no priority', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  const other = spawnAgent({ root: t.root, socket: t.socket, env: { JOURNAL_STREAM: '1:1' } });
  const a = await other;
  assert.equal((await a.stop()).code, 0);
  const out = a.stderr().split('\n').filter(Boolean);
  assert.ok(out.length >= 2);
  for (const l of out) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z piranha-agent: /);
});
