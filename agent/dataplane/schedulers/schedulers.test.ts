// Pure scheduler tests: the pick sequences and shares IPVS documents, on plain objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from './index.ts';
import type { Destination } from './types.ts';
import { hash32 } from './types.ts';
import { DestinationHashing, SourceHashing } from './hash.ts';
import { parseIPv4 } from '../../../common/ipv4.ts';

interface D extends Destination {
  name: string;
}
function dests(...weights: number[]): D[] {
  return weights.map((weight, i) => ({
    name: String.fromCharCode(65 + i),
    weight,
    activeConns: 0,
    inactiveConns: 0,
    available: true,
  }));
}
const ip = (s: string) => parseIPv4(s)!;
const VIP = ip('10.0.0.5');

test('rr cycles in list order and skips weight 0', () => {
  const ds = dests(1, 0, 5);
  const s = createScheduler('rr', ds);
  const seq = Array.from({ length: 6 }, () => s.schedule(ds, 1, VIP)!.name).join('');
  assert.equal(seq, 'ACACAC');
});

test('wrr follows the kernel interleaving (weights 4,3,2 -> AABABCABC)', () => {
  const ds = dests(4, 3, 2);
  const s = createScheduler('wrr', ds);
  const seq = Array.from({ length: 18 }, () => s.schedule(ds, 1, VIP)!.name).join('');
  assert.equal(seq, 'AABABCABC'.repeat(2));
});

test('wrr with a common divisor (6,4 -> gcd 2): shares 3:2, quiesced server skipped after update', () => {
  const ds = dests(6, 4);
  const s = createScheduler('wrr', ds);
  const counts = { A: 0, B: 0 };
  for (let i = 0; i < 1000; i++) counts[s.schedule(ds, 1, VIP)!.name as 'A' | 'B']++;
  assert.deepEqual(counts, { A: 600, B: 400 });
  ds[0]!.weight = 0;
  s.destinationsChanged(ds);
  for (let i = 0; i < 10; i++) assert.equal(s.schedule(ds, 1, VIP)!.name, 'B');
  ds[1]!.weight = 0;
  s.destinationsChanged(ds);
  assert.equal(s.schedule(ds, 1, VIP), null);
});

test('lc picks the smallest active*256+inactive, first on ties, never weight 0', () => {
  const ds = dests(1, 1, 0);
  ds[0]!.activeConns = 1; // 256
  ds[1]!.inactiveConns = 255; // 255
  ds[2]!.activeConns = 0;
  const s = createScheduler('lc', ds);
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'B');
  ds[1]!.inactiveConns = 256;
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'A');
});

test('wlc compares overhead/weight with integer cross-multiplication', () => {
  const ds = dests(3, 1);
  const s = createScheduler('wlc', ds);
  // Simulate 1000 connections that stay open: the shares converge to the weights (750/250 exactly).
  for (let i = 0; i < 1000; i++) s.schedule(ds, 1, VIP)!.activeConns++;
  assert.equal(ds[0]!.activeConns, 750);
  assert.equal(ds[1]!.activeConns, 250);
});

test('lblc sticks to one server per destination address until it is overloaded', () => {
  const ds = dests(2, 2);
  const s = createScheduler('lblc', ds);
  const first = s.schedule(ds, 1, VIP)!;
  assert.equal(first.name, 'A');
  first.activeConns = 2; // not more than its weight: still used
  assert.equal(s.schedule(ds, 7, VIP), first);
  first.activeConns = 3; // > weight while B is less than half full -> overloaded
  const second = s.schedule(ds, 7, VIP)!;
  assert.equal(second.name, 'B');
  assert.equal(s.schedule(ds, 9, VIP), second, 'the entry now points at B');
  // Another destination address gets its own entry.
  assert.equal(s.schedule(ds, 1, ip('10.0.0.6'))!.name, 'B');
});

test('lblc forgets an entry after its expiration and skips quiesced servers', () => {
  let now = 0;
  const ds = dests(1, 1);
  const s = createScheduler('lblc', ds, { now: () => now, localityExpiration: 1000 });
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'A');
  ds[0]!.inactiveConns = 5; // B now less loaded, but the entry holds
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'A');
  now = 5000;
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'B', 'expired entry -> rescheduled by wlc');
  ds[1]!.weight = 0;
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'A');
});

test('lblcr grows the set when the least loaded member is overloaded, shrinks it after expiration', () => {
  let now = 0;
  const ds = dests(1, 1);
  const s = createScheduler('lblcr', ds, { now: () => now, localityExpiration: 1000 });
  const a = s.schedule(ds, 1, VIP)!;
  assert.equal(a.name, 'A');
  a.activeConns = 2; // overloaded while B is empty
  const b = s.schedule(ds, 1, VIP)!;
  assert.equal(b.name, 'B');
  b.activeConns = 1;
  a.activeConns = 1;
  // Set {B, A}: both at overhead 256/1 -> first member (newest, B) wins ties.
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'B');
  a.activeConns = 0;
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'A');
  // After the expiration the most loaded member (B) leaves the set.
  now = 2000;
  b.activeConns = 5;
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'A');
  b.activeConns = 0;
  a.activeConns = 1;
  assert.equal(s.schedule(ds, 1, VIP)!.name, 'A', 'B left the set; A is not overloaded (1 <= weight)');
});

test('dh: every connection to one VIP goes to the bucket the VIP hashes to (one server each in turn)', () => {
  const ds = dests(1, 1, 1);
  const s = new DestinationHashing(ds);
  const expected = ds[hash32(VIP, 8) % 3]!;
  for (let src = 0; src < 100; src++) assert.equal(s.schedule(ds, src, VIP), expected);
  expected.weight = 0; // quiesced: fallback probe finds another server
  const other = s.schedule(ds, 1, VIP)!;
  assert.notEqual(other, expected);
});

test('sh: buckets follow the weights (1:3 -> 64:192) and a client always maps to the same server', () => {
  const ds = dests(1, 3);
  const s = new SourceHashing(ds);
  const counts = { A: 0, B: 0 };
  // 2^16 sources spread evenly over the hash: their split equals the bucket split (64/256 for A).
  for (let src = 0; src < 65536; src++) counts[s.schedule(ds, src * 65537, VIP)!.name as 'A' | 'B']++;
  const share = counts.A / 65536;
  assert.ok(Math.abs(share - 0.25) < 0.02, `A share ${share} should be 0.25 +- 0.02`);
  const c = ip('192.168.7.9');
  const first = s.schedule(ds, c, VIP);
  for (let i = 0; i < 10; i++) assert.equal(s.schedule(ds, c, VIP), first);
});

test('sh: quiescing a server moves only its clients', () => {
  const ds = dests(1, 1, 1);
  const s = new SourceHashing(ds);
  const before = new Map<number, D>();
  for (let src = 0; src < 3000; src++) before.set(src * 7919, s.schedule(ds, src * 7919, VIP)!);
  ds[1]!.weight = 0;
  s.destinationsChanged(ds);
  let moved = 0;
  for (const [src, d] of before) {
    const now = s.schedule(ds, src, VIP)!;
    assert.notEqual(now.name, 'B');
    if (d.name !== 'B') assert.equal(now, d, 'clients of A and C stay put');
    else moved++;
  }
  assert.ok(moved > 0);
});
