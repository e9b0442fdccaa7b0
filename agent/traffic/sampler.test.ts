// The traffic sampler: rates from cumulative counters, ten minutes kept, rows that come and go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficSampler, realSeriesKey } from './sampler.ts';
import type { ServiceStats } from '../dataplane/types.ts';

function table(conns: number, bytes: number, active = 1): ServiceStats[] {
  const real = { address: '10.0.0.1', port: 80, method: 'g', weight: 1, activeConns: active, inactiveConns: 2, connections: conns, packetsIn: 0, packetsOut: 0, bytesIn: bytes, bytesOut: bytes };
  return [{ key: 'tcp|10.0.0.100|80', name: 'web', protocol: 'tcp', address: '10.0.0.100', port: 80, fwmark: 0, scheduler: 'wlc', persistent: 0, pmask: null, reals: [real], problem: null } as unknown as ServiceStats];
}

test('rates per second between samples, totals per service, oldest first', () => {
  const s = new TrafficSampler({ read: async () => [], intervalSec: 10 });
  assert.equal(s.store.points, 60);
  s.record(table(100, 1000), 0);
  s.record(table(150, 6000), 10_000);
  s.record(table(150, 6000, 0), 20_000);
  const real = s.store.read(realSeriesKey('tcp|10.0.0.100|80', '10.0.0.1', 80))!;
  assert.deepEqual(real.connsPerSec.slice(-3), [0, 5, 0]);
  assert.deepEqual(real.bytesPerSec.slice(-3), [0, 1000, 0]);
  assert.deepEqual(real.active.slice(-3), [1, 1, 0]);
  assert.deepEqual(real.inactive.slice(-3), [2, 2, 2]);
  assert.equal(real.active[0], null, 'no sample yet');
  assert.deepEqual(s.store.read('tcp|10.0.0.100|80')!.connsPerSec.slice(-2), [5, 0]);
  assert.deepEqual(s.servicesOf('web'), ['tcp|10.0.0.100|80']);
  assert.equal(s.store.newestAt, 20_000);
});

test('a counter that went down starts afresh; the window wraps; gone rows are dropped after ten minutes', () => {
  const s = new TrafficSampler({ read: async () => [], intervalSec: 60 });
  assert.equal(s.store.points, 10);
  s.record(table(100, 0), 0);
  s.record(table(10, 0), 60_000);
  const key = realSeriesKey('tcp|10.0.0.100|80', '10.0.0.1', 80);
  assert.equal(s.store.read(key)!.connsPerSec.at(-1), 0);
  for (let i = 2; i < 25; i++) s.record(table(10 + i * 60, 0), i * 60_000);
  assert.deepEqual(s.store.read(key)!.connsPerSec, Array(10).fill(1));
  for (let i = 25; i < 36; i++) s.record([], i * 60_000);
  assert.equal(s.store.read(key), undefined);
  assert.equal(s.store.size, 0);
});

test('a slow reading spaces out the timed ones: at most a tenth of the time goes to reading', async () => {
  let now = 0;
  let reads = 0;
  // Each reading takes 30 s of the clock (10,000 services listed on a loaded router).
  const s = new TrafficSampler({ read: async () => { reads++; now += 30_000; return table(reads, reads); }, intervalSec: 10, now: () => now });
  await s.tick();
  assert.equal(reads, 1);
  for (const at of [40_000, 100_000, 250_000]) {
    now = at;
    await s.tick();
  }
  assert.equal(reads, 1, 'the next reading waits 9 × 30 s after the last one ended');
  now = 300_000;
  await s.tick();
  assert.equal(reads, 2);
  // A quick reading puts the timer back to every interval.
  const quick = new TrafficSampler({ read: async () => { reads++; return table(reads, reads); }, intervalSec: 10, now: () => now });
  await quick.tick();
  await quick.tick();
  assert.equal(reads, 4);
});
