// The benchmark's backends: a raw TCP responder that answers every HTTP request (one per
// "\r\n\r\n") with the same 100-byte text/plain body, as the HAProxy anchor's nginx backends did,
// and closes after answering when the request says "Connection: close". One process serves every
// address given, so both load balancers face exactly the same backends.
// Usage: node --import tsx bench/dataplane/backend.ts HOST:PORT [HOST:PORT...]; prints "ready".
import net from 'node:net';

const BODY = 'x'.repeat(99) + '\n';
const KEEP = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
const CLOSE = Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n${BODY}`,
);
const END = Buffer.from('\r\n\r\n');
const CLOSE_HEADER = Buffer.from('Connection: close');

function serve(sock: net.Socket): void {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  // The last 3 bytes of the previous chunk, in case "\r\n\r\n" straddles two chunks.
  let carry: Buffer | null = null;
  sock.on('data', (chunk: Buffer) => {
    const buf = carry === null ? chunk : Buffer.concat([carry, chunk]);
    let from = 0;
    let at: number;
    while ((at = buf.indexOf(END, from)) >= 0) {
      const closing = buf.indexOf(CLOSE_HEADER, from) >= 0 && buf.indexOf(CLOSE_HEADER, from) < at;
      if (closing) {
        sock.end(CLOSE);
        return;
      }
      sock.write(KEEP);
      from = at + 4;
    }
    carry = buf.length - from > 0 ? buf.subarray(Math.max(from, buf.length - 3)) : null;
  });
}

const targets = process.argv.slice(2);
let pending = targets.length;
for (const t of targets) {
  const [host, port] = t.split(':');
  net.createServer({ noDelay: true }, serve).listen({ host, port: Number(port), backlog: 4096 }, () => {
    if (--pending === 0) process.stdout.write('ready\n');
  });
}
