// For each scheduler: 1,000 connections through a VIP served by the real agent process on the
// userspace dataplane, counted by which real server answered (not by backend hits: health checks
// also reach the backends). Tolerances are stated per rule below.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnAgent, type SpawnedAgent } from '../testing/agent.ts';
import { lvsCf, type TestVirtual, writeLvsCf } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { pool } from '../testing/pool.ts';
import { type Backend, startTcpBackend, startUdpBackend, tally, tcpAsk, udpAsk } from '../testing/traffic.ts';
import { waitFor } from '../testing/wait.ts';
import type { AgentClient } from './client.ts';
import { SCHEDULERS } from '../lvs-cf/model.ts';

const N = 1000;
const WEIGHTS = [1, 2, 3];
const cleanup: (() => Promise<unknown>)[] = [];
let agent: SpawnedAgent;
let client: AgentClient;
const vips = new Map<string, { vip: string; port: number }>();

async function virtualFor(name: string, scheduler: string, protocol: 'tcp' | 'udp' = 'tcp', extra: Partial<TestVirtual> = {}): Promise<TestVirtual> {
  const servers = [];
  for (let i = 0; i < WEIGHTS.length; i++) {
    const b: Backend = protocol === 'tcp' ? await startTcpBackend(`${name}-${i}`, loopback()) : await startUdpBackend(`${name}-${i}`, loopback());
    cleanup.push(() => b.close());
    servers.push({ name: `r${i}`, address: b.host, port: b.port, weight: WEIGHTS[i] });
  }
  const vip = loopback();
  const port = await freePort(vip, protocol);
  vips.set(name, { vip, port });
  // UDP checks: the backend answers any datagram, so expect "*" (any reply) with a send.
  const check = protocol === 'udp' ? { send: 'ping', expect: '*' } : {};
  return { name, vip, port, scheduler, protocol, timeout: 2, ...check, ...extra, servers };
}

before(async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  const virtuals: TestVirtual[] = [];
  for (const s of SCHEDULERS) virtuals.push(await virtualFor(s, s));
  virtuals.push(await virtualFor('udp-rr', 'rr', 'udp'));
  virtuals.push(await virtualFor('persist', 'rr', 'tcp', { persistent: 60 }));
  await writeLvsCf(t.root, lvsCf({ virtuals }));
  agent = await spawnAgent({ root: t.root, socket: t.socket });
  cleanup.push(() => agent.stop());
  client = await agent.client();
  await waitFor(
    async () => {
      const { services } = await client.call('table', {});
      return services.length === virtuals.length && services.every((s) => s.reals.length === WEIGHTS.length && s.problem === null);
    },
    { timeoutMs: 20_000, message: 'every real server up in the table' },
  );
});
after(async () => {
  client?.close();
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

const share = (counts: Record<string, number>, name: string, i: number) => counts[`${name}-${i}`] ?? 0;
const viaVip = (name: string) => {
  const { vip, port } = vips.get(name)!;
  return (source?: string) => tcpAsk(vip, port, { from: source });
};

test('rr: equal shares whatever the weights (exact: ±1 over 1,000)', async () => {
  const c = tally(await pool(N, 1, () => viaVip('rr')()));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(share(c, 'rr', i) - N / 3) <= 1, JSON.stringify(c));
});

test('wrr: shares proportional to weights 1:2:3 (exact: ±2 over 1,000)', async () => {
  const c = tally(await pool(N, 1, () => viaVip('wrr')()));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(share(c, 'wrr', i) - (N * WEIGHTS[i]) / 6) <= 2, JSON.stringify(c));
});

test('lc and wlc: sequential connections spread by (weighted) connection count (±5% of 1,000)', async () => {
  const [lc, wlc] = (await Promise.all([pool(N, 1, () => viaVip('lc')()), pool(N, 1, () => viaVip('wlc')())])).map(tally);
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(share(lc, 'lc', i) - N / 3) <= 50, `lc ${JSON.stringify(lc)}`);
    assert.ok(Math.abs(share(wlc, 'wlc', i) - (N * WEIGHTS[i]) / 6) <= 50, `wlc ${JSON.stringify(wlc)}`);
  }
});

test('dh, lblc, lblcr: one destination (the VIP) → every connection to the same real server', async () => {
  const names = ['dh', 'lblc', 'lblcr'];
  const counts = (await Promise.all(names.map((s) => pool(N, 1, () => viaVip(s)())))).map(tally);
  names.forEach((s, i) => {
    assert.equal(Object.keys(counts[i]!).length, 1, `${s}: ${JSON.stringify(counts[i])}`);
    assert.equal(Object.values(counts[i]!)[0], N);
  });
});

/**
 * N connections to virtual server `name`, made in turn from `clients` fresh client addresses:
 * the tally of who answered, after asserting that each client always reached the same server.
 */
async function stickyTally(name: string, clients: number): Promise<Record<string, number>> {
  const sources = Array.from({ length: clients }, () => loopback());
  const bySource = new Map<string, Set<string>>();
  const ask = viaVip(name);
  const c = tally(await pool(N, 1, async (i) => {
    const src = sources[i % sources.length]!;
    const who = await ask(src);
    bySource.set(src, (bySource.get(src) ?? new Set()).add(who));
    return who;
  }));
  for (const [src, set] of bySource) assert.equal(set.size, 1, `${src} reached ${[...set]}`);
  return c;
}

test('sh: each client address always reaches the same server; 100 clients spread over all three', async () => {
  const c = await stickyTally('sh', 100);
  // Bucket shares follow the weights 1:2:3; with 100 clients the spread is binomial: ±15 points.
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(share(c, 'sh', i) / N - WEIGHTS[i] / 6) <= 0.15, JSON.stringify(c));
});

test('persistence: a client sticks to its server; ten clients are dealt round robin', async () => {
  const c = await stickyTally('persist', 10);
  assert.deepEqual(Object.values(c).sort(), [300, 300, 400]);
});

test('udp rr: 1,000 datagrams from 1,000 clients share equally (±1)', async () => {
  const { vip, port } = vips.get('udp-rr')!;
  // One source address per datagram: a reused ephemeral port would (rightly) hit its existing
  // UDP session and go to the same server again, which is the session rule, not rr.
  const c = tally(await pool(N, 1, async () => (await udpAsk(vip, port, 'ping', { from: loopback() })).reply.split(':')[0]!));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(share(c, 'udp-rr', i) - N / 3) <= 1, JSON.stringify(c));
});
