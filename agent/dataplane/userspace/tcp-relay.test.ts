// The TCP relay's connection endings (native/relay.c): half-close either way, a real server that never
// answers the connect, and no file descriptor left behind by any way a connection ends.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { UserspaceOptions } from './dataplane.ts';
import { startTcpService } from '../../../testing/dataplane.ts';
import { freePort } from '../../../testing/net.ts';
import { pool } from '../../../testing/pool.ts';
import { startTcpBackend, tcpAsk } from '../../../testing/traffic.ts';
import { waitFor } from '../../../testing/wait.ts';

const VIP = '127.0.83.1';
const BE = '127.0.84.1';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A dataplane with one TCP service on a fresh port of VIP towards these real servers. */
function service(reals: { host: string; port: number }[], opts: UserspaceOptions = {}) {
  return startTcpService(VIP, reals, cleanups, opts);
}

async function listen(server: net.Server, host: string): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

test('TCP: a client that half-closes still receives the whole reply; its FIN makes the connection inactive', async () => {
  const reply = randomBytes(1024 * 1024);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  // Answers only after the request is complete (the client's FIN), and only when the test says so.
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('end', async () => {
      await released;
      s.end(Buffer.concat([Buffer.concat(got), reply]));
    });
  });
  const { port, stats } = await service([{ host: BE, port: await listen(server, BE) }]);

  const sock = net.connect({ host: VIP, port, allowHalfOpen: true });
  const got: Buffer[] = [];
  sock.on('data', (d: Buffer) => got.push(d));
  sock.end('request');
  await waitFor(async () => (await stats()).inactiveConns === 1, { timeoutMs: 5000, message: 'the client FIN to be counted' });
  assert.equal((await stats()).activeConns, 0);
  release();
  await once(sock, 'end');
  sock.destroy();
  assert.ok(Buffer.concat(got).equals(Buffer.concat([Buffer.from('request'), reply])), 'the reply arrived whole');
  await waitFor(async () => (await stats()).bytesOut === 7 + reply.length, { timeoutMs: 5000, message: 'the counts' });
  const s = await stats();
  assert.equal(s.activeConns, 0);
  assert.equal(s.inactiveConns, 1, 'closed, counted in the TIME_WAIT window');
  assert.equal(s.bytesIn, 7);
});

test('TCP: a real server that half-closes first still receives what the client sends after', async () => {
  let received = '';
  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.end('hello\n');
    s.setEncoding('utf8');
    s.on('data', (d: string) => (received += d));
    s.on('end', finished);
  });
  const { port, stats } = await service([{ host: BE, port: await listen(server, BE) }]);

  const sock = net.connect({ host: VIP, port, allowHalfOpen: true });
  sock.setEncoding('utf8');
  let greeting = '';
  sock.on('data', (d: string) => (greeting += d));
  const closed = once(sock, 'close');
  await once(sock, 'end');
  assert.equal(greeting, 'hello\n');
  sock.end('after your FIN\n');
  await done;
  assert.equal(received, 'after your FIN\n');
  await closed;
  await waitFor(async () => (await stats()).activeConns === 0 && (await stats()).inactiveConns === 1, { timeoutMs: 5000, message: 'the counts' });
});

/**
 * A real server whose handshakes never complete: a listening socket with a backlog of 0 in a worker
 * that never returns to its event loop, so nothing is accepted; one connection fills the queue and
 * the kernel drops the SYNs of the next ones.
 */
async function blackhole(host: string): Promise<number> {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const { TCP, constants } = process.binding('tcp_wrap');
     const h = new TCP(constants.SERVER);
     const err = h.bind(workerData.host, 0) || h.listen(0);
     const out = {};
     h.getsockname(out);
     parentPort.postMessage(err || out.port);
     while (Atomics.load(workerData.stop, 0) === 0) Atomics.wait(workerData.stop, 0, 0, 1000);
     h.close();`,
    { eval: true, workerData: { host, stop } },
  );
  const [port] = (await once(worker, 'message')) as [number];
  assert.ok(port > 0, `blackhole listen failed: ${port}`);
  const filler = net.connect({ host, port });
  await once(filler, 'connect');
  cleanups.push(async () => {
    filler.destroy();
    Atomics.store(stop, 0, 1);
    Atomics.notify(stop, 0);
    await worker.terminate();
  });
  return port;
}

test('TCP: a real server that does not accept within connectTimeout: the client is reset', async () => {
  const { port, stats } = await service([{ host: BE, port: await blackhole(BE) }], { connectTimeout: 1 });
  const sock = net.connect({ host: VIP, port });
  const started = Date.now();
  const [err] = (await once(sock, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  assert.ok(Date.now() - started >= 900, 'not before the connect timeout');
  const s = await stats();
  assert.equal(s.activeConns, 0);
  assert.equal(s.inactiveConns, 1);
});

const openFds = () => readdirSync('/proc/self/fd').length;

test('TCP: no file descriptor leaks, however 200 connections end', async () => {
  const live = await startTcpBackend('live', BE, 0, { echo: true });
  cleanups.push(live.close);
  const dead = await freePort(BE);
  const ok = await service([{ host: BE, port: live.port }]);
  const refused = await service([{ host: BE, port: dead }]);
  const before = openFds();

  await pool(200, 20, async (i) => {
    if (i % 4 === 0) {
      // Refused by the real server: the client is reset.
      const sock = net.connect({ host: VIP, port: refused.port });
      const [err] = (await once(sock, 'error')) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNRESET');
    } else if (i % 4 === 1) {
      // The client aborts with a RST in the middle of the connection.
      const sock = net.connect({ host: VIP, port: ok.port });
      await once(sock, 'data');
      sock.resetAndDestroy();
      await once(sock, 'close');
    } else {
      // Half-close from the client, reply, close (whoAnswers ends after the greeting).
      assert.equal(await tcpAsk(VIP, ok.port, { untilClosed: false }), 'live');
    }
  });

  await waitFor(async () => {
    const [a, b] = [await ok.stats(), await refused.stats()];
    return a.activeConns === 0 && a.inactiveConns === 150 && b.activeConns === 0 && b.inactiveConns === 50;
  }, { timeoutMs: 5000, message: 'every connection to be closed' });
  // The backend's own sockets close on their own schedule; a leak would leave hundreds.
  await waitFor(() => openFds() <= before + 3, { timeoutMs: 5000, message: 'the fds to come back' }).catch(() => {});
  assert.ok(openFds() <= before + 3, `open fds: ${before} before, ${openFds()} after`);
});

test('TCP: connections cut while writes wait (client stopped reading, then reset) leave no fd and no count behind', async () => {
  // An echo server that never stops reading: the relay's writes towards the paused client back up,
  // the relay stops reading the real server, and then the client resets with writes still queued.
  const echo = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const echoPort = await listen(echo, BE);
  cleanups.push(() => new Promise<void>((r) => echo.close(() => r())));
  const { port, stats } = await service([{ host: BE, port: echoPort }]);
  const before = openFds();
  await pool(20, 10, async () => {
    const sock = net.connect({ host: VIP, port });
    sock.on('error', () => {});
    sock.pause();
    await once(sock, 'connect');
    // Far more than the socket buffers hold, so writes on the relay are left waiting.
    sock.write(randomBytes(4 * 1024 * 1024));
    await new Promise((r) => setTimeout(r, 100));
    sock.resetAndDestroy();
    await once(sock, 'close');
  });
  await waitFor(async () => {
    const s = await stats();
    return s.activeConns === 0 && s.inactiveConns === 20;
  }, { timeoutMs: 5000, message: 'every cut connection to be counted closed' });
  await waitFor(() => openFds() <= before + 3, { timeoutMs: 5000, message: 'the fds to come back' }).catch(() => {});
  assert.ok(openFds() <= before + 3, `open fds: ${before} before, ${openFds()} after`);
});
