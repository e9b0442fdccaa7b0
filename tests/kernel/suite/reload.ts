// Reload against the kernel: among 1,000 NAT virtual servers, changing one real server's weight
// is one kernel operation (the agent's answer says so, and exactly one entry of the kernel's table
// differs), applied in place without dropping an established connection; an lvs.cf that does not
// parse leaves the kernel table exactly as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentError } from '../../../agent/client.ts';
import { RouterAgent } from '../lib/agent.ts';
import { kernelTable, shape, waitForKernel } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { lvsCf, type TestVirtual } from '../../../testing/lvs-cf.ts';
import { CLIENT, NAT_ROUTER, ROUTER, natLab, type Reals } from '../lib/topology.ts';
import { EXPECT_GREETING, HeldConnection, connect, tally } from '../lib/traffic.ts';

const VIRTUALS = 1000;
const VIP = '198.51.100.100';
const FIRST_PORT = 10000;
const TARGET = `tcp|${VIP}|${FIRST_PORT}`;
const lab = new Lab('krl');
let reals: Reals;
let agent: RouterAgent;
let held: HeldConnection | null = null;

/** 1,000 virtual servers on one VIP; the first has both real servers (wrr), the others one each. */
function config(serial: number, rs2Weight: number): string {
  const virtuals: TestVirtual[] = [];
  for (let i = 0; i < VIRTUALS; i++) {
    const servers = i === 0
      ? [{ name: 'rs1', address: reals.address('rs1'), port: 80, weight: 1 }, { name: 'rs2', address: reals.address('rs2'), port: 80, weight: rs2Weight }]
      : [{ name: `rs${(i % 2) + 1}`, address: reals.address(`rs${(i % 2) + 1}`), port: 80, weight: 1 }];
    // One check of each real server every 20 s: 50 checks a second in all.
    virtuals.push({ name: `v${i}`, vip: VIP, device: 'eth0:1', port: FIRST_PORT + i, scheduler: i === 0 ? 'wrr' : 'wlc', timeout: 20, expect: EXPECT_GREETING, servers });
  }
  return lvsCf({ serial, network: 'nat', natRouter: { address: NAT_ROUTER, device: 'eth1:1' }, virtuals });
}

before(lab.explain(async () => {
  reals = await natLab(lab, { reals: 2, ports: [80] });
  agent = await RouterAgent.start(lab, ROUTER, config(1, 1));
  await waitForKernel(
    lab, ROUTER, `${VIRTUALS} services and ${VIRTUALS + 1} real servers`,
    (t) => t.size === VIRTUALS && [...t.values()].reduce((n, s) => n + s.reals.length, 0) === VIRTUALS + 1,
    300_000,
  );
}));

after(async () => {
  held?.close();
  await agent?.stop();
  lab.destroy();
});

test(`one weight changed among ${VIRTUALS} virtual servers: one kernel operation, in place, the established connection carries on`, lab.explain(async (t) => {
  held = await HeldConnection.open(lab, CLIENT, `${VIP}:${FIRST_PORT}`);
  const before = shape(await kernelTable(lab, ROUTER));
  await agent.writeConfig(config(2, 3));
  const result = await agent.client.call('reload', {});
  assert.deepEqual(result, { serial: 2, operations: 1 }, "the agent's reload answer");
  const after = shape(await kernelTable(lab, ROUTER));
  const removed = before.filter((l) => !after.includes(l));
  const added = after.filter((l) => !before.includes(l));
  t.diagnostic(`kernel table: - ${removed.join(' | ')}; + ${added.join(' | ')}`);
  assert.deepEqual({ removed, added }, {
    removed: [`${TARGET} -> ${reals.address('rs2')}:80 Masq weight 1`],
    added: [`${TARGET} -> ${reals.address('rs2')}:80 Masq weight 3`],
  });
  assert.equal(await held.echo('after the reload'), 'after the reload', `the connection held by ${held.server}`);
  // The new weight is in force: wrr 1:3 over 40 new connections.
  assert.deepEqual(tally(await connect(lab, CLIENT, 40, [`${VIP}:${FIRST_PORT}`])), { rs1: 10, rs2: 30 });
}));

test('an lvs.cf that does not parse is refused: the kernel table stays exactly as it was', lab.explain(async () => {
  const before = shape(await kernelTable(lab, ROUTER));
  const valid = config(3, 1);
  // A scheduler IPVS does not have: the library refuses the file with the line and column.
  assert.equal(valid.split('scheduler = wrr').length, 2, 'one wrr virtual server to break');
  await agent.writeConfig(valid.replace('scheduler = wrr', 'scheduler = fastest'));
  const refused = await agent.client.call('reload', {}).then(
    () => null,
    (err: unknown) => err,
  );
  assert.ok(refused instanceof AgentError, `the reload was accepted: ${String(refused)}`);
  assert.equal(refused.code, 'E_CONFIG_INVALID');
  assert.match(refused.message, /lvs\.cf:\d+:\d+: error/, 'the positioned message');
  assert.deepEqual(shape(await kernelTable(lab, ROUTER)), before, 'the kernel table after the refused reload');
  assert.match((await agent.client.call('status', {})).lastReloadError ?? '', /lvs\.cf:\d+:\d+: error/);
  // The same table once a valid file is back: only the weight of the first test returns to 1.
  await agent.writeConfig(valid);
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 3, operations: 1 });
}));
