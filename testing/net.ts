// Addresses and ports for tests on 127.0.0.0/8: every test (and every test file running beside it)
// gets its own addresses, so ports never collide with another test's servers or with anything
// listening on 127.0.0.1.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

let loopbackCounter = 0;
const loopbackBase = 100 + Math.floor(Math.random() * 100);
const loopbackMid = Math.floor(Math.random() * 256);

/** A fresh 127.x.y.z address per call (never one ending in .0, never the same twice). */
export function loopback(): string {
  do loopbackCounter++;
  while ((loopbackCounter & 255) === 0);
  return `127.${loopbackBase}.${(loopbackMid + (loopbackCounter >> 8)) & 255}.${loopbackCounter & 255}`;
}

/** A port that was free on `host` a moment ago (bind 0, read it, release it). */
export async function freePort(host: string, protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  if (protocol === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r, j) => {
      s.once('error', j);
      s.bind(0, host, () => r());
    });
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const s = createServer();
  await new Promise<void>((r, j) => {
    s.once('error', j);
    s.listen(0, host, () => r());
  });
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A UDP port free on both addresses whose TCP port + 1 (configuration sync) is free too. */
export async function heartbeatPort(a: string, b: string): Promise<number> {
  const fits = async (port: number) => {
    for (const host of [a, b]) {
      const u = createSocket('udp4');
      await new Promise<void>((r, j) => {
        u.once('error', j);
        u.bind(port, host, () => r());
      });
      await new Promise<void>((r) => u.close(() => r()));
      const s = createServer();
      await new Promise<void>((r, j) => {
        s.once('error', j);
        s.listen(port + 1, host, () => r());
      });
      await new Promise<void>((r) => s.close(() => r()));
    }
  };
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      await fits(port);
      return port;
    } catch (err) {
      if (attempt > 50) throw err;
    }
  }
}
