// A kernel refusal. With ip_vs_wrr not loaded the kernel refuses `-A … -s wrr` ("Scheduler or
// persistence engine not found"): the agent must say so with the kernel's own reason in
// status.problems, must not count the service as applied (its table, read over the socket, does
// not claim it), must keep serving the rest, and must retry on its own until, once the module is
// loaded, the service is in the kernel and carries traffic. CONTROL/MONITORING (the real console,
// on the agent's root) shows the refusal with the kernel's reason while it stands.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../../testing/wait.ts';
import { RouterAgent } from '../lib/agent.ts';
import { SuiteConsole, visibleText } from '../lib/console.ts';
import { kernelTable, waitForKernel } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { lvsCf } from '../../../testing/lvs-cf.ts';
import { loadModule, moduleLoaded, unloadModule } from '../lib/modules.ts';
import { CLIENT, NAT_ROUTER, ROUTER, natLab, type Reals } from '../lib/topology.ts';
import { EXPECT_GREETING, connect, tally } from '../lib/traffic.ts';

const REFUSED = 'tcp|198.51.100.30|80';
const SERVED = 'tcp|198.51.100.31|80';
const KERNEL_REASON = /Scheduler or persistence engine not found/;
const lab = new Lab('krf');
let reals: Reals;
let agent: RouterAgent;
let gui: SuiteConsole;

before(lab.explain(async () => {
  // Earlier files' namespaces may still be on their way out, holding the module for a moment.
  await unloadModule('ip_vs_wrr');
  reals = await natLab(lab, { reals: 2, ports: [80] });
  const servers = reals.names.map((n) => ({ name: n, address: reals.address(n), weight: 1 }));
  const text = lvsCf({
    network: 'nat',
    natRouter: { address: NAT_ROUTER, device: 'eth1:1' },
    virtuals: [
      { name: 'weighted', vip: '198.51.100.30', device: 'eth0:1', port: 80, scheduler: 'wrr', timeout: 2, expect: EXPECT_GREETING, servers },
      { name: 'plain', vip: '198.51.100.31', device: 'eth0:1', port: 80, scheduler: 'rr', timeout: 2, expect: EXPECT_GREETING, servers },
    ],
  });
  gui = await SuiteConsole.start(text);
  agent = await RouterAgent.start(lab, ROUTER, text, { root: gui.root });
  // The other service with both real servers: the health checks passed and the agent applied.
  await waitForKernel(lab, ROUTER, 'the rr service with both real servers', (t) => t.get(SERVED)?.reals.length === 2);
}));

after(async () => {
  await agent?.stop();
  await gui?.close();
  lab.destroy();
  if (!moduleLoaded('ip_vs_wrr')) loadModule('ip_vs_wrr');
});

test("without ip_vs_wrr the kernel refuses the wrr service: status shows the kernel's reason, and the agent does not count it as applied", lab.explain(async () => {
  assert.ok(!moduleLoaded('ip_vs_wrr'), 'ip_vs_wrr is not loaded');
  const problems = await waitFor(
    async () => {
      const list = await agent.problems();
      return list.some((p) => KERNEL_REASON.test(p)) ? list : null;
    },
    { timeoutMs: 30_000, message: "the kernel's refusal in status.problems" },
  );
  const refusal = problems.find((p) => KERNEL_REASON.test(p))!;
  assert.match(refusal, /198\.51\.100\.30|weighted/, `the problem names the service: ${refusal}`);
  const kernel = await kernelTable(lab, ROUTER);
  assert.ok(!kernel.has(REFUSED), 'the kernel has no wrr service');
  const claimed = (await agent.client.call('table', {})).services.map((s) => s.key);
  assert.ok(!claimed.includes(REFUSED), `the agent's table claims the refused service: ${claimed.join(', ')}`);
  assert.ok(claimed.includes(SERVED), 'the rr service is served');
  assert.deepEqual(tally(await connect(lab, CLIENT, 20, ['198.51.100.31:80'])), { rs1: 10, rs2: 10 });
  // What the administrator sees on CONTROL/MONITORING: the service and the kernel's own words.
  const page = visibleText(await gui.page('/secure/control'));
  const shown = /tcp\|198\.51\.100\.30\|80 ?: .{0,120}? failed: ipvsadm: .{0,300}?Scheduler or persistence engine not found/.exec(page);
  assert.ok(shown, `CONTROL shows the refusal with the kernel's reason:\n${page.slice(page.indexOf('CONTROL'), page.indexOf('CURRENT LVS ROUTING TABLE'))}`);
}));

test('once ip_vs_wrr is loaded, the agent retries on its own: the service is in the kernel, carries traffic, and the problem is gone', lab.explain(async () => {
  loadModule('ip_vs_wrr');
  await waitForKernel(lab, ROUTER, 'the wrr service with both real servers', (t) => t.get(REFUSED)?.scheduler === 'wrr' && t.get(REFUSED)?.reals.length === 2, 30_000);
  assert.deepEqual(tally(await connect(lab, CLIENT, 20, ['198.51.100.30:80'])), { rs1: 10, rs2: 10 });
  await waitFor(async () => !(await agent.problems()).some((p) => KERNEL_REASON.test(p)), { timeoutMs: 30_000, message: 'the refusal to leave status.problems' });
  const claimed = (await agent.client.call('table', {})).services.map((s) => s.key);
  assert.ok(claimed.includes(REFUSED), "the agent's table now has the wrr service");
  assert.doesNotMatch(visibleText(await gui.page('/secure/control')), KERNEL_REASON, 'the refusal left CONTROL');
}));
