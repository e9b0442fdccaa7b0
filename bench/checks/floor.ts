// The floor of a TCP check in Node, for bench/checks: the same send/expect exchange as the agent's
// checker (connect, write the request, read the first answer, compare its start, close) on the
// same raw TCP handles, with none of the checker's work around it: no per-server schedule, no
// timeouts, no state machine, no verdict objects. What the checker costs beyond this is its own;
// what this costs beyond HAProxy's checker is Node's.
// Usage: node --import tsx bench/checks/floor.ts RATE WARMUP_S SECONDS SEND EXPECT HOST:PORT...
// Prints one JSON line: { checks, failed, userUs, systemUs, wallS } for the window after the warm-up.
import * as raw from '../../agent/net/raw-tcp.ts';

const [rateArg, warmupArg, secondsArg, sendArg, expectArg, ...targetArgs] = process.argv.slice(2);
const rate = Number(rateArg);
const send = Buffer.from(sendArg!.replaceAll('\\r', '\r').replaceAll('\\n', '\n'));
const expect = Buffer.from(expectArg!);
const targets = targetArgs.map((t) => {
  const [host, port] = t.split(':');
  return { host: host!, port: Number(port) };
});
const BUFFER = Buffer.allocUnsafe(16 * 1024);
let completed = 0;
let failed = 0;
let next = 0;

function done(h: raw.TcpHandle, ok: boolean): void {
  if (h.owner === null) return;
  h.owner = null;
  completed++;
  if (!ok) failed++;
  h.close();
}

function onRead(this: raw.TcpHandle): void {
  const n = raw.readResult();
  done(this, n >= expect.length && BUFFER.compare(expect, 0, expect.length, 0, expect.length) === 0);
}

function onConnect(status: number, h: raw.TcpHandle): void {
  if (status !== 0 || raw.write(h, send) < 0) return done(h, false);
  h.onread = onRead;
  h.useUserBuffer(BUFFER);
  h.readStart();
}

function check(): void {
  const t = targets[next++ % targets.length]!;
  const h = raw.createSocket();
  h.owner = t;
  raw.connect(h, t.host, t.port, onConnect);
}

// Spread evenly: every millisecond, start the checks due by then.
const start = performance.now();
let started = 0;
const ticker = setInterval(() => {
  const due = Math.floor(((performance.now() - start) / 1000) * rate);
  for (; started < due; started++) check();
}, 1);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
await sleep(Number(warmupArg) * 1000);
const cpu0 = process.cpuUsage();
const count0 = completed;
const failed0 = failed;
const t0 = performance.now();
await sleep(Number(secondsArg) * 1000);
const cpu = process.cpuUsage(cpu0);
const result = {
  checks: completed - count0,
  failed: failed - failed0,
  userUs: cpu.user,
  systemUs: cpu.system,
  wallS: (performance.now() - t0) / 1000,
};
clearInterval(ticker);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
