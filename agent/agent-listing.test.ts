// `table` and `checkers` of the real agent process over its socket, on a site of 500 virtual
// servers × 20 real servers (10,000 checked real servers, 20 checks: one host per real server
// position behind every VIP, none answering): pages, filters and the summary; the answer without
// parameters, as protocol 1 gave it, kept under MAX_LIST_REPLY_BYTES and marked truncated; two such
// answers at once do not make the agent cut the connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnAgent, type SpawnedAgent } from '../testing/agent.ts';
import { lvsCf, writeLvsCf, type TestVirtual } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { waitFor } from '../testing/wait.ts';
import { AgentError, type AgentClient } from './client.ts';
import { MAX_LIST_REPLY_BYTES } from './protocol/index.ts';

const VIRTUALS = 500;
const REALS = 20;
let agent: SpawnedAgent;
let client: AgentClient;
const hosts = Array.from({ length: REALS }, () => loopback());
let remove: () => Promise<void>;

before(async () => {
  const t = await tempRoot('piranha-listing-');
  remove = t.remove;
  const port = await freePort(hosts[0]!);
  const virtuals: TestVirtual[] = Array.from({ length: VIRTUALS }, (_, i) => ({
    name: `vs${i}`,
    vip: loopback(),
    port,
    timeout: 2,
    servers: hosts.map((address, s) => ({ name: `rs${s}`, address, port })),
  }));
  await writeLvsCf(t.root, lvsCf({ virtuals }));
  agent = await spawnAgent({ root: t.root, socket: join(t.root, 'agent.sock') });
  client = await agent.client();
  await waitFor(async () => ((await client.call('checkers', { limit: 0 })).summary!.reals.down === VIRTUALS * REALS ? true : null), {
    timeoutMs: 30_000,
    message: 'every check down',
  });
});

after(async () => {
  client?.close();
  await agent?.stop();
  await remove?.();
});

test('the summary counts the whole table; a page is what it asks for', async () => {
  const r = await client.call('checkers', { sort: 'name', offset: 13, limit: 5 });
  assert.deepEqual(r.summary, { services: { total: VIRTUALS, problem: 0 }, reals: { checked: 10_000, up: 0, down: 10_000, pending: 0, inTable: 0 } });
  assert.deepEqual(r.page, { offset: 13, total: 10_000, truncated: false });
  assert.deepEqual(r.checkers.map((c) => `${c.virtual}/${c.server}`), ['vs0/rs3', 'vs0/rs4', 'vs0/rs5', 'vs0/rs6', 'vs0/rs7'], 'vs0/rs0, rs1, rs10 … rs19, rs2, then rs3');
  assert.equal(r.checkers[0]!.state, 'down');
  assert.match(r.checkers[0]!.lastError ?? '', /ECONNREFUSED/);

  const one = await client.call('checkers', { virtual: 'vs499', address: hosts[7]! });
  assert.deepEqual(one.checkers.map((c) => `${c.virtual}/${c.server}`), ['vs499/rs7']);
  const host = await client.call('checkers', { address: hosts[7]!, limit: 3 });
  assert.equal(host.page!.total, VIRTUALS, 'one host behind every VIP');
  const search = await client.call('checkers', { search: 'VS42', state: 'down', limit: 1000 });
  assert.equal(search.page!.total, 11 * REALS, 'vs42 and vs420 … vs429');

  const table = await client.call('table', { search: 'vs42', sort: 'name', limit: 3 });
  assert.deepEqual(table.services.map((s) => s.name), ['vs42', 'vs420', 'vs421']);
  assert.equal(table.page!.total, 11);
  assert.deepEqual(table.services[0]!.reals, [], 'no real server is up');
});

test('without parameters: every row as protocol 1 gave it, up to the reply budget, then marked truncated', async () => {
  const r = await client.call('checkers', {});
  assert.equal(r.page!.truncated, true);
  assert.equal(r.page!.total, 10_000);
  assert.ok(r.checkers.length > 1000 && r.checkers.length < 10_000, `${r.checkers.length} rows`);
  assert.ok(Buffer.byteLength(JSON.stringify(r)) < MAX_LIST_REPLY_BYTES + 4096, 'the reply stays within the budget');
  // The next rows are the next page.
  const next = await client.call('checkers', { offset: r.checkers.length, limit: 2 });
  assert.equal(next.checkers[0]!.virtual, `vs${Math.floor(r.checkers.length / REALS)}`);
  const table = await client.call('table', {});
  assert.equal(table.services.length, VIRTUALS);
  assert.equal(table.page!.truncated, false);
});

test('two large answers at once: both arrive, the connection stays', async () => {
  const [a, b] = await Promise.all([client.call('checkers', {}), client.call('checkers', { sort: 'state' })]);
  assert.equal(a.page!.truncated && b.page!.truncated, true);
  assert.equal((await client.call('status', {})).running, true);
});

test('a parameter the protocol does not know is refused, naming it', async () => {
  await assert.rejects(client.call('checkers', { page: 2 } as never), (e: AgentError) => e.code === 'E_BAD_PARAMS' && /page/.test(e.message));
  await assert.rejects(client.call('table', { limit: 5000 }), (e: AgentError) => e.code === 'E_BAD_PARAMS' && /limit/.test(e.message));
});
