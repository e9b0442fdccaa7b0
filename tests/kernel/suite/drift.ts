// Ownership and drift on the kernel. A service added by hand with ipvsadm is never touched (not
// listed, not compared, left alone by reload, reconcile, STOP and START). A change made by hand to
// one of Piranha's services is found by the agent's own poll of the kernel table, reported as drift
// over the socket (a `drift` event and the `drift` call) and on CONTROL/MONITORING, and is left as
// it is until an administrator reconciles: RECONCILE (the console's button, or the `reconcile`
// call) restores the table with exactly one operation per change made by hand. CONTROL also shows
// the kernel's own counters per real server, as `ipvsadm -Ln --stats` does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent, DriftResult } from '../../../agent/protocol/index.ts';
import { waitFor } from '../../../testing/wait.ts';
import { RouterAgent } from '../lib/agent.ts';
import { SuiteConsole, visibleText } from '../lib/console.ts';
import { kernelTable, shape, waitForKernel } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { CLIENT, ROUTER, natLab, webConfig, type Reals } from '../lib/topology.ts';
import { connect, tally } from '../lib/traffic.ts';

const VIP = '198.51.100.41';
const OWNED = `tcp|${VIP}|80`;
const FOREIGN_VIP = '198.51.100.40';
const FOREIGN = `tcp|${FOREIGN_VIP}|80`;
const CONTROL = '/secure/control';
const lab = new Lab('kdr');
let reals: Reals;
let agent: RouterAgent;
let gui: SuiteConsole;
/** The kernel table as Piranha applied it (and the foreign service), before any hand edit. */
let applied: string[];
const driftEvents: DriftResult[] = [];

function config(serial: number, rs2Weight: number): string {
  return webConfig(reals, { serial, network: 'nat', vip: VIP, scheduler: 'wrr', timeout: 2, weights: { rs2: rs2Weight } });
}

function ipvsadm(...args: string[]): void {
  lab.sh(ROUTER, ['ipvsadm', ...args]);
}

const foreignLines = () => [`${FOREIGN} rr`, `${FOREIGN} -> ${reals.address('rs1')}:80 Masq weight 3`].sort();

/** The kernel panel's row of a real server: weight, active, inactive, conns, inpkts, outpkts, inbytes, outbytes. */
function kernelRow(html: string, real: string): number[] | null {
  const text = visibleText(html);
  const panel = text.slice(text.indexOf('KERNEL IPVS TABLE'), text.indexOf('DRIFT'));
  const m = new RegExp(`-> ${real.replace(/\./g, '\\.')} ((?:\\d+ ){7}\\d+)`).exec(panel);
  return m ? m[1]!.split(' ').map(Number) : null;
}

function driftSection(html: string): string {
  const text = visibleText(html);
  return text.slice(text.indexOf('DRIFT'), text.indexOf('CURRENT REAL SERVER CHECKS'));
}

before(lab.explain(async () => {
  reals = await natLab(lab, { reals: 2, ports: [80] });
  // A service of someone else's, in the table before the agent starts.
  ipvsadm('-A', '-t', `${FOREIGN_VIP}:80`, '-s', 'rr');
  ipvsadm('-a', '-t', `${FOREIGN_VIP}:80`, '-r', `${reals.address('rs1')}:80`, '-m', '-w', '3');
  gui = await SuiteConsole.start(config(1, 1));
  agent = await RouterAgent.start(lab, ROUTER, config(1, 1), { root: gui.root });
  await agent.client.subscribe((e: AgentEvent) => {
    if (e.event === 'drift') driftEvents.push(e.data);
  });
  await waitForKernel(lab, ROUTER, 'the owned service with both real servers', (t) => t.get(OWNED)?.reals.length === 2);
  applied = shape(await kernelTable(lab, ROUTER));
}));

after(async () => {
  await agent?.stop();
  await gui?.close();
  lab.destroy();
});

test('a service added by hand is never touched: not listed, not drift, left alone by reload, STOP and START', lab.explain(async () => {
  assert.deepEqual(applied.filter((l) => l.startsWith(FOREIGN)), foreignLines(), 'the foreign service as it was added');
  const listed = (await agent.client.call('table', {})).services.map((s) => s.key);
  assert.deepEqual(listed, [OWNED], "the agent's table lists only its own service");
  assert.deepEqual((await agent.client.call('drift', {})).differences, [], 'the foreign service is no drift');
  await agent.writeConfig(config(2, 2));
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 2, operations: 1 });
  await agent.writeConfig(config(3, 1));
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 3, operations: 1 });
  await agent.client.call('stop', {});
  assert.deepEqual(shape(await kernelTable(lab, ROUTER)), foreignLines(), 'after STOP only the foreign service is left');
  await agent.client.call('start', {});
  await waitForKernel(lab, ROUTER, 'the owned service back after START', (t) => t.get(OWNED)?.reals.length === 2);
  assert.deepEqual(shape(await kernelTable(lab, ROUTER)), applied, 'the table after START');
}));

test("CONTROL shows the kernel's own table: connections, packets and bytes per real server", lab.explain(async () => {
  assert.deepEqual(tally(await connect(lab, CLIENT, 20, [`${VIP}:80`])), { rs1: 10, rs2: 10 });
  // The kernel sums its per-CPU counters every 2 s: the page shows them once it has.
  const html = await waitFor(async () => {
    const page = await gui.page(CONTROL);
    return [reals.address('rs1'), reals.address('rs2')].every((a) => kernelRow(page, `${a}:80`)?.[3] === 10) ? page : null;
  }, { timeoutMs: 30_000, message: 'the kernel panel to count 10 connections per real server' });
  for (const name of ['rs1', 'rs2']) {
    const [weight, , , conns, inPkts, outPkts, inBytes, outBytes] = kernelRow(html, `${reals.address(name)}:80`)!;
    assert.equal(weight, 1);
    assert.equal(conns, 10);
    // NAT: the router carries both directions of each connection.
    assert.ok(inPkts! >= 2 * conns! && outPkts! >= conns! && inBytes! > 0 && outBytes! > 0, `${name}'s counters: ${[inPkts, outPkts, inBytes, outBytes].join(' ')}`);
  }
  assert.doesNotMatch(visibleText(html), new RegExp(FOREIGN_VIP.replace(/\./g, '\\.')), "the foreign service is not on Piranha's page");
  assert.match(driftSection(html), /No drift: the kernel table is as Piranha applied it/);
}));

test('a weight changed and a real server removed by hand: the agent reports drift on its own poll and leaves it', lab.explain(async () => {
  const seen = driftEvents.length;
  ipvsadm('-e', '-t', `${VIP}:80`, '-r', `${reals.address('rs2')}:80`, '-m', '-w', '5');
  ipvsadm('-d', '-t', `${VIP}:80`, '-r', `${reals.address('rs1')}:80`);
  const handEdited = shape(await kernelTable(lab, ROUTER));
  // The poll of the agent's own (no call asks it to look) finds both changes.
  const found = await waitFor(() => driftEvents.slice(seen).find((d) => d.differences.length === 2) ?? null, { timeoutMs: 60_000, message: 'a drift event with both changes' });
  assert.deepEqual(found.differences.map((d) => d.text).sort(), [
    `real server ${reals.address('rs1')}:80 of ${OWNED} (web) is missing from the table (removed outside Piranha)`,
    `real server ${reals.address('rs2')}:80 of ${OWNED} (web) has weight 5 in the table, Piranha applied 1`,
  ]);
  assert.equal(found.operations, 2);
  const asked = await agent.client.call('drift', {});
  assert.deepEqual(asked.differences, found.differences, 'the drift call says the same');
  // Not corrected: neither by the polls nor by a reload (which applies only what lvs.cf changed).
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 3, operations: 0 });
  assert.deepEqual(shape(await kernelTable(lab, ROUTER)), handEdited, 'the kernel table keeps the hand edit');
  const section = driftSection(await gui.page(CONTROL));
  assert.match(section, /Drift: the kernel table was changed outside Piranha .* RECONCILE restores it with 2 operations/);
  for (const d of found.differences) assert.ok(section.includes(d.text), `CONTROL shows: ${d.text}`);
}));

test('RECONCILE on CONTROL restores the applied table with one operation per hand edit; the foreign service stays', lab.explain(async () => {
  const { html } = await gui.press(CONTROL, '/secure/control/reconcile', { action: 'reconcile' });
  assert.match(visibleText(html), /RECONCILE: 2 of 2 operations restored the kernel table Piranha applied\./);
  assert.deepEqual(shape(await kernelTable(lab, ROUTER)), applied, 'the kernel table as applied, the foreign service included');
  assert.match(driftSection(html), /No drift: the kernel table is as Piranha applied it/);
  assert.deepEqual(tally(await connect(lab, CLIENT, 20, [`${VIP}:80`])), { rs1: 10, rs2: 10 });
}));

test('a service deleted by hand: drift names it, and the reconcile call restores it with its real servers', lab.explain(async () => {
  ipvsadm('-D', '-t', `${VIP}:80`);
  const drift = await agent.client.call('drift', {});
  assert.deepEqual(drift.differences.map((d) => d.kind), ['service-missing']);
  assert.equal(drift.operations, 3, 'the service and its two real servers');
  const repaired = await agent.client.call('reconcile', {});
  assert.equal(repaired.operations, 3);
  assert.deepEqual(repaired.failed, []);
  assert.deepEqual(repaired.drift.differences, []);
  assert.deepEqual(shape(await kernelTable(lab, ROUTER)), applied);
  assert.deepEqual((await agent.client.call('reconcile', {})).operations, 0, 'a second reconcile has nothing to do');
}));
