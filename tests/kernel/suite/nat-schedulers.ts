// NAT (network = nat, nat_router): the agent programs the kernel through `--dataplane ipvs` and
// 1,000 real TCP connections per virtual server go from the client namespace through the router's
// IPVS table to three real servers weighted 1:2:3. Each of the manual's eight schedulers is held
// to what it promises, with the tolerance stated in the test's name.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RouterAgent } from '../lib/agent.ts';
import { kernelTable, waitForKernel } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { lvsCf, type TestVirtual } from '../../../testing/lvs-cf.ts';
import { CLIENT, NAT_CLIENT_SOURCES, NAT_ROUTER, ROUTER, natLab, type Reals } from '../lib/topology.ts';
import { EXPECT_GREETING, connect, serversBy, tally, type Answer } from '../lib/traffic.ts';
import type { Scheduler } from '../../../lvs-cf/index.ts';

const CONNECTIONS = 1000;
const WEIGHTS: Record<string, number> = { rs1: 1, rs2: 2, rs3: 3 };
const TOTAL_WEIGHT = 6;
/** Each destination-hashed scheduler gets its own firewall mark and 16 destination addresses. */
const DEST_RANGES: Partial<Record<Scheduler, { mark: number; first: number }>> = {
  dh: { mark: 11, first: 32 },
  lblc: { mark: 12, first: 48 },
  lblcr: { mark: 13, first: 64 },
};
const PLAIN_VIP: Partial<Record<Scheduler, string>> = {
  rr: '198.51.100.1', wrr: '198.51.100.2', lc: '198.51.100.3', wlc: '198.51.100.4', sh: '198.51.100.5',
};

const lab = new Lab('knat');
let reals: Reals;
let agent: RouterAgent;

function virtual(name: string, scheduler: Scheduler, vip: string, extra: Partial<TestVirtual> = {}): TestVirtual {
  return {
    name, vip, device: 'eth0:1', port: 80, scheduler, timeout: 6, expect: EXPECT_GREETING,
    servers: reals.names.map((n) => ({ name: n, address: reals.address(n), weight: WEIGHTS[n]! })),
    ...extra,
  };
}

function destinations(s: Scheduler): string[] {
  const r = DEST_RANGES[s]!;
  return Array.from({ length: 16 }, (_, i) => `198.51.100.${r.first + i}`);
}

before(lab.explain(async () => {
  reals = await natLab(lab, { reals: 3, ports: [80, 443] });
  // Firewall marks, set before IPVS sees the packet: one mark per destination range, and one mark
  // for both ports of the two-port virtual server.
  const rules = Object.values(DEST_RANGES).map((r) => `ip daddr 198.51.100.${r.first}/28 tcp dport 80 meta mark set ${r.mark}`);
  lab.nft(ROUTER, `table ip marks {
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    ${rules.join('\n    ')}
    ip daddr 198.51.100.7 tcp dport { 80, 443 } meta mark set 20
  }
}
`);
  const virtuals: TestVirtual[] = [];
  for (const [s, vip] of Object.entries(PLAIN_VIP)) virtuals.push(virtual(s, s as Scheduler, vip));
  for (const [s, r] of Object.entries(DEST_RANGES)) virtuals.push(virtual(s, s as Scheduler, `198.51.100.${r.first}`, { fwmark: r.mark }));
  virtuals.push(virtual('sticky', 'wlc', '198.51.100.6', { persistent: 600, pmask: '255.255.255.240' }));
  virtuals.push(virtual('twoports', 'rr', '198.51.100.7', { fwmark: 20 }));
  agent = await RouterAgent.start(lab, ROUTER, lvsCf({ network: 'nat', natRouter: { address: NAT_ROUTER, device: 'eth1:1' }, virtuals }));
  // Every service with its three real servers, once their first health checks passed.
  await waitForKernel(lab, ROUTER, `${virtuals.length} services with 3 real servers each`, (t) => t.size === virtuals.length && [...t.values()].every((s) => s.reals.length === 3));
}));

after(async () => {
  await agent?.stop();
  lab.destroy();
});

function share(name: string): number {
  return (CONNECTIONS * WEIGHTS[name]!) / TOTAL_WEIGHT;
}

function noFailures(answers: Answer[]): void {
  const failed = answers.filter((a) => a.error);
  assert.equal(failed.length, 0, `${failed.length} connections failed, e.g. ${failed[0]?.target}: ${failed[0]?.error}`);
}

test('rr: 1,000 connections rotate over the three real servers, weights ignored (each 333 or 334)', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, CONNECTIONS, [`${PLAIN_VIP.rr}:80`]);
  noFailures(answers);
  const counts = tally(answers);
  t.diagnostic(JSON.stringify(counts));
  for (const n of reals.names) assert.ok(counts[n] === 333 || counts[n] === 334, `${n}: ${counts[n]} of ${CONNECTIONS}: ${JSON.stringify(counts)}`);
}));

test('wrr: 1,000 connections split 1:2:3 by weight (each within 0.5% of the total of its share)', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, CONNECTIONS, [`${PLAIN_VIP.wrr}:80`]);
  noFailures(answers);
  const counts = tally(answers);
  t.diagnostic(JSON.stringify(counts));
  for (const n of reals.names) assert.ok(Math.abs(counts[n]! - share(n)) <= 5, `${n}: ${counts[n]}, share ${share(n).toFixed(0)}: ${JSON.stringify(counts)}`);
}));

test('lc: 1,000 one-at-a-time connections spread evenly, weights ignored (each within 1% of the total of a third)', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, CONNECTIONS, [`${PLAIN_VIP.lc}:80`]);
  noFailures(answers);
  const counts = tally(answers);
  t.diagnostic(JSON.stringify(counts));
  for (const n of reals.names) assert.ok(Math.abs(counts[n]! - CONNECTIONS / 3) <= 10, `${n}: ${counts[n]}: ${JSON.stringify(counts)}`);
}));

test('wlc: 1,000 connections split 1:2:3 by weight (each within 1% of the total of its share)', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, CONNECTIONS, [`${PLAIN_VIP.wlc}:80`]);
  noFailures(answers);
  const counts = tally(answers);
  t.diagnostic(JSON.stringify(counts));
  for (const n of reals.names) assert.ok(Math.abs(counts[n]! - share(n)) <= 10, `${n}: ${counts[n]}, share ${share(n).toFixed(0)}: ${JSON.stringify(counts)}`);
}));

test('sh: each of 16 client addresses always reaches the same real server, and the addresses spread over the servers', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, CONNECTIONS, [`${PLAIN_VIP.sh}:80`], NAT_CLIENT_SOURCES);
  noFailures(answers);
  const bySource = serversBy(answers, (a) => a.source);
  t.diagnostic(JSON.stringify(Object.fromEntries([...bySource].map(([k, v]) => [k, [...v].join(',')]))));
  for (const [source, servers] of bySource) assert.equal(servers.size, 1, `${source} reached ${[...servers].join(', ')}`);
  const used = new Set([...bySource.values()].flatMap((s) => [...s]));
  t.diagnostic(`servers used: ${[...used].join(', ')}; ${JSON.stringify(tally(answers))}`);
  assert.ok(used.size >= 2, `all 16 sources went to ${[...used].join(', ')}`);
}));

// dh hashes the destination (weights only exclude weight 0); lblc and lblcr keep a destination on
// its server and give a new destination to the least loaded server by weight.
const DEST_PROMISE: Record<'dh' | 'lblc' | 'lblcr', string> = {
  dh: 'the destinations spread over the servers',
  lblc: 'new destinations go to the least loaded server by weight (rs1 < rs2 < rs3 in destinations)',
  lblcr: 'new destinations go to the least loaded server by weight (rs1 < rs2 < rs3 in destinations)',
};
for (const s of ['dh', 'lblc', 'lblcr'] as const) {
  test(`${s}: each of 16 destinations of a firewall-mark service always reaches the same real server; ${DEST_PROMISE[s]}`, lab.explain(async (t) => {
    const answers = await connect(lab, CLIENT, CONNECTIONS, destinations(s).map((d) => `${d}:80`));
    noFailures(answers);
    const byDest = serversBy(answers, (a) => a.target);
    t.diagnostic(JSON.stringify(Object.fromEntries([...byDest].map(([k, v]) => [k, [...v].join(',')]))));
    for (const [dest, servers] of byDest) assert.equal(servers.size, 1, `${dest} reached ${[...servers].join(', ')}`);
    const perServer: Record<string, number> = Object.fromEntries(reals.names.map((n) => [n, 0]));
    for (const servers of byDest.values()) perServer[[...servers][0]!]!++;
    t.diagnostic(`destinations per server: ${JSON.stringify(perServer)}; connections: ${JSON.stringify(tally(answers))}`);
    if (s === 'dh') assert.ok(Object.values(perServer).filter((n) => n > 0).length >= 2, `all 16 destinations on one server: ${JSON.stringify(perServer)}`);
    else assert.ok(perServer.rs1! < perServer.rs2! && perServer.rs2! < perServer.rs3!, `destinations per server do not follow the weights 1:2:3: ${JSON.stringify(perServer)}`);
  }));
}

test('persistence with pmask 255.255.255.240: every client address of a /28 stays on one real server', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, 320, ['198.51.100.6:80'], NAT_CLIENT_SOURCES);
  noFailures(answers);
  const byBlock = serversBy(answers, (a) => `${a.source.split('.').slice(0, 3).join('.')}.${Number(a.source.split('.')[3]) & 0xf0}/28`);
  t.diagnostic(JSON.stringify(Object.fromEntries([...byBlock].map(([k, v]) => [k, [...v].join(',')]))));
  assert.equal(byBlock.size, 2, 'the 16 client addresses span two /28 blocks');
  for (const [block, servers] of byBlock) assert.equal(servers.size, 1, `${block} reached ${[...servers].join(', ')}`);
  const k = (await kernelTable(lab, ROUTER)).get('tcp|198.51.100.6|80');
  assert.deepEqual([k?.scheduler, k?.persistent, k?.mask], ['wlc', 600, '255.255.255.240']);
}));

test('firewall mark: ports 80 and 443 of one VIP are one service, balanced by one rotation across both ports', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, 300, ['198.51.100.7:80', '198.51.100.7:443']);
  noFailures(answers);
  const order = answers.map((a) => a.server);
  t.diagnostic(`${JSON.stringify(tally(answers))}; first: ${order.slice(0, 9).join(' ')}`);
  // One rr service over both ports: consecutive connections (one to 80, the next to 443) never
  // meet the same server. Two services would each rotate on their own and pair up.
  for (let i = 1; i < order.length; i++) assert.notEqual(order[i], order[i - 1], `connections ${i} and ${i + 1} both went to ${order[i]}`);
  for (const n of reals.names) assert.equal(tally(answers)[n], 100, JSON.stringify(tally(answers)));
  const table = await kernelTable(lab, ROUTER);
  assert.ok(table.has('fwm|20'), 'the kernel has the firewall-mark service');
  assert.ok(![...table.keys()].some((k) => k.startsWith('tcp|198.51.100.7|')), 'no address-and-port service for the VIP');
}));
