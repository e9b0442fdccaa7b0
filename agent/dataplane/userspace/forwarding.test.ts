// The userspace dataplane forwarding real TCP and UDP traffic on 127.0.0.0/8.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { UserspaceDataplane, FWMARK_PROBLEM } from './dataplane.ts';
import { addTcpService, real, tcpService } from '../../../testing/dataplane.ts';
import { freePort } from '../../../testing/net.ts';
import { LineClient, startTcpBackend, startUdpBackend, tcpAsk, udpAsk } from '../../../testing/traffic.ts';
import { waitFor } from '../../../testing/wait.ts';

const VIP = '127.0.77.1';
const BE1 = '127.0.78.1';
const BE2 = '127.0.78.2';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function dataplane(opts = {}) {
  const dp = new UserspaceDataplane(opts);
  await dp.start();
  cleanups.push(() => dp.stop());
  return dp;
}

test('TCP: forwards both ways, passes half-close, and counts bytes, chunks and states', async () => {
  const a = await startTcpBackend('alpha', BE1, 0, { echo: true });
  const b = await startTcpBackend('beta', BE2, 0, { echo: true });
  cleanups.push(a.close, b.close);
  const dp = await dataplane();
  const { port } = await addTcpService(dp, VIP, [{ host: BE1, port: a.port }, { host: BE2, port: b.port }]);

  const c1 = new LineClient(VIP, port);
  assert.equal(await c1.next(), 'alpha', 'rr: first connection to the first real server');
  assert.equal(await c1.say('hello'), 'alpha:hello');
  let [svc] = await dp.table();
  assert.equal(svc!.problem, null);
  assert.equal(svc!.reals[0]!.activeConns, 1);
  assert.equal(svc!.reals[0]!.connections, 1);

  // Half-close: the client stops sending; the backend still answers, then closes.
  c1.sock.end();
  assert.equal(await c1.next(), 'alpha bye');
  await waitFor(() => c1.sock.destroyed || c1.ended, { timeoutMs: 5000, message: 'the end of the connection' });

  await waitFor(async () => (await dp.table())[0]!.reals[0]!.activeConns === 0, { timeoutMs: 5000, message: 'active to drop' });
  [svc] = await dp.table();
  const r0 = svc!.reals[0]!;
  assert.equal(r0.activeConns, 0);
  assert.equal(r0.inactiveConns, 1, 'a closed connection stays inactive for the TIME_WAIT window');
  assert.equal(r0.bytesIn, 'hello\n'.length);
  assert.equal(r0.bytesOut, 'alpha\n'.length + 'alpha:hello\n'.length + 'alpha bye\n'.length);
  assert.ok(r0.packetsIn >= 1 && r0.packetsOut >= 2, `chunks counted: ${r0.packetsIn}/${r0.packetsOut}`);

  assert.equal(await tcpAsk(VIP, port, { untilClosed: false }), 'beta', 'rr: second connection to the second');
});

test('TCP: a refused real server resets the client; the service keeps serving', async () => {
  const dp = await dataplane();
  const { port } = await addTcpService(dp, VIP, [{ host: BE1, port: await freePort(BE1) }]);
  const sock = net.connect({ host: VIP, port });
  const [err] = (await once(sock, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  await waitFor(async () => (await dp.table())[0]!.reals[0]!.activeConns === 0, { timeoutMs: 5000, message: 'counts to settle' });
});

test('UDP: datagrams reach a real server and replies come back from the VIP; sessions expire', async () => {
  const a = await startUdpBackend('ua', BE1);
  const b = await startUdpBackend('ub', BE2);
  cleanups.push(a.close, b.close);
  const dp = await dataplane({ udpTimeout: 1 });
  const port = await freePort(VIP);
  const key = `udp|${VIP}|${port}`;
  const r = await dp.apply([
    { op: 'addService', service: tcpService(VIP, port, { protocol: 'udp' }) },
    { op: 'addReal', key, real: real(BE1, a.port) },
    { op: 'addReal', key, real: real(BE2, b.port) },
  ]);
  assert.deepEqual(r.failures, []);

  const client = dgram.createSocket('udp4');
  cleanups.push(() => {
    client.close();
  });
  const first = await udpAsk(VIP, port, 'q1', { socket: client });
  assert.equal(first.reply, 'ua:q1');
  assert.equal(first.from, `${VIP}:${port}`, 'the answer comes from the VIP');
  const again = await udpAsk(VIP, port, 'q2', { socket: client });
  assert.equal(again.reply, 'ua:q2', 'same client address:port = same session = same server');
  const other = await udpAsk(VIP, port, 'q3');
  assert.equal(other.reply, 'ub:q3', 'a new client is scheduled (rr) to the next server');

  let [svc] = await dp.table();
  assert.equal(svc!.reals[0]!.inactiveConns, 1, 'UDP sessions count as inactive, as IPVS lists them');
  assert.equal(svc!.reals[0]!.packetsIn, 2);
  assert.equal(svc!.reals[0]!.packetsOut, 2);
  assert.equal(svc!.reals[0]!.bytesIn, 4);
  assert.equal(svc!.reals[0]!.bytesOut, 10);

  // udpTimeout 1 s: the sessions end within a few seconds of silence.
  await waitFor(async () => (await dp.table())[0]!.reals.every((x) => x.inactiveConns === 0), { timeoutMs: 8000, message: 'UDP sessions to expire' });
  [svc] = await dp.table();
  assert.equal(svc!.reals[0]!.connections, 1);
});

test('a VIP that is not local, a busy port and a firewall mark are reported; other services still forward', async () => {
  const a = await startTcpBackend('gamma', BE1, 0, { echo: true });
  cleanups.push(a.close);
  const dp = await dataplane();
  const port = await freePort(VIP);
  // 192.0.2.0/24 is TEST-NET-1: never assigned to this machine. Binding fails locally with
  // EADDRNOTAVAIL; no packet is sent anywhere.
  const foreign = tcpService('192.0.2.10', 8080);
  const busyPort = await freePort(VIP);
  const squatter = net.createServer().listen(busyPort, VIP);
  await once(squatter, 'listening');
  cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
  const busy = tcpService(VIP, busyPort);
  const fwm = { ...tcpService(VIP, 0), key: 'fwm|7', fwmark: 7 };
  const ok = tcpService(VIP, port);
  const r = await dp.apply([
    { op: 'addService', service: foreign },
    { op: 'addService', service: busy },
    { op: 'addService', service: fwm },
    { op: 'addService', service: ok },
    { op: 'addReal', key: foreign.key, real: real(BE1, a.port) },
    { op: 'addReal', key: ok.key, real: real(BE1, a.port) },
  ]);
  assert.deepEqual(r.failures, []);
  const t = await dp.table();
  const problem = (key: string) => t.find((s) => s.key === key)!.problem;
  assert.equal(problem(foreign.key), 'VIP 192.0.2.10 is not an address of this machine');
  assert.equal(problem(busy.key), `TCP ${VIP}:${busyPort} is already in use by another program`);
  assert.equal(problem('fwm|7'), FWMARK_PROBLEM);
  assert.equal(problem(ok.key), null);
  assert.equal(t.length, 4, 'services with a problem stay in the table');
  assert.equal(await tcpAsk(VIP, port, { untilClosed: false }), 'gamma');

  // The busy port frees up: the dataplane retries and takes it over.
  await new Promise<void>((r) => squatter.close(() => r()));
  await waitFor(async () => (await dp.table()).find((s) => s.key === busy.key)!.problem === null, { timeoutMs: 8000, message: 'rebind' });
});

test('apply() reports invalid and impossible operations and applies the rest', async () => {
  const dp = await dataplane();
  const port = await freePort(VIP);
  const key = `tcp|${VIP}|${port}`;
  const bad = { op: 'addReal', key, real: { address: '10.0.0.1\n-C', port: 80, weight: 1, method: 'm' } } as const;
  const r = await dp.apply([
    { op: 'addService', service: tcpService(VIP, port) },
    { op: 'addService', service: tcpService(VIP, port) },
    bad as never,
    { op: 'addReal', key: 'tcp|127.0.77.1|1', real: real(BE1, 80) },
    { op: 'addService', service: { ...tcpService(VIP, port + 1), key: 'tcp|wrong|1' } },
    { op: 'addReal', key, real: real(BE1, 80) },
  ]);
  assert.deepEqual(
    r.failures.map((f) => f.message),
    [
      `service ${key} already exists`,
      'invalid operation: real.address: must be an IPv4 address or a host name',
      'no service tcp|127.0.77.1|1',
      `invalid operation: service: key "tcp|wrong|1" does not match the service (expected "tcp|${VIP}|${port + 1}")`,
    ],
  );
  const t = await dp.table();
  assert.equal(t.length, 1);
  assert.equal(t[0]!.reals.length, 1);
});

test('stop() closes the listeners and cuts open connections', async () => {
  const a = await startTcpBackend('delta', BE1, 0, { echo: true });
  cleanups.push(a.close);
  const dp = new UserspaceDataplane();
  await dp.start();
  const { port } = await addTcpService(dp, VIP, [{ host: BE1, port: a.port }]);
  const c = new LineClient(VIP, port);
  assert.equal(await c.next(), 'delta');
  await dp.stop();
  await waitFor(() => c.sock.destroyed || c.ended, { timeoutMs: 5000, message: 'the client to be cut' });
  const probe = net.connect({ host: VIP, port });
  const [err] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
  assert.deepEqual(await dp.table(), []);
});

test('TCP: a connection idle for longer than tcpIdleTimeout is cut', async () => {
  const a = await startTcpBackend('idle', BE1, 0, { echo: true });
  cleanups.push(a.close);
  const dp = await dataplane({ tcpIdleTimeout: 1 });
  const { port } = await addTcpService(dp, VIP, [{ host: BE1, port: a.port }]);
  const c = new LineClient(VIP, port);
  assert.equal(await c.next(), 'idle');
  // Swept once a second: cut after 2-3 s of silence; generous bound.
  await waitFor(() => c.sock.destroyed || c.ended, { timeoutMs: 8000, message: 'the idle connection to be cut' });
  await waitFor(async () => (await dp.table())[0]!.reals[0]!.activeConns === 0, { timeoutMs: 5000, message: 'counts to settle' });
});

test('TCP: a real server named by a host name is reached at the address the name resolves to', async () => {
  // localhost resolves to 127.0.0.1 on every machine this runs on (/etc/hosts).
  const backend = await startTcpBackend('named', '127.0.0.1', 0, { echo: true });
  cleanups.push(backend.close);
  const dp = await dataplane();
  const { port } = await addTcpService(dp, VIP, [{ host: 'localhost', port: backend.port }]);
  // The first lookup is asynchronous: until it answers, clients are reset rather than misrouted.
  await waitFor(async () => (await tcpAsk(VIP, port, { untilClosed: false }).catch(() => '')) === 'named', { timeoutMs: 5000, message: 'the name to resolve' });
  const [svc] = await dp.table();
  assert.equal(svc!.reals[0]!.address, 'localhost');
});
