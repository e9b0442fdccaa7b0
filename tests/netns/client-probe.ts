// Runs in the client namespace: sends an HTTP request to HOST:PORT every 50 ms and prints one JSON
// line {"t": epoch ms, "who": "<body>" | null} each time the answer changes (null: no answer
// within 250 ms). The real servers answer `NAME via ROUTER-ADDRESS`, so the tests read from these
// lines when, and through which router, the VIP is served.
import { connect } from 'node:net';

const [host, portText] = process.argv.slice(2);
const port = Number(portText);
if (!host || !Number.isInteger(port)) {
  process.stderr.write('usage: client-probe HOST PORT\n');
  process.exit(2);
}

function ask(): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let data = '';
    const done = (v: string | null) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(250, () => done(null));
    s.setEncoding('utf8');
    s.on('connect', () => s.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    s.on('data', (d: string) => (data += d));
    s.on('end', () => {
      const body = data.split('\r\n\r\n')[1];
      done(data.startsWith('HTTP/1.1 200') && body ? body.trim() : null);
    });
    s.on('error', () => done(null));
  });
}

let last: string | null | undefined;
for (;;) {
  const who = await ask();
  if (who !== last) {
    process.stdout.write(`${JSON.stringify({ t: Date.now(), who })}\n`);
    last = who;
  }
  await new Promise((r) => setTimeout(r, 50));
}
