// Bulk transfer through the userspace dataplane with a client that stops reading for a while, so
// both directions back up (the relay pauses the side it cannot forward to). What comes back must be
// exactly what was sent: the relay reads the real server's replies into one shared buffer, and a
// write that has to wait must not see that buffer overwritten by later reads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { startTcpService } from '../../../testing/dataplane.ts';
import { waitFor } from '../../../testing/wait.ts';

const VIP = '127.0.77.41';
const BE = '127.0.78.41';
const SIZE = 8 * 1024 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** An echo server: every byte it receives goes back, and its FIN follows the client's. */
async function echoBackend(host: string): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, host);
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Sends `payload` and closes; `done` says whether exactly the payload came back before the FIN. */
function echo(host: string, port: number, payload: Buffer, paused: boolean) {
  const sock = net.connect({ host, port, allowHalfOpen: true });
  const got: Buffer[] = [];
  let n = 0;
  sock.on('data', (d: Buffer) => {
    got.push(d);
    n += d.length;
  });
  if (paused) sock.pause();
  sock.end(payload);
  const done = once(sock, 'end').then(() => {
    sock.destroy();
    return sha(Buffer.concat(got)) === sha(payload);
  });
  return { sock, done, received: () => n };
}

test('TCP: 8 MiB echoed to a paused client arrive intact while another connection keeps the relay busy; bytes counted', async () => {
  const bePort = await echoBackend(BE);
  const { dp, port } = await startTcpService(VIP, [{ host: BE, port: bePort }], cleanups);

  // Client A stops reading at once and sends everything: the echo fills the kernel buffers
  // towards it, the relay's writes to A have to wait, and the relay stops reading A's server.
  // Meanwhile client B reads actively, so the shared read buffer keeps being refilled under A's
  // waiting data.
  const a = echo(VIP, port, randomBytes(SIZE), true);
  await new Promise((res) => setTimeout(res, 300));
  const b = echo(VIP, port, randomBytes(SIZE), false);
  assert.ok(await b.done, 'B: every byte came back in order and unaltered');
  assert.equal(a.received(), 0, 'A reads nothing while paused');
  a.sock.resume();
  assert.ok(await a.done, 'A: every byte came back in order and unaltered');

  await waitFor(async () => (await dp.table())[0]!.reals[0]!.activeConns === 0, { timeoutMs: 5000, message: 'the connections to close' });
  const [svc] = await dp.table();
  assert.equal(svc!.reals[0]!.bytesIn, 2 * SIZE);
  assert.equal(svc!.reals[0]!.bytesOut, 2 * SIZE);
});

test('TCP: many concurrent echo connections each get their own bytes back', async () => {
  const bePort = await echoBackend(BE);
  const { port } = await startTcpService(VIP, [{ host: BE, port: bePort }], cleanups);
  // 40 connections at once, 256 KiB each, different bytes: a mix-up between relays sharing the
  // read buffer would show as a wrong checksum.
  const results = await Promise.all(
    Array.from({ length: 40 }, async () => {
      const payload = randomBytes(256 * 1024);
      const sock = net.connect({ host: VIP, port, allowHalfOpen: true });
      const got: Buffer[] = [];
      sock.on('data', (d: Buffer) => got.push(d));
      sock.end(payload);
      await once(sock, 'end');
      sock.destroy();
      return sha(Buffer.concat(got)) === sha(payload);
    }),
  );
  assert.deepEqual(results, results.map(() => true));
});
