// The socket's handlers: the core's domain errors become protocol codes here and only here, and
// the internal views are mapped to wire types (an internal field does not leak onto the wire).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TrafficSampler } from './traffic/sampler.ts';
import { handlersOnceReady, rpcHandlers, toRpcError, type AgentCore } from './rpc-handlers.ts';
import { BadChangeError, ConfigInvalidError, NotFoundError, PairError, StaleBaseError } from './errors.ts';
import { RpcError, SocketServer } from './socket-server.ts';
import { AgentClient, AgentError } from './client.ts';
import { checkResult, type StatusResult } from './protocol/index.ts';
import type { ServiceStats as DataplaneService } from './dataplane/types.ts';
import type { HaStatus as InternalHaStatus } from './ha/index.ts';
import { serviceToWire } from './wire-map.ts';
import { tempRoot } from '../testing/temp.ts';

const status: StatusResult = {
  running: true, role: 'standalone', since: new Date(0).toISOString(), serial: 1, configPath: '/x/lvs.cf', dataplane: 'ipvs',
  pid: 1, startedAt: new Date(0).toISOString(), lastReloadError: null, problems: [],
};

const service = {
  key: 'tcp|192.168.1.250|80', name: 'web', protocol: 'tcp', address: '192.168.1.250', port: 80, fwmark: 0, scheduler: 'wlc',
  persistent: 0, pmask: null, problem: null,
  reals: [{ address: '10.0.0.2', port: 80, method: 'g', weight: 1, activeConns: 2, inactiveConns: 3, connections: 9, packetsIn: 1, packetsOut: 1, bytesIn: 60, bytesOut: 60 }],
  // What a dataplane might keep for itself: not part of the protocol.
  kernelHandle: 42,
} as DataplaneService;

const ha: InternalHaStatus = {
  role: 'primary', state: 'active',
  partner: { lastHeartbeat: null, state: 'unknown', serial: null, addresses: ['10.0.0.9'] },
  dropped: { 'wrong-sender': 0, malformed: 1, unauthenticated: 0, 'bad-tag': 0, replay: 0, 'wrong-node': 0 },
  history: [{ time: new Date(0).toISOString(), from: 'standby', to: 'active', reason: 'partner dead' }],
  keyConfigured: true,
  sync: { localSerial: 1, partnerSerial: null, inSync: null, lastSync: null, lastError: null },
  vips: [{ address: '192.168.1.250', prefix: 24, device: 'eth0', label: 'eth0:1' }],
  linkUp: true, problems: [], warnings: [], splitBrain: null,
};

const traffic = new TrafficSampler({ read: async () => [] });

function core(over: Partial<AgentCore> = {}): AgentCore {
  return {
    status: async () => status,
    table: async () => ({ services: [serviceToWire(service)] }),
    checkers: async () => ({ checkers: [] }),
    reload: async () => ({ serial: 1, operations: 0 }),
    start: async () => status,
    stop: async () => status,
    checkNow: async () => {
      throw new NotFoundError('no virtual server named www');
    },
    haStatus: () => null,
    kernel: {
      driftNow: async () => ({ watched: false, checkedAt: null, differences: [], operations: 0, error: null }),
      routerSettings: async () => ({ managed: false, settings: [] }),
    },
    reconcile: async () => ({ operations: 0, failed: [], drift: { watched: false, checkedAt: null, differences: [], operations: 0, error: null } }),
    checkHistory: () => {
      throw new NotFoundError('no virtual server named www');
    },
    plan: async () => ({ serial: 1, directing: true, role: 'standalone', scope: 'changed', services: 0, operations: [], notes: [], problems: [] }),
    ...over,
  };
}

test('domain errors become protocol codes with their message; other errors pass through', () => {
  const cases: [Error, string][] = [
    [new ConfigInvalidError('lvs.cf:3:1: error[X]: bad'), 'E_CONFIG_INVALID'],
    [new NotFoundError('no virtual server named www'), 'E_NOT_FOUND'],
    [new PairError('cannot rejoin the pair: EADDRINUSE'), 'E_INTERNAL'],
    [new StaleBaseError('the change is based on a version of lvs.cf this agent does not have'), 'E_STALE'],
    [new BadChangeError('the change does not fit lvs.cf: hunk 1 reaches past the end of the file'), 'E_BAD_PARAMS'],
  ];
  for (const [err, code] of cases) {
    const out = toRpcError(err);
    assert.ok(out instanceof RpcError);
    assert.equal(out.code, code);
    assert.equal(out.message, err.message);
  }
  const other = new Error('boom');
  assert.equal(toRpcError(other), other);
});

test('table and haStatus answer in wire types that pass the protocol, without internal fields', async () => {
  const asked: unknown[] = [];
  const h = rpcHandlers(core({ haStatus: () => ha, table: async (p) => (asked.push(p), { services: [serviceToWire(service)] }) }), traffic);
  const table = await h.table({ search: 'web', limit: 10 });
  assert.deepEqual(asked, [{ search: 'web', limit: 10 }], 'the filters reach the core');
  assert.equal('kernelHandle' in table.services[0]!, false);
  assert.deepEqual(checkResult('table', table), { ok: true, value: table });
  const s = await h.haStatus({});
  assert.deepEqual(s, ha);
  assert.notEqual(s, ha, 'a copy: later changes inside the redundancy module do not reach an answer already given');
  assert.ok(checkResult('haStatus', s).ok);
  assert.equal(await rpcHandlers(core(), traffic).haStatus({}), null);
});

test('over the socket: the client sees the protocol codes', async () => {
  const t = await tempRoot('piranha-rpc-');
  after(t.remove);
  const server = new SocketServer({
    path: join(t.root, 'a.sock'),
    version: '1.0.0',
    handlers: rpcHandlers(core({ reload: async () => Promise.reject(new ConfigInvalidError('lvs.cf:2:5: error[S]: bad')) }), traffic),
  });
  await server.listen();
  const c = await AgentClient.connect(join(t.root, 'a.sock'));
  await assert.rejects(c.call('reload', {}), (e: AgentError) => e.code === 'E_CONFIG_INVALID' && e.message === 'lvs.cf:2:5: error[S]: bad');
  await assert.rejects(c.call('checkNow', { virtual: 'www', server: 'a' }), (e: AgentError) => e.code === 'E_NOT_FOUND');
  assert.deepEqual((await c.call('table', {})).services[0]!.reals[0]!.connections, 9);
  c.close();
  await server.close();
});

test('a socket that answers before the agent exists: hello at once, calls once the agent is there', async () => {
  const t = await tempRoot('piranha-rpc-');
  after(t.remove);
  let ready!: (h: ReturnType<typeof rpcHandlers>) => void;
  const server = new SocketServer({ path: join(t.root, 'a.sock'), version: '1.0.0', handlers: handlersOnceReady(new Promise((r) => (ready = r))) });
  await server.listen();
  // The handshake is answered while the agent is still starting.
  const c = await AgentClient.connect(join(t.root, 'a.sock'));
  let answered = false;
  const pending = c.call('status', {}).then((s) => {
    answered = true;
    return s;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(answered, false, 'a call waits for the agent');
  ready(rpcHandlers(core(), traffic));
  assert.deepEqual(await pending, status);
  await assert.rejects(c.call('checkNow', { virtual: 'www', server: 'a' }), (e: AgentError) => e.code === 'E_NOT_FOUND');
  c.close();
  await server.close();
});
