// `plan` against the real agent process on loopback: a change given as hunks against the file the
// agent runs is planned against its live table and applies nothing; the file on disk is untouched;
// a base the agent does not have, hunks that do not fit and an invalid proposal get their codes; a
// stopped agent plans nothing; `table` can be asked for one virtual server. A file of 2,000 virtual
// servers shows the plan of a one-weight change comparing one service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { edit } from '../lvs-cf/index.ts';
import { spawnAgent, type SpawnedAgent } from '../testing/agent.ts';
import { lvsCf, type TestVirtual, writeLvsCf } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { startTcpBackend } from '../testing/traffic.ts';
import { waitFor } from '../testing/wait.ts';
import { AgentError, type AgentClient } from './client.ts';

const cleanup: (() => Promise<unknown>)[] = [];
let agent: SpawnedAgent;
let client: AgentClient;
let root: string;
let text: string;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

before(async () => {
  const t = await tempRoot();
  root = t.root;
  cleanup.push(t.remove);
  const virtuals: TestVirtual[] = [];
  for (const name of ['one', 'two']) {
    const servers = [];
    for (let i = 0; i < 2; i++) {
      const be = await startTcpBackend(`${name}${i}`, loopback());
      cleanup.push(() => be.close());
      servers.push({ name: `r${i}`, address: be.host, port: be.port, weight: 4 });
    }
    const vip = loopback();
    virtuals.push({ name, vip, port: await freePort(vip), timeout: 1, servers });
  }
  text = lvsCf({ serial: 5, virtuals });
  await writeLvsCf(root, text);
  agent = await spawnAgent({ root, socket: t.socket });
  cleanup.push(() => agent.stop());
  client = await agent.client();
  await waitFor(async () => (await client.call('table', {})).services.flatMap((s) => s.reals).length === 4, { message: 'both services with their two real servers' });
});
after(async () => {
  client?.close();
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

test('a one-weight change: one operation with the weight before and after, nothing applied', async () => {
  const r = edit(text, [{ op: 'set', target: { scope: 'server', virtual: 1, server: 0 }, key: 'weight', value: 0 }, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 6 }]);
  assert.ok(r.ok);
  const plan = await client.call('plan', { base: sha(text), hunks: r.patch.map(({ start, end, removed, inserted }) => ({ start, end, removed, inserted })) });
  assert.equal(plan.scope, 'changed');
  assert.equal(plan.services, 1);
  assert.equal(plan.serial, 6);
  assert.equal(plan.directing, true);
  assert.equal(plan.operations.length, 1);
  const [op] = plan.operations;
  assert.equal(op!.op, 'editReal');
  assert.equal(op!.virtual, 'two');
  assert.equal(op!.server, 'r0');
  assert.deepEqual(op!.weight, { from: 4, to: 0 });
  assert.match(op!.text, /^set real server r0 127\.\d+\.\d+\.\d+:\d+ of two to weight 0 \(from 4\)$/);
  // Nothing applied, nothing written.
  const two = (await client.call('table', { virtual: 'two' })).services;
  assert.deepEqual(two.map((s) => s.name), ['two'], 'table for one virtual server');
  assert.deepEqual(two[0]!.reals.map((x) => x.weight), [4, 4]);
  assert.equal(await readFile(join(root, 'lvs.cf'), 'utf8'), text);
  assert.equal((await client.call('status', {})).serial, 5);
});

test('the whole text of a proposal can be planned too; an invalid one is E_CONFIG_INVALID', async () => {
  const r = edit(text, [{ op: 'setActive', target: { scope: 'virtual', virtual: 0 }, active: false }]);
  assert.ok(r.ok);
  const plan = await client.call('plan', { text: r.text });
  assert.equal(plan.scope, 'whole');
  assert.deepEqual(plan.operations.map((o) => o.op), ['deleteService']);
  assert.match(plan.operations[0]!.text, /^remove service TCP 127\.[\d.]+:\d+ \(one\) and its 2 real servers$/);
  await assert.rejects(client.call('plan', { text: text.replace('port = ', 'port = x') }), (e) => e instanceof AgentError && e.code === 'E_CONFIG_INVALID' && /lvs\.cf:\d+:\d+: error/.test(e.message));
});

test('a base the agent does not have is E_STALE; hunks that do not fit are E_BAD_PARAMS', async () => {
  await assert.rejects(client.call('plan', { base: 'a'.repeat(64), hunks: [] }), (e) => e instanceof AgentError && e.code === 'E_STALE' && /runs serial 5/.test(e.message));
  await assert.rejects(client.call('plan', { base: sha(text), hunks: [{ start: 0, end: 3, removed: 'xyz', inserted: '' }] }), (e) => e instanceof AgentError && e.code === 'E_BAD_PARAMS' && /hunk 1 does not remove what the file holds there/.test(e.message));
  await assert.rejects(client.call('plan', { base: 'nope', hunks: [] } as never), (e) => e instanceof AgentError && e.code === 'E_BAD_PARAMS');
});

test('a stopped agent plans nothing and says why', async () => {
  await client.call('stop', {});
  try {
    const r = edit(text, [{ op: 'set', target: { scope: 'server', virtual: 0, server: 1 }, key: 'weight', value: 9 }]);
    assert.ok(r.ok);
    const plan = await client.call('plan', { base: sha(text), hunks: r.patch.map(({ start, end, removed, inserted }) => ({ start, end, removed, inserted })) });
    assert.equal(plan.directing, false);
    assert.deepEqual(plan.operations, []);
    assert.match(plan.notes.join(' '), /LVS is stopped/);
  } finally {
    await client.call('start', {});
  }
});

test('2,000 virtual servers: a one-weight change is planned from its block, against one service', async (t) => {
  const big = await tempRoot();
  t.after(big.remove);
  // Inactive virtual servers cost the agent nothing to serve; the file is still 2,000 blocks to read.
  const vip = loopback();
  const be = await startTcpBackend('big', loopback());
  t.after(() => be.close());
  const virtuals: TestVirtual[] = Array.from({ length: 2000 }, (_, i) => ({
    name: `v${i}`, vip, port: 10000 + i, active: i === 1234, timeout: 1,
    servers: [{ name: 'a', address: be.host, port: be.port, weight: 2 }, { name: 'b', address: be.host, port: be.port + 1, weight: 2, active: false }],
  }));
  const bigText = lvsCf({ serial: 1, virtuals });
  await writeLvsCf(big.root, bigText);
  const a = await spawnAgent({ root: big.root, socket: big.socket });
  t.after(() => a.stop());
  const c = await a.client();
  t.after(() => c.close());
  await waitFor(async () => (await c.call('table', {})).services[0]?.reals.length === 1, { message: 'v1234 served' });
  const r = edit(bigText, [{ op: 'set', target: { scope: 'server', virtual: 1234, server: 0 }, key: 'weight', value: 7 }]);
  assert.ok(r.ok);
  const plan = await c.call('plan', { base: sha(bigText), hunks: r.patch.map(({ start, end, removed, inserted }) => ({ start, end, removed, inserted })) });
  assert.equal(plan.scope, 'changed');
  assert.equal(plan.services, 1);
  assert.deepEqual(plan.operations.map((o) => o.text.replace(/127\.[\d.]+:\d+/, 'ADDR')), ['set real server a ADDR of v1234 to weight 7 (from 2)']);
});
