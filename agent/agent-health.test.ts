// Health-driven table changes with the real agent process and real backends on 127.0.0.0/8:
// a killed real server leaves within timeout + 1 s and returns only after reentry (then ramps),
// quiesce keeps it at weight 0, and the sorry server takes over when no real server is up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnAgent, type SpawnedAgent } from '../testing/agent.ts';
import { lvsCf, writeLvsCf } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { pool } from '../testing/pool.ts';
import { type Backend, startTcpBackend, tally, tcpAsk } from '../testing/traffic.ts';
import { waitFor } from '../testing/wait.ts';
import type { AgentClient } from './client.ts';
import type { AgentEvent } from './protocol/index.ts';

const TIMEOUT = 1;
const REENTRY = 3;
const cleanup: (() => Promise<unknown>)[] = [];
let agent: SpawnedAgent;
let client: AgentClient;
const events: AgentEvent[] = [];
const b: Record<string, Backend> = {};
const vip: Record<string, { host: string; port: number }> = {};

async function reals(name: string): Promise<Map<string, number>> {
  const { services } = await client.call('table', {});
  const s = services.find((x) => x.name === name);
  return new Map((s?.reals ?? []).map((r) => [`${r.address}:${r.port}`, r.weight]));
}
const at = (x: Backend) => `${x.host}:${x.port}`;

before(async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  for (const n of ['a', 'b', 'q1', 'q2', 's1']) b[n] = await startTcpBackend(n, loopback());
  for (const n of ['kill', 'quiesce', 'sorry']) {
    const host = loopback();
    vip[n] = { host, port: await freePort(host) };
  }
  const sorryHost = loopback();
  b.sorry = await startTcpBackend('sorry', sorryHost, vip.sorry.port);
  const common = { timeout: TIMEOUT, reentry: REENTRY, scheduler: 'wrr' };
  await writeLvsCf(
    t.root,
    lvsCf({
      virtuals: [
        { name: 'kill', vip: vip.kill.host, port: vip.kill.port, ...common, servers: [{ name: 'a', address: b.a.host, port: b.a.port, weight: 64 }, { name: 'b', address: b.b.host, port: b.b.port, weight: 1 }] },
        { name: 'quiesce', vip: vip.quiesce.host, port: vip.quiesce.port, ...common, quiesce: true, servers: [{ name: 'q1', address: b.q1.host, port: b.q1.port, weight: 5 }, { name: 'q2', address: b.q2.host, port: b.q2.port, weight: 5 }] },
        { name: 'sorry', vip: vip.sorry.host, port: vip.sorry.port, ...common, sorry: sorryHost, servers: [{ name: 's1', address: b.s1.host, port: b.s1.port, weight: 2 }] },
      ],
    }),
  );
  agent = await spawnAgent({ root: t.root, socket: t.socket });
  cleanup.push(() => agent.stop());
  client = await agent.client();
  await client.subscribe((e) => events.push(e));
  await waitFor(async () => (await reals('kill')).size === 2 && (await reals('quiesce')).size === 2 && (await reals('sorry')).has(at(b.s1)), {
    message: 'all real servers up',
  });
  // First entry at startup is at the configured weight (nanny: no re-entry delay at startup).
  assert.equal((await reals('kill')).get(at(b.a)), 64);
  assert.equal((await reals('sorry')).has(`${sorryHost}:${vip.sorry.port}`), false);
});
after(async () => {
  client?.close();
  for (const x of Object.values(b)) await x.close().catch(() => {});
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

test(`a killed real server leaves within timeout + 1 s and returns after reentry, ramping from weight>>5`, async () => {
  const killedAt = Date.now();
  await b.a.close();
  await waitFor(async () => !(await reals('kill')).has(at(b.a)), { timeoutMs: (TIMEOUT + 1) * 1000, intervalMs: 20, message: `a out of the table within ${TIMEOUT + 1} s` });
  const goneAfter = Date.now() - killedAt;
  assert.ok(goneAfter <= (TIMEOUT + 1) * 1000, `left after ${goneAfter} ms`);
  assert.equal((await reals('kill')).get(at(b.b)), 1, 'the other server stays');
  assert.equal(await tcpAsk(vip.kill.host, vip.kill.port), 'b');
  await waitFor(() => events.some((e) => e.event === 'checker' && e.data.server === 'a' && e.data.state === 'down'), { message: 'checker event' });

  b.a = await startTcpBackend('a', b.a.host, b.a.port);
  const restartedAt = Date.now();
  const weight = await waitFor(async () => (await reals('kill')).get(at(b.a)), { timeoutMs: (REENTRY + 2 * TIMEOUT + 3) * 1000, message: 'a back' });
  const backAfter = Date.now() - restartedAt;
  assert.ok(backAfter >= REENTRY * 1000, `returned after ${backAfter} ms, before reentry`);
  assert.equal(weight, 2, 'nanny ramp: 64 >> 5');
  const info = (await client.call('checkers', {})).checkers.find((c) => c.server === 'a')!;
  assert.equal(info.state, 'up');
  assert.equal(info.weight, 2);
});

test('quiesce_server: the failed server stays at weight 0 and new connections go elsewhere', async () => {
  await b.q1.close();
  await waitFor(async () => (await reals('quiesce')).get(at(b.q1)) === 0, { message: 'q1 quiesced' });
  assert.equal((await reals('quiesce')).get(at(b.q2)), 5);
  const c = tally(await pool(20, 1, () => tcpAsk(vip.quiesce.host, vip.quiesce.port)));
  assert.deepEqual(c, { q2: 20 });
  const info = (await client.call('checkers', {})).checkers.find((x) => x.server === 'q1')!;
  assert.equal(info.state, 'down');
  assert.equal(info.weight, 0);
  assert.match(info.lastError ?? '', /refused|ECONNREFUSED/i);
});

test('sorry server: takes over at the VIP port with weight 1 when no real server is up, leaves when one returns', async () => {
  const sorryKey = `${b.sorry.host}:${vip.sorry.port}`;
  await b.s1.close();
  await waitFor(async () => {
    const r = await reals('sorry');
    return r.size === 1 && r.get(sorryKey) === 1;
  }, { message: 'sorry server alone in the table' });
  assert.equal(await tcpAsk(vip.sorry.host, vip.sorry.port), 'sorry');
  b.s1 = await startTcpBackend('s1', b.s1.host, b.s1.port);
  await waitFor(async () => {
    const r = await reals('sorry');
    return r.size === 1 && r.has(at(b.s1));
  }, { timeoutMs: (REENTRY + 2 * TIMEOUT + 3) * 1000, message: 's1 back, sorry gone' });
  assert.equal(await tcpAsk(vip.sorry.host, vip.sorry.port), 's1');
});
