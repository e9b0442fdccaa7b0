// DRAIN on the kernel, through the real console: long-lived connections through the VIP, one real
// server drained from its DRAIN page (its weight saved as 0, the agent reloads): the kernel keeps it
// at weight 0, new connections go to the other, the established ones carry on, the page counts them,
// and once they close the count reaches 0 and DEACTIVATE is offered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../../testing/wait.ts';
import { RouterAgent } from '../lib/agent.ts';
import { SuiteConsole, visibleText } from '../lib/console.ts';
import { kernelTable, waitForKernel } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { CLIENT, ROUTER, natLab, webConfig, type Reals } from '../lib/topology.ts';
import { HeldConnection, connect, tally } from '../lib/traffic.ts';

const VIP = '198.51.100.60';
const SERVICE = `tcp|${VIP}|80`;
/** rs1 is the first real server of the first virtual server. */
const DRAIN_PAGE = '/secure/virtual/0/real/0/drain';
const lab = new Lab('kdn');
let reals: Reals;
let agent: RouterAgent;
let gui: SuiteConsole;
const held: HeldConnection[] = [];

before(lab.explain(async () => {
  reals = await natLab(lab, { reals: 2, ports: [80] });
  const text = webConfig(reals, { network: 'nat', vip: VIP, scheduler: 'rr', timeout: 2 });
  gui = await SuiteConsole.start(text);
  agent = await RouterAgent.start(lab, ROUTER, text, { root: gui.root });
  await waitForKernel(lab, ROUTER, 'the service with both real servers', (t) => t.get(SERVICE)?.reals.length === 2);
}));

after(async () => {
  for (const h of held) h.close();
  await agent?.stop();
  await gui?.close();
  lab.destroy();
});

function activeCount(html: string): number | null {
  const m = /Active connections: (\d+)/.exec(visibleText(html));
  return m ? Number(m[1]) : null;
}

test('draining a real server in the console: weight 0 in the kernel, new connections elsewhere, established ones continue, DEACTIVATE once they close', lab.explain(async () => {
  // rr alternates: four held connections, two on each real server.
  for (let i = 0; i < 4; i++) held.push(await HeldConnection.open(lab, CLIENT, `${VIP}:80`));
  const onRs1 = held.filter((h) => h.server === 'rs1');
  assert.equal(onRs1.length, 2, `held by ${held.map((h) => h.server).join(', ')}`);

  const { html } = await gui.press(DRAIN_PAGE, DRAIN_PAGE, { action: 'drain', timeout: '' });
  assert.match(await gui.lvs(), /server rs1 \{[^}]*weight = 0/, 'lvs.cf has weight 0 for rs1');
  const rs1 = (await kernelTable(lab, ROUTER)).get(SERVICE)?.reals.find((r) => r.address === reals.address('rs1'));
  assert.equal(rs1?.weight, 0, 'the kernel keeps rs1 at weight 0 (not removed: its connections stay)');
  assert.equal(activeCount(html), 2, `the drain page counts rs1's connections:\n${visibleText(html).slice(0, 1500)}`);
  assert.match(visibleText(html), /DEACTIVATE is offered when no connection is left/);

  assert.deepEqual(tally(await connect(lab, CLIENT, 10, [`${VIP}:80`])), { rs2: 10 }, 'new connections go to rs2 only');
  for (const h of onRs1) assert.equal(await h.echo('still here'), 'still here', 'an established connection on rs1 carries on');

  for (const h of onRs1) h.close();
  const done = await waitFor(async () => {
    const page = await gui.page(DRAIN_PAGE);
    return activeCount(page) === 0 ? page : null;
  }, { timeoutMs: 60_000, message: "the drain page to count 0 of rs1's connections" });
  assert.match(visibleText(done), /No connection is left\. DEACTIVATE takes/);
  assert.match(done, /<button type="submit" name="action" value="deactivate">DEACTIVATE<\/button>/);
  // rs2's connections were never touched.
  for (const h of held.filter((x) => x.server === 'rs2')) assert.equal(await h.echo('rs2 too'), 'rs2 too');
}));
