// Service and server lifecycle in the userspace dataplane: deleting while connections are open,
// persistence over UDP, changing persistence, re-adding a removed server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { UserspaceDataplane } from './dataplane.ts';
import { addTcpService, real, tcpService } from '../../../testing/dataplane.ts';
import { freePort } from '../../../testing/net.ts';
import { LineClient, startTcpBackend, startUdpBackend, tcpAsk, udpAsk } from '../../../testing/traffic.ts';
import { waitFor } from '../../../testing/wait.ts';

const VIP = '127.0.81.1';
const H1 = '127.0.82.1';
const H2 = '127.0.82.2';

const a = await startTcpBackend('a', H1, 0, { echo: true });
const b = await startTcpBackend('b', H2, 0, { echo: true });
const ua = await startUdpBackend('ua', H1);
const ub = await startUdpBackend('ub', H2);
const dp = new UserspaceDataplane();
await dp.start();
after(async () => {
  await dp.stop();
  await Promise.all([a.close(), b.close(), ua.close(), ub.close()]);
});

test('deleteService: open connections finish, new ones are refused, stop() cuts the rest', async () => {
  const own = new UserspaceDataplane();
  await own.start();
  const { port, key } = await addTcpService(own, VIP, [{ host: H1, port: a.port }]);
  const open = new LineClient(VIP, port);
  assert.equal(await open.next(), 'a');
  const r = await own.apply([{ op: 'deleteService', key }]);
  assert.deepEqual(r.failures, []);
  assert.deepEqual(await own.table(), []);
  assert.equal(await open.say('after delete'), 'a:after delete');
  const probe = net.connect({ host: VIP, port });
  const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
  await own.stop();
  await waitFor(() => open.sock.destroyed || open.ended, { timeoutMs: 5000, message: 'the draining connection to be cut' });
});

test('deleteReal: its open connection keeps flowing; the server can be added back', async () => {
  const { port, key } = await addTcpService(dp, VIP, [{ host: H1, port: a.port }, { host: H2, port: b.port }]);
  const open = new LineClient(VIP, port);
  assert.equal(await open.next(), 'a');
  await dp.apply([{ op: 'deleteReal', key, address: H1, port: a.port }]);
  assert.equal(await open.say('x'), 'a:x');
  for (let i = 0; i < 4; i++) assert.equal(await tcpAsk(VIP, port, { untilClosed: false }), 'b');
  const again = await dp.apply([{ op: 'addReal', key, real: real(H1, a.port) }]);
  assert.deepEqual(again.failures, []);
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add(await tcpAsk(VIP, port, { untilClosed: false }));
  assert.deepEqual([...seen].sort(), ['a', 'b']);
  const [svc] = (await dp.table()).filter((s) => s.key === key);
  assert.equal(svc!.reals.find((r) => r.address === H1)!.connections, 2, 'counters start over for a re-added server');
  open.close();
  await dp.apply([{ op: 'deleteService', key }]);
});

test('UDP persistence: two client ports of one address stay on one server', async () => {
  const port = await freePort(VIP);
  const key = `udp|${VIP}|${port}`;
  await dp.apply([
    { op: 'addService', service: tcpService(VIP, port, { protocol: 'udp', persistent: 30 }) },
    { op: 'addReal', key, real: real(H1, ua.port) },
    { op: 'addReal', key, real: real(H2, ub.port) },
  ]);
  const answers = new Set<string>();
  for (let i = 0; i < 6; i++) answers.add((await udpAsk(VIP, port, `m${i}`)).reply.split(':')[0]!);
  assert.equal(answers.size, 1, `one server for every session of 127.0.0.1: ${[...answers]}`);
  const [svc] = (await dp.table()).filter((s) => s.key === key);
  assert.equal(svc!.reals.reduce((n, r) => n + r.connections, 0), 6);
  await dp.apply([{ op: 'deleteService', key }]);
});

test('editService turning persistence off lets the scheduler spread clients again', async () => {
  const port = await freePort(VIP);
  const spec = tcpService(VIP, port, { persistent: 30 });
  await dp.apply([
    { op: 'addService', service: spec },
    { op: 'addReal', key: spec.key, real: real(H1, a.port) },
    { op: 'addReal', key: spec.key, real: real(H2, b.port) },
  ]);
  const stuck = new Set<string>();
  for (let i = 0; i < 4; i++) stuck.add(await tcpAsk(VIP, port, { untilClosed: false }));
  assert.equal(stuck.size, 1);
  await dp.apply([{ op: 'editService', service: { ...spec, persistent: 0 } }]);
  const spread = new Set<string>();
  for (let i = 0; i < 4; i++) spread.add(await tcpAsk(VIP, port, { untilClosed: false }));
  assert.deepEqual([...spread].sort(), ['a', 'b']);
  const [svc] = (await dp.table()).filter((s) => s.key === spec.key);
  assert.equal(svc!.persistent, 0);
  await dp.apply([{ op: 'deleteService', key: spec.key }]);
});

test('no real server left: TCP clients are reset at once, UDP datagrams dropped', async () => {
  const { port, key } = await addTcpService(dp, VIP, [{ host: H1, port: a.port, weight: 0 }]);
  const sock = net.connect({ host: VIP, port });
  const [err] = (await once(sock, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET', 'the only server is quiesced: nobody takes new connections');
  const uport = await freePort(VIP);
  const ukey = `udp|${VIP}|${uport}`;
  await dp.apply([{ op: 'addService', service: tcpService(VIP, uport, { protocol: 'udp' }) }]);
  const c = dgram.createSocket('udp4');
  await assert.rejects(udpAsk(VIP, uport, 'anyone?', { socket: c }), /no UDP reply/);
  c.close();
  await waitFor(async () => (await dp.table()).find((s) => s.key === key)!.reals[0]!.activeConns === 0, { timeoutMs: 3000, message: 'no stray counts' });
  await dp.apply([{ op: 'deleteService', key }, { op: 'deleteService', key: ukey }]);
});
