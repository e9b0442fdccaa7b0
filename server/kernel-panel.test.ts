// The kernel panel of CONTROL/MONITORING, against an agent that reports the ipvs dataplane (the
// real socket server with scripted answers; the kernel suite runs it against the real agent on a
// real kernel): the kernel's counters per real server, the drift with RECONCILE (a POST form with
// the CSRF token, whose answer is the page's message), and the router settings with their errors.
import { TrafficSampler } from '../agent/traffic/sampler.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketServer, type Handlers } from '../agent/socket-server.ts';
import { rpcHandlers } from '../agent/rpc-handlers.ts';
import type { DriftResult, ReconcileResult, RouterSettingsResult, ServiceStats, StatusResult } from '../agent/protocol/index.ts';
import { makeConsole, follow } from '../testing/console.ts';

const status: StatusResult = {
  running: true, role: 'standalone', since: new Date(0).toISOString(), serial: 1, configPath: '/x/lvs.cf', dataplane: 'ipvs',
  pid: 77, startedAt: new Date(0).toISOString(), lastReloadError: null, problems: [],
};
const service: ServiceStats = {
  key: 'tcp|192.0.2.50|80', name: 'web', protocol: 'tcp', address: '192.0.2.50', port: 80, fwmark: 0, scheduler: 'wrr', persistent: 0, pmask: null, problem: null,
  reals: [{ address: '10.0.0.2', port: 80, method: 'm', weight: 1, activeConns: 2, inactiveConns: 3, connections: 17, packetsIn: 170, packetsOut: 150, bytesIn: 9000, bytesOut: 12000 }],
};
const drifted: DriftResult = {
  watched: true, checkedAt: '2026-01-01T00:00:00.000Z', operations: 1, error: null,
  differences: [{ service: service.key, virtual: 'web', kind: 'real-changed', text: 'real server 10.0.0.2:80 of tcp|192.0.2.50|80 (web) has weight 5 in the table, Piranha applied 1' }],
};
const settings: RouterSettingsResult = {
  managed: true,
  settings: [
    { name: 'net.ipv4.ip_forward', wanted: '1', actual: '1', reason: 'NAT', error: null },
    { name: 'net.ipv4.vs.conntrack', wanted: '1', actual: '0', reason: 'nat rules', error: 'the kernel refused to set it: /proc/sys/net/ipv4/vs/conntrack is on a read-only file system' },
  ],
};

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/\s+/g, ' ');
}

async function ipvsAgent(t: import('node:test').TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'piranha-kernel-panel-'));
  const path = join(dir, 'agent.sock');
  let drift = drifted;
  let reconciles = 0;
  const handlers: Handlers = rpcHandlers({
    status: async () => status,
    table: async () => ({ services: [service] }),
    checkers: async () => ({ checkers: [] }),
    reload: async () => ({ serial: 1, operations: 0 }),
    start: async () => status,
    stop: async () => status,
    checkNow: async () => { throw new Error('not here'); },
    haStatus: () => null,
    plan: async () => { throw new Error('not here'); },
    kernel: { driftNow: async () => drift, routerSettings: async () => settings },
    reconcile: async (): Promise<ReconcileResult> => {
      reconciles++;
      const r = { operations: drift.operations, failed: [], drift: { ...drift, differences: [], operations: 0 } };
      drift = r.drift;
      return r;
    }, checkHistory: () => { throw new Error('x'); } }, new TrafficSampler({ read: async () => [] }));
  const server = new SocketServer({ path, version: '0.0.0', handlers });
  await server.listen();
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { path, reconciles: () => reconciles };
}

test("CONTROL on the ipvs dataplane: the kernel's counters, the drift, RECONCILE and the router settings", async (t) => {
  const agent = await ipvsAgent(t);
  const c = await makeConsole(t, { agentSocket: agent.path });
  const page = await c.get('/secure/control');
  assert.equal(page.statusCode, 200, page.body.slice(0, 2000));
  const shown = text(page.body);
  assert.match(shown, /KERNEL IPVS TABLE .* TCP 192\.0\.2\.50:80 web 17 170 150 9000 12000 -> 10\.0\.0\.2:80 1 2 3 17 170 150 9000 12000/);
  assert.match(shown, /Drift: the kernel table was changed outside Piranha .* RECONCILE restores it with 1 operation: real server 10\.0\.0\.2:80 of tcp\|192\.0\.2\.50\|80 \(web\) has weight 5 in the table, Piranha applied 1/);
  assert.match(shown, /net\.ipv4\.ip_forward 1 1 set NAT/);
  assert.match(shown, /net\.ipv4\.vs\.conntrack 1 0 not set: the kernel refused to set it: \/proc\/sys\/net\/ipv4\/vs\/conntrack is on a read-only file system/);
  // Without the form's token the button does nothing.
  const forged = await c.post('/secure/control/reconcile', { action: 'reconcile' });
  assert.equal(forged.statusCode, 403);
  assert.equal(agent.reconciles(), 0);
  const after = await follow(c, await c.submit('/secure/control', '/secure/control/reconcile', { action: 'reconcile' }));
  assert.equal(agent.reconciles(), 1);
  assert.match(text(after.body), /RECONCILE: 1 of 1 operation restored the kernel table Piranha applied\./);
  assert.match(text(after.body), /No drift: the kernel table is as Piranha applied it/);
});

test('CONTROL on the userspace dataplane has no kernel panel', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'piranha-kernel-panel-'));
  const path = join(dir, 'agent.sock');
  const server = new SocketServer({
    path, version: '0.0.0',
    handlers: rpcHandlers({
      status: async () => ({ ...status, dataplane: 'userspace' }), table: async () => ({ services: [] }), checkers: async () => ({ checkers: [] }),
      reload: async () => ({ serial: 1, operations: 0 }), start: async () => status, stop: async () => status,
      checkNow: async () => { throw new Error('x'); }, haStatus: () => null, plan: async () => { throw new Error('x'); },
      kernel: { driftNow: async () => drifted, routerSettings: async () => settings },
      reconcile: async () => ({ operations: 0, failed: [], drift: drifted }), checkHistory: () => { throw new Error('x'); } }, new TrafficSampler({ read: async () => [] })),
  });
  await server.listen();
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const c = await makeConsole(t, { agentSocket: path });
  const page = await c.get('/secure/control');
  assert.equal(page.statusCode, 200);
  assert.doesNotMatch(text(page.body), /KERNEL IPVS TABLE|RECONCILE|ROUTER SETTINGS/);
});
