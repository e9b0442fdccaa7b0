// Health checks change the kernel table. Two NAT virtual servers share two real servers and check
// them every TIMEOUT seconds; `plain` drops a failed real server, `quiet` (quiesce_server = 1)
// keeps it at weight 0 so that its established connections finish. The real server's service is
// stopped by closing its listening sockets: new connections are refused, established ones go on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RouterAgent } from '../lib/agent.ts';
import { kernelTable, waitForKernel, type KernelService } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { lvsCf, type TestVirtual } from '../../../testing/lvs-cf.ts';
import { CLIENT, NAT_ROUTER, ROUTER, natLab, type Reals } from '../lib/topology.ts';
import { EXPECT_GREETING, HeldConnection, connect, tally } from '../lib/traffic.ts';

const TIMEOUT = 3;
const REENTRY = 6;
const PLAIN = 'tcp|198.51.100.20|80';
const QUIET = 'tcp|198.51.100.21|80';
const lab = new Lab('khc');
let reals: Reals;
let agent: RouterAgent;
const held: HeldConnection[] = [];

function weightOf(table: Map<string, KernelService>, key: string, address: string): number | null {
  return table.get(key)?.reals.find((r) => r.address === address)?.weight ?? null;
}

before(lab.explain(async () => {
  reals = await natLab(lab, { reals: 2, ports: [80] });
  const virtual = (name: string, vip: string, quiesce: boolean): TestVirtual => ({
    name, vip, device: 'eth0:1', port: 80, scheduler: 'wlc', timeout: TIMEOUT, reentry: REENTRY, quiesce, expect: EXPECT_GREETING,
    servers: reals.names.map((n) => ({ name: n, address: reals.address(n), weight: 1 })),
  });
  agent = await RouterAgent.start(lab, ROUTER, lvsCf({
    network: 'nat',
    natRouter: { address: NAT_ROUTER, device: 'eth1:1' },
    virtuals: [virtual('plain', '198.51.100.20', false), virtual('quiet', '198.51.100.21', true)],
  }));
  await waitForKernel(lab, ROUTER, 'both services with both real servers', (t) => t.get(PLAIN)?.reals.length === 2 && t.get(QUIET)?.reals.length === 2);
}));

after(async () => {
  for (const h of held) h.close();
  await agent?.stop();
  lab.destroy();
});

test(`a stopped service leaves the kernel table within timeout + 1 s (${TIMEOUT + 1} s); with quiesce_server it stays at weight 0 and its established connection carries on`, lab.explain(async (t) => {
  // wlc gives two one-at-a-time held connections one each: one of them is on rs2.
  for (let i = 0; i < 2; i++) held.push(await HeldConnection.open(lab, CLIENT, '198.51.100.21:80'));
  const onRs2 = held.find((h) => h.server === 'rs2');
  assert.ok(onRs2, `no held connection on rs2: ${held.map((h) => h.server).join(', ')}`);

  const rs2 = reals.servers[1]!;
  await rs2.stopService();
  const stopped = Date.now();
  const address = reals.address('rs2');
  const table = await waitForKernel(lab, ROUTER, 'rs2 gone from plain and at weight 0 in quiet', (k) => weightOf(k, PLAIN, address) === null && weightOf(k, QUIET, address) === 0, 60_000);
  const took = Date.now() - stopped;
  t.diagnostic(`the kernel table changed ${took} ms after the service stopped`);
  assert.ok(took <= (TIMEOUT + 1) * 1000, `the kernel table changed ${took} ms after the service stopped, more than timeout + 1 s`);
  assert.equal(table.get(QUIET)!.reals.length, 2, 'quiet keeps both entries');

  // New connections avoid rs2 in both services; the one it already holds still works.
  const answers = await connect(lab, CLIENT, 40, ['198.51.100.20:80', '198.51.100.21:80']);
  assert.deepEqual(tally(answers), { rs1: 40 });
  assert.equal(await onRs2.echo('still there'), 'still there', 'the established connection to the quiesced server');
}));

test(`the service back: the real server returns to the kernel table after reentry (${REENTRY} s), not before`, lab.explain(async (t) => {
  const rs2 = reals.servers[1]!;
  const address = reals.address('rs2');
  // Timed from before the signal: the first check cannot succeed before the listener is open.
  const resumed = Date.now();
  await rs2.resumeService();
  // While it is coming back (up for less than reentry), the table must not change.
  const early = await kernelTable(lab, ROUTER);
  assert.equal(weightOf(early, PLAIN, address), null);
  await waitForKernel(lab, ROUTER, 'rs2 back in both services', (k) => (weightOf(k, PLAIN, address) ?? 0) > 0 && (weightOf(k, QUIET, address) ?? 0) > 0, 60_000);
  const took = Date.now() - resumed;
  t.diagnostic(`back ${took} ms after the service resumed`);
  assert.ok(took >= REENTRY * 1000, `back after ${took} ms, before reentry`);
  const answers = await connect(lab, CLIENT, 40, ['198.51.100.20:80']);
  assert.ok((tally(answers).rs2 ?? 0) > 0, `rs2 takes new connections again: ${JSON.stringify(tally(answers))}`);
}));
