// The raw TCP handle layer against real sockets on loopback: connect (address and host name),
// refused connects, writes that complete at once and writes that must wait, reads into a caller's
// buffer, half-close, and listening.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import * as raw from './raw-tcp.ts';

const HOST = '127.0.0.93';
const servers: net.Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function server(onConn: (s: net.Socket) => void): Promise<number> {
  const s = net.createServer({ allowHalfOpen: true }, onConn);
  s.listen(0, HOST);
  await once(s, 'listening');
  servers.push(s);
  return (s.address() as net.AddressInfo).port;
}

function connect(host: string, port: number): Promise<{ status: number; handle: raw.TcpHandle }> {
  return new Promise((resolve) => {
    const handle = raw.createSocket();
    raw.connect(handle, host, port, (status, h) => resolve({ status, handle: h }));
  });
}

/** Reads until EOF into `buf` and returns the bytes. */
function readAll(handle: raw.TcpHandle, buf: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    handle.onread = function () {
      const n = raw.readResult();
      if (n > 0) parts.push(Buffer.from(buf.subarray(0, n)));
      else if (n === raw.UV_EOF) resolve(Buffer.concat(parts));
      else reject(new Error(raw.errorName(n)));
    };
    handle.useUserBuffer(buf);
    assert.equal(handle.readStart(), 0);
  });
}

test('a Node without the bindings, or with a changed shape, gets an error naming what is missing', () => {
  assert.throws(() => raw.loadBindings(() => undefined), (e: Error) => e instanceof raw.NodeBindingsError && /missing: tcp_wrap\.TCP,/.test(e.message));
  assert.throws(
    () => raw.loadBindings(() => {
      throw new Error('No such module: tcp_wrap');
    }),
    /run the agent on Node 20/,
  );
  // The real bindings, with one method taken away.
  const real = (name: string) => (process as unknown as { binding: (n: string) => unknown }).binding(name);
  const tcp = real('tcp_wrap') as { TCP: { prototype: object } };
  const Changed = class extends (tcp.TCP as unknown as new () => object) {};
  Object.defineProperty(Changed.prototype, 'writeBuffer', { value: undefined });
  const fake = (name: string) => (name === 'tcp_wrap' ? { ...tcp, TCP: Changed } : real(name));
  assert.throws(() => raw.loadBindings(fake), /missing: TCP\.writeBuffer\(\)\)/);
  assert.doesNotThrow(() => raw.loadBindings());
});

test('the bindings load and error codes have names', () => {
  assert.equal(raw.errorName(-111), 'ECONNREFUSED');
  assert.match(raw.errorMessage(-111), /refused/i);
  assert.equal(raw.errorName(-99999), 'error -99999');
});

test('connect, write, half-close, read the echo until EOF, close', async () => {
  const port = await server((s) => s.pipe(s));
  const { status, handle } = await connect(HOST, port);
  assert.equal(status, 0);
  assert.equal(raw.write(handle, Buffer.from('hello ')), raw.WRITE_DONE);
  assert.equal(raw.write(handle, Buffer.from('world')), raw.WRITE_DONE);
  const shut = new Promise<number>((r) => assert.equal(raw.shutdown(handle, (st) => r(st)), 0));
  const got = await readAll(handle, Buffer.alloc(64));
  assert.equal(await shut, 0);
  assert.equal(got.toString(), 'hello world');
  handle.close();
});

test('a host name is looked up first', async () => {
  // localhost resolves to 127.0.0.1 or ::1; nothing listens on port 1 of either.
  const refused = await connect('localhost', 1);
  assert.equal(raw.errorName(refused.status), 'ECONNREFUSED');
  refused.handle.close();
  const unknown = await connect('no-such-host.invalid', 80);
  assert.ok(unknown.status < 0, 'an unknown name fails');
  unknown.handle.close();
});

test('a refused connect reports ECONNREFUSED through the callback', async () => {
  const port = await server(() => {});
  servers.pop()!.close();
  await new Promise((r) => setTimeout(r, 20));
  const { status, handle } = await connect(HOST, port);
  assert.equal(raw.errorName(status), 'ECONNREFUSED');
  handle.close();
});

test('a write the kernel cannot take at once is pending and completes once the peer reads', async () => {
  let peer: net.Socket | null = null;
  const port = await server((s) => {
    peer = s;
    s.pause();
  });
  const { handle } = await connect(HOST, port);
  const big = Buffer.alloc(16 * 1024 * 1024, 7);
  let completed = -1;
  const r = raw.write(handle, big, (st) => (completed = st));
  assert.equal(r, raw.WRITE_PENDING);
  // A second write right after must not reuse the pending write's request.
  assert.equal(raw.write(handle, Buffer.from('tail')), raw.WRITE_PENDING);
  let received = 0;
  peer!.on('data', (d: Buffer) => (received += d.length));
  peer!.resume();
  while (completed === -1) await new Promise((res) => setTimeout(res, 10));
  assert.equal(completed, 0);
  while (received < big.length + 4) await new Promise((res) => setTimeout(res, 10));
  assert.equal(received, big.length + 4);
  handle.close();
});

test('listen, accept, reset', async () => {
  const srv = raw.createServer();
  assert.equal(raw.listen(srv, HOST, 0, 16), 0);
  const port = raw.localPort(srv)!;
  assert.ok(port > 0);
  const accepted = new Promise<raw.TcpHandle>((resolve) => {
    srv.onconnection = (status, client) => {
      assert.equal(status, 0);
      resolve(client!);
    };
  });
  const client = net.connect({ port, host: HOST });
  const errored = once(client, 'error');
  const h = await accepted;
  h.reset();
  const [err] = (await errored) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  srv.close();
  // The port is free again once the listener closed.
  const again = raw.createServer();
  assert.equal(raw.listen(again, HOST, port, 16), 0);
  again.close();
});
