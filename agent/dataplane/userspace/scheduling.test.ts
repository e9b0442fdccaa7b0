// Scheduling through real sockets: 1,000 connections per scheduler, persistence with a netmask,
// quiesce, and a scheduler change under open connections.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Scheduler } from '../../../lvs-cf/model.ts';
import { UserspaceDataplane } from './dataplane.ts';
import { SourceHashing, DestinationHashing } from '../schedulers/hash.ts';
import { parseIPv4 } from '../../../common/ipv4.ts';
import { real, tcpService } from '../../../testing/dataplane.ts';
import { freePort } from '../../../testing/net.ts';
import { pool } from '../../../testing/pool.ts';
import { LineClient, startTcpBackend, tally, tcpAsk } from '../../../testing/traffic.ts';
import { waitFor } from '../../../testing/wait.ts';

const VIP = '127.0.79.1';
const NAMES = ['r1', 'r2', 'r3'] as const;
const HOSTS = ['127.0.80.1', '127.0.80.2', '127.0.80.3'];
const N = 1000;

const backends = await Promise.all(NAMES.map((n, i) => startTcpBackend(n, HOSTS[i]!, 0, { echo: true })));
const dp = new UserspaceDataplane();
await dp.start();
after(async () => {
  await dp.stop();
  await Promise.all(backends.map((b) => b.close()));
});

/** Adds a service on a fresh port with the three backends at these weights. */
async function service(scheduler: Scheduler, weights: number[], over = {}) {
  const port = await freePort(VIP);
  const spec = tcpService(VIP, port, { scheduler, ...over });
  const r = await dp.apply([
    { op: 'addService', service: spec },
    ...weights.map((w, i) => ({ op: 'addReal' as const, key: spec.key, real: real(HOSTS[i]!, backends[i]!.port, w) })),
  ]);
  assert.deepEqual(r.failures, []);
  return { port, spec };
}

async function distribution(port: number, width: number, source?: (i: number) => string, untilClosed = false) {
  return tally(await pool(N, width, (i) => tcpAsk(VIP, port, { from: source?.(i), untilClosed })));
}

test('rr: 1,000 connections split exactly evenly, weights ignored except 0', async () => {
  const { port } = await service('rr', [1, 5, 0]);
  // Exact: rr is deterministic whatever the concurrency.
  assert.deepEqual(await distribution(port, 10), { r1: 500, r2: 500 });
});

test('wrr: 1,000 connections follow weights 3:2:1 exactly (the cycle is 6 long)', async () => {
  const { port } = await service('wrr', [3, 2, 1]);
  const d = await distribution(port, 10);
  // The servers were added one by one; after the first (weight 3 alone: gcd 3, mw 1) the current
  // weight is 1, and ip_vs_wrr_dest_changed keeps it, so the kernel starts with the cw=1 pass
  // (r1 r2 r3), then cycles r1 | r1 r2 | r1 r2 r3. 1000 = 3 + 166 x 6 + 1 (r1) -> 500/333/167.
  assert.deepEqual(d, { r1: 500, r2: 333, r3: 167 });
});

test('lc: equal servers get equal shares (tolerance: +-5% of 1,000 each)', async () => {
  const { port } = await service('lc', [1, 1, 1]);
  const d = await distribution(port, 10);
  for (const n of NAMES) assert.ok(Math.abs(d[n]! - N / 3) <= 50, `${n}: ${d[n]} of ${N}`);
});

test('wlc: shares follow weights 3:1 (tolerance: +-5% of 1,000), weight 0 gets none', async () => {
  const { port } = await service('wlc', [3, 1, 0]);
  // wlc weighs an active connection 256 times an inactive one (as IPVS does), so while clients
  // overlap the split follows whichever server holds the connections of that moment. One client
  // at a time, each closed before the next, isolates the rule: (256 × active + inactive) / weight.
  const d = await distribution(port, 1, undefined, true);
  assert.equal(d.r3, undefined);
  assert.ok(Math.abs(d.r1! - 750) <= 50, `r1: ${d.r1}`);
  assert.ok(Math.abs(d.r2! - 250) <= 50, `r2: ${d.r2}`);
});

test('lblc: one connection at a time all go to one server (the destination is always the VIP)', async () => {
  const { port } = await service('lblc', [1, 1, 1]);
  assert.deepEqual(await distribution(port, 1), { r1: N });
});

test('lblc/lblcr: a server with more active connections than its weight is bypassed', async () => {
  for (const sched of ['lblc', 'lblcr'] as const) {
    const { port } = await service(sched, [2, 2, 2]);
    const held = [0, 1, 2, 3].map(() => new LineClient(VIP, port));
    const firsts = await Promise.all(held.map((c) => c.next()));
    // Up to 3 active connections the weight-2 server is used; with 3 (> its weight, while the
    // others are less than half full) it counts as overloaded, so the 4th goes elsewhere.
    assert.deepEqual(firsts.slice(0, 3), ['r1', 'r1', 'r1'], sched);
    assert.notEqual(firsts[3], 'r1', sched);
    held.forEach((c) => c.close());
  }
});

test('lblcr: one connection at a time all go to one server', async () => {
  const { port } = await service('lblcr', [1, 1, 1]);
  assert.deepEqual(await distribution(port, 1), { r1: N });
});

test('dh: all 1,000 connections go to the server the VIP hashes to', async () => {
  const { port } = await service('dh', [1, 1, 1]);
  const predicted = new DestinationHashing(NAMES.map((name) => ({ name, weight: 1, activeConns: 0, inactiveConns: 0, available: true })));
  const expected = predicted.bucketFor(parseIPv4(VIP)!)!.name;
  assert.deepEqual(await distribution(port, 10), { [expected]: N });
});

test('sh: 1,000 client addresses spread by weight 1:3 (tolerance: +-6% of 1,000) and each maps to its hash bucket', async () => {
  const { port } = await service('sh', [1, 3]);
  const src = (i: number) => `127.1.${i >> 8}.${i & 255}`;
  const got = await pool(N, 10, (i) => tcpAsk(VIP, port, { from: src(i), untilClosed: false }));
  const model = new SourceHashing(['r1', 'r2'].map((name, i) => ({ name, weight: i === 0 ? 1 : 3, activeConns: 0, inactiveConns: 0, available: true })));
  for (let i = 0; i < N; i++) assert.equal(got[i], model.bucketFor(parseIPv4(src(i))!)!.name, `client ${src(i)}`);
  const d = tally(got);
  assert.ok(Math.abs(d.r1! - 250) <= 60, `r1: ${d.r1}`);
  assert.ok(Math.abs(d.r2! - 750) <= 60, `r2: ${d.r2}`);
  // The same client always lands on the same server.
  assert.equal(await tcpAsk(VIP, port, { from: src(5), untilClosed: false }), got[5]);
});

test('persistence with pmask 255.255.255.0: 127.0.0.2 and 127.0.0.3 stick together, also when quiesced', async () => {
  const { port, spec } = await service('rr', [1, 1], { persistent: 60, pmask: '255.255.255.0' });
  const first = await tcpAsk(VIP, port, { from: '127.0.0.2', untilClosed: false });
  for (let i = 0; i < 5; i++) {
    assert.equal(await tcpAsk(VIP, port, { from: '127.0.0.3', untilClosed: false }), first);
    assert.equal(await tcpAsk(VIP, port, { from: '127.0.0.2', untilClosed: false }), first);
  }
  const otherNet = await tcpAsk(VIP, port, { from: '127.0.9.2', untilClosed: false });
  assert.notEqual(otherNet, first, 'another /24 is a new template, scheduled by rr to the other server');
  // Quiesce the persisted server: its template keeps its clients (IPVS, expire_quiescent_template=0),
  // new clients go elsewhere.
  const idx = NAMES.indexOf(first as never);
  await dp.apply([{ op: 'editReal', key: spec.key, real: real(HOSTS[idx]!, backends[idx]!.port, 0) }]);
  assert.equal(await tcpAsk(VIP, port, { from: '127.0.0.3', untilClosed: false }), first);
  assert.equal(await tcpAsk(VIP, port, { from: '127.0.44.1', untilClosed: false }), otherNet);
  // Removing the server drops its template: the clients are scheduled afresh.
  await dp.apply([{ op: 'deleteReal', key: spec.key, address: HOSTS[idx]!, port: backends[idx]!.port }]);
  assert.equal(await tcpAsk(VIP, port, { from: '127.0.0.2', untilClosed: false }), otherNet);
  const [svc] = (await dp.table()).filter((s) => s.key === spec.key);
  assert.equal(svc!.reals.length, 1);
});

test('quiesce: with weight 0 an open connection keeps flowing and new ones go elsewhere', async () => {
  const { port, spec } = await service('wlc', [1, 1]);
  const open = new LineClient(VIP, port);
  const server = await open.next();
  assert.equal(server, 'r1');
  await dp.apply([{ op: 'editReal', key: spec.key, real: real(HOSTS[0]!, backends[0]!.port, 0) }]);
  const news = await pool(20, 5, () => tcpAsk(VIP, port, { untilClosed: false }));
  assert.deepEqual(tally(news), { r2: 20 });
  assert.equal(await open.say('still there?'), 'r1:still there?');
  const stats = (await dp.table()).find((s) => s.key === spec.key)!;
  assert.equal(stats.reals[0]!.weight, 0);
  assert.equal(stats.reals[0]!.activeConns, 1);
  open.close();
});

test('editService changing the scheduler keeps open connections', async () => {
  const { port, spec } = await service('wlc', [1, 1, 1]);
  const open = [new LineClient(VIP, port), new LineClient(VIP, port), new LineClient(VIP, port)];
  assert.deepEqual((await Promise.all(open.map((c) => c.next()))).sort(), ['r1', 'r2', 'r3']);
  const r = await dp.apply([{ op: 'editService', service: { ...spec, scheduler: 'wrr' } }]);
  assert.deepEqual(r.failures, []);
  for (const [i, c] of open.entries()) assert.match(await c.say(`ping${i}`), new RegExp(`^r\\d:ping${i}$`));
  const t = (await dp.table()).find((s) => s.key === spec.key)!;
  assert.equal(t.scheduler, 'wrr');
  assert.equal(t.reals.reduce((s, x) => s + x.activeConns, 0), 3);
  assert.deepEqual(tally(await pool(30, 1, () => tcpAsk(VIP, port, { untilClosed: false }))), { r1: 10, r2: 10, r3: 10 });
  open.forEach((c) => c.close());
  await waitFor(async () => (await dp.table()).find((s) => s.key === spec.key)!.reals.every((x) => x.activeConns === 0), { timeoutMs: 5000, message: 'connections to close' });
});
