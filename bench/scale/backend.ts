// The one local backend of bench/scale's agent figures, as a process of its own so that its CPU
// does not disturb the console or the agent being measured: it listens on every real server
// address:port of a loopback layout (generate.ts) and answers the first bytes of each connection
// with an HTTP status line, then closes, which is what every health check of the layout expects.
// It runs on the agent's raw TCP handles for the reason bench/checks/servers.ts gives.
//
//   node --import tsx bench/scale/backend.ts VIRTUALS PORT     (prints "ready N" once listening)
import * as raw from '../../agent/net/raw-tcp.ts';
import { realEndpoints } from './generate.ts';

const READ_BUFFER = Buffer.allocUnsafe(16 * 1024);
const REPLY = Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n');

function closeAfterWrite(_status: number, handle: raw.TcpHandle): void {
  handle.close();
}

function onRead(this: raw.TcpHandle): void {
  const n = raw.readResult();
  if (n <= 0) {
    this.close();
    return;
  }
  this.readStop();
  const w = raw.write(this, REPLY, closeAfterWrite);
  if (w !== raw.WRITE_PENDING) this.close();
}

function onConnection(status: number, client?: raw.TcpHandle): void {
  if (status !== 0 || client === undefined) return;
  client.onread = onRead;
  client.useUserBuffer(READ_BUFFER);
  if (client.readStart() !== 0) client.close();
}

const [virtuals, port] = process.argv.slice(2).map(Number);
if (!virtuals || !port) throw new Error('usage: backend.ts VIRTUALS PORT');
const endpoints = realEndpoints({ virtuals, loopbackPort: port });
for (const e of endpoints) {
  const h = raw.createServer();
  const err = raw.listen(h, e.address, e.port, 4096);
  if (err !== 0) throw new Error(`listen on ${e.address}:${e.port}: ${raw.errorName(err)}`);
  h.onconnection = onConnection;
}
process.stdout.write(`ready ${endpoints.length}\n`);
// Ends with its parent (the benchmark), whatever the way it ends.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
