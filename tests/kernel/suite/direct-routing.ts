// Direct routing (network = direct): the router's IPVS hands each connection to a real server by
// its MAC address; the real servers hold the VIP on lo (arp_ignore=1, arp_announce=2, so only the
// router answers ARP for it) and reply to the client themselves. The kernel's own counters show
// that the router saw only the client's half of the traffic.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RouterAgent } from '../lib/agent.ts';
import { settledTotals, waitForKernel } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { CLIENT, ROUTER, directLab, webConfig, type Reals } from '../lib/topology.ts';
import { connect, tally } from '../lib/traffic.ts';

const VIP = '192.0.2.50';
const KEY = `tcp|${VIP}|80`;
const lab = new Lab('kdr');
let reals: Reals;
let agent: RouterAgent;

before(lab.explain(async () => {
  reals = await directLab(lab, { reals: 2, ports: [80], vips: [VIP] });
  agent = await RouterAgent.start(lab, ROUTER, webConfig(reals, { network: 'direct', vip: VIP, scheduler: 'wrr', timeout: 6, weights: { rs2: 3 } }));
  await waitForKernel(lab, ROUTER, 'the service with both real servers', (t) => t.get(KEY)?.reals.length === 2);
}));

after(async () => {
  await agent?.stop();
  lab.destroy();
});

test('the kernel forwards by direct routing (Route) to both real servers, as lvs.cf says', lab.explain(async () => {
  const table = await waitForKernel(lab, ROUTER, 'the service', (t) => t.has(KEY));
  const s = table.get(KEY)!;
  assert.equal(s.scheduler, 'wrr');
  assert.deepEqual(s.reals.map((r) => `${r.address}:${r.port} ${r.forward} ${r.weight}`).sort(), ['192.0.2.11:80 Route 1', '192.0.2.12:80 Route 3']);
}));

test('400 connections from the client split 1:3 (wrr), the replies going straight from the real servers to the client', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, 400, [`${VIP}:80`]);
  const counts = tally(answers);
  t.diagnostic(JSON.stringify(counts));
  assert.deepEqual(counts, { rs1: 100, rs2: 300 });
  // The VIP is on the real servers' lo, yet the client's neighbour entry for it is the router.
  assert.equal(lab.neighbour(CLIENT, VIP), lab.mac(ROUTER), "the client's ARP entry for the VIP is the router's MAC");
  // Nothing but these connections went through this namespace's IPVS (health checks go to the
  // real servers' own addresses): each is at least SYN, ACK and FIN inbound, and none of the
  // replies came back through the director.
  const totals = await settledTotals(lab, ROUTER, 400);
  t.diagnostic(`director: ${JSON.stringify(totals)}`);
  assert.equal(totals.conns, 400, 'connections the director scheduled');
  assert.ok(totals.inPackets >= 3 * 400, `inbound packets: ${totals.inPackets}`);
  assert.equal(totals.outPackets, 0, 'packets from the real servers through the director');
  assert.equal(totals.outBytes, 0, 'bytes from the real servers through the director');
}));
