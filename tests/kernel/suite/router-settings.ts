// The kernel settings the agent manages on the ipvs dataplane. With every one of them off before it
// starts (and an nftables nat chain in the router's ruleset, and a quiesce_server virtual server),
// the agent sets net.ipv4.ip_forward, net.ipv4.vs.expire_nodest_conn,
// net.ipv4.vs.expire_quiescent_template and net.ipv4.vs.conntrack, reads each back, and reports
// name, wanted and actual over the socket and on CONTROL; NAT traffic flows because it did. With
// /proc/sys read-only (as in a container) the agent still starts and serves, and each refusal is
// a clear error with the kernel's reason in status.problems and on CONTROL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { RouterAgent } from '../lib/agent.ts';
import { SuiteConsole, visibleText } from '../lib/console.ts';
import { waitForKernel } from '../lib/kernel-table.ts';
import { Lab } from '../../../testing/lab.ts';
import { CLIENT, ROUTER, natLab, webConfig, type Reals } from '../lib/topology.ts';
import { connect, tally } from '../lib/traffic.ts';

const VIP = '198.51.100.50';
const SERVICE = `tcp|${VIP}|80`;
const MANAGED = ['net.ipv4.ip_forward', 'net.ipv4.vs.expire_nodest_conn', 'net.ipv4.vs.expire_quiescent_template', 'net.ipv4.vs.conntrack'];
const lab = new Lab('kst');
let reals: Reals;
let agent: RouterAgent | null = null;
let gui: SuiteConsole;
let readOnly = false;

function allOff(): void {
  lab.sysctl(ROUTER, MANAGED.map((n) => `${n}=0`));
}

/** The router's own value of a sysctl, read in its namespace. */
function routerValue(name: string): string {
  return lab.sh(ROUTER, ['sysctl', '-n', name]).trim();
}

/**
 * /proc/sys/net read-only for processes started from now on (the agent's namespace copies the
 * mount): every setting the agent manages lives there. Not the whole of /proc/sys: node itself
 * crashed at start in the emulated guest with all of it read-only, before any code of ours ran.
 */
const RO = '/proc/sys/net';
function mountProcSysReadOnly(): void {
  for (const args of [['--bind', RO, RO], ['-o', 'remount,bind,ro', RO]]) {
    const r = spawnSync('mount', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mount ${args.join(' ')} failed: ${r.stderr.trim()}`);
    lab.log(`mount ${args.join(' ')}`);
  }
  readOnly = true;
}

function unmountProcSys(): void {
  if (!readOnly) return;
  spawnSync('umount', [RO]);
  readOnly = false;
}

async function startAgent(): Promise<void> {
  const text = webConfig(reals, { network: 'nat', vip: VIP, scheduler: 'rr', timeout: 2, quiesce: true });
  gui ??= await SuiteConsole.start(text);
  agent = await RouterAgent.start(lab, ROUTER, text, { root: gui.root });
  await waitForKernel(lab, ROUTER, 'the service with both real servers', (t) => t.get(SERVICE)?.reals.length === 2);
}

function settingsSection(html: string): string {
  const text = visibleText(html);
  return text.slice(text.indexOf('ROUTER SETTINGS'), text.indexOf('CURRENT REAL SERVER CHECKS'));
}

before(lab.explain(async () => {
  reals = await natLab(lab, { reals: 2, ports: [80] });
  // A nat chain in the router's ruleset (its rules do not matter: its presence makes netfilter NAT
  // part of the path, which then needs IPVS connections in conntrack).
  lab.nft(ROUTER, ['table ip lab {', '  chain post {', '    type nat hook postrouting priority 100;', '  }', '}'].join('\n') + '\n');
  allOff();
  await startAgent();
}));

after(async () => {
  await agent?.stop();
  unmountProcSys();
  await gui?.close();
  lab.destroy();
});

test('the agent sets the kernel settings IPVS relies on, reads them back, and shows them; NAT flows because it did', lab.explain(async () => {
  const answer = await agent!.client.call('routerSettings', {});
  assert.equal(answer.managed, true);
  assert.deepEqual(answer.settings.map((s) => [s.name, s.wanted, s.actual, s.error]), MANAGED.map((n) => [n, '1', '1', null]));
  for (const n of MANAGED) assert.equal(routerValue(n), '1', `the router's ${n}`);
  assert.deepEqual(tally(await connect(lab, CLIENT, 10, [`${VIP}:80`])), { rs1: 5, rs2: 5 });
  const section = settingsSection(await gui.page('/secure/control'));
  for (const n of MANAGED) assert.match(section, new RegExp(`${n.replace(/\./g, '\\.')} 1 1 set `), `CONTROL shows ${n}:\n${section}`);
}));

test('with /proc/sys read-only the agent still starts and serves; each refused setting is a clear error on CONTROL', lab.explain(async () => {
  await agent!.stop();
  agent = null;
  allOff();
  // The routing the NAT needs, set by hand, so that the rest of the table is seen to work.
  lab.sysctl(ROUTER, ['net.ipv4.ip_forward=1']);
  mountProcSysReadOnly();
  await startAgent();
  const status = await agent!.client.call('status', {});
  assert.equal(status.running, true, 'the agent runs');
  const answer = await agent!.client.call('routerSettings', {});
  const refused = answer.settings.filter((s) => s.error !== null);
  assert.deepEqual(refused.map((s) => [s.name, s.actual]), MANAGED.slice(1).map((n) => [n, '0']));
  for (const s of refused) assert.match(s.error!, /the kernel refused to set it: \/proc\/sys\/net\/ipv4\/vs\/\w+ is on a read-only file system/);
  const problems = status.problems.filter((p) => p.service === 'router settings').map((p) => p.message);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.deepEqual(tally(await connect(lab, CLIENT, 10, [`${VIP}:80`])), { rs1: 5, rs2: 5 });
  const page = await gui.page('/secure/control');
  const section = settingsSection(page);
  assert.match(section, /net\.ipv4\.ip_forward 1 1 set /);
  assert.match(section, /net\.ipv4\.vs\.conntrack 1 0 not set: the kernel refused to set it: \/proc\/sys\/net\/ipv4\/vs\/conntrack is on a read-only file system/);
  assert.match(visibleText(page), /router settings ?: net\.ipv4\.vs\.expire_nodest_conn should be 1: the kernel refused to set it/);
}));
