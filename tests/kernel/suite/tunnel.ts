// Tunnelling (network = tunnel): the router's IPVS encapsulates each connection's packets in IPIP
// to a real server, which holds the VIP on its tunl0 (rp_filter off) and replies to the client
// directly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RouterAgent } from '../lib/agent.ts';
import { settledTotals, waitForKernel } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { CLIENT, ROUTER, tunnelLab, webConfig, type Reals } from '../lib/topology.ts';
import { connect, tally } from '../lib/traffic.ts';

const VIP = '192.0.2.60';
const KEY = `tcp|${VIP}|80`;
const lab = new Lab('ktun');
let reals: Reals;
let agent: RouterAgent;

before(lab.explain(async () => {
  reals = await tunnelLab(lab, { reals: 2, ports: [80], vips: [VIP] });
  agent = await RouterAgent.start(lab, ROUTER, webConfig(reals, { network: 'tunnel', vip: VIP, scheduler: 'rr', timeout: 6 }));
  await waitForKernel(lab, ROUTER, 'the service with both real servers', (t) => t.get(KEY)?.reals.length === 2);
}));

after(async () => {
  await agent?.stop();
  lab.destroy();
});

test('the kernel forwards by tunnelling (Tunnel) to both real servers, as lvs.cf says', lab.explain(async () => {
  const s = (await waitForKernel(lab, ROUTER, 'the service', (t) => t.has(KEY))).get(KEY)!;
  assert.deepEqual(s.reals.map((r) => `${r.address}:${r.port} ${r.forward}`).sort(), ['192.0.2.11:80 Tunnel', '192.0.2.12:80 Tunnel']);
}));

test('300 connections from the client reach both real servers through IPIP, and the replies bypass the router', lab.explain(async (t) => {
  const answers = await connect(lab, CLIENT, 300, [`${VIP}:80`]);
  const counts = tally(answers);
  t.diagnostic(JSON.stringify(counts));
  assert.deepEqual(counts, { rs1: 150, rs2: 150 });
  // The real servers received the connections on tunl0: the IPIP packets arrived and were unwrapped.
  for (const rs of reals.names) {
    const rx = Number(lab.sh(rs, ['cat', '/sys/class/net/tunl0/statistics/rx_packets']).trim());
    assert.ok(rx >= 3 * 150, `${rs} received ${rx} packets on tunl0`);
  }
  const totals = await settledTotals(lab, ROUTER, 300);
  t.diagnostic(`director: ${JSON.stringify(totals)}`);
  assert.equal(totals.outPackets, 0, 'packets from the real servers through the director');
}));
