// The floor of a relay in JavaScript, for bench/dataplane: the least a Node process can do per
// connection on libuv's raw TCP handles (agent/net/raw-tcp.ts, what the userspace dataplane's relay
// ran on before it moved to C), with no scheduler (plain round robin), no counters, timeouts,
// persistence or quiesce. It shows why the relay is native: this costs more than HAProxy.
// Usage: node --import tsx bench/dataplane/floor-relay.ts VIP:PORT REAL:PORT [REAL:PORT...]; prints "ready".
import * as raw from '../../agent/net/raw-tcp.ts';

interface Pair {
  client: raw.TcpHandle;
  upstream: raw.TcpHandle;
  ends: number;
  closed: boolean;
}

const BUFFER = Buffer.allocUnsafe(64 * 1024);
const [vip, ...reals] = process.argv.slice(2);
const targets = reals.map((r) => {
  const [host, port] = r.split(':');
  return { host: host!, port: Number(port) };
});
let next = 0;

function close(p: Pair): void {
  if (p.closed) return;
  p.closed = true;
  p.client.close();
  p.upstream.close();
}

function onWriteDone(status: number, to: raw.TcpHandle): void {
  const p = to.owner as Pair;
  if (p.closed) return;
  if (status < 0) close(p);
  else (to === p.client ? p.upstream : p.client).readStart();
}

function onRead(this: raw.TcpHandle): void {
  const p = this.owner as Pair;
  if (p.closed) return;
  const n = raw.readResult();
  const to = this === p.client ? p.upstream : p.client;
  if (n > 0) {
    // Copied for the same reason as in the dataplane: a write that waits keeps pointing at its bytes.
    const chunk = Buffer.allocUnsafe(n);
    BUFFER.copy(chunk, 0, 0, n);
    const w = raw.write(to, chunk, onWriteDone);
    if (w === raw.WRITE_PENDING) this.readStop();
    else if (w < 0) close(p);
  } else if (n === raw.UV_EOF) {
    if (++p.ends === 2) close(p);
    else if (raw.shutdown(to) < 0) close(p);
  } else if (n < 0) {
    close(p);
  }
}

function onConnect(status: number, upstream: raw.TcpHandle): void {
  const p = upstream.owner as Pair;
  if (status !== 0) {
    p.client.reset();
    upstream.close();
    p.closed = true;
    return;
  }
  p.client.readStart();
  upstream.readStart();
}

function onConnection(status: number, client?: raw.TcpHandle): void {
  if (status !== 0 || client === undefined) return;
  const upstream = raw.createSocket();
  const p: Pair = { client, upstream, ends: 0, closed: false };
  for (const h of [client, upstream]) {
    h.owner = p;
    h.onread = onRead;
    h.useUserBuffer(BUFFER);
    h.setNoDelay(true);
  }
  const t = targets[next++ % targets.length]!;
  raw.connect(upstream, t.host, t.port, onConnect);
}

const [host, port] = vip!.split(':');
const server = raw.createServer();
const err = raw.listen(server, host!, Number(port), 4096);
if (err !== 0) {
  process.stderr.write(`listen ${vip}: ${raw.errorName(err)}\n`);
  process.exit(1);
}
server.onconnection = onConnection;
process.stdout.write('ready\n');
