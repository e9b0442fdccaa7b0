// Login throttling under a fake clock: lock after N failures, Retry-After, back-off, per-address
// keys, memory bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from './login-throttle.ts';

const MIN = 60_000;

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

test('five failures lock the address for 15 minutes; other addresses are unaffected', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now });
  for (let i = 0; i < 4; i++) {
    th.fail('192.0.2.1');
    assert.equal(th.isBlocked('192.0.2.1').blocked, false, `after ${i + 1} failures`);
  }
  th.fail('192.0.2.1');
  assert.deepEqual(th.isBlocked('192.0.2.1'), { blocked: true, retryAfterSec: 900 });
  assert.deepEqual(th.isBlocked('192.0.2.2'), { blocked: false, retryAfterSec: 0 });
  c.advance(10 * MIN + 500);
  assert.deepEqual(th.isBlocked('192.0.2.1'), { blocked: true, retryAfterSec: 300 });
  c.advance(5 * MIN);
  assert.equal(th.isBlocked('192.0.2.1').blocked, false);
});

test('failures spread wider than the window never lock', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now, maxFailures: 3, windowMs: 10 * MIN });
  for (let i = 0; i < 20; i++) {
    th.fail('198.51.100.7');
    th.fail('198.51.100.7');
    assert.equal(th.isBlocked('198.51.100.7').blocked, false);
    c.advance(10 * MIN);
  }
});

test('a success clears the failures', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now, maxFailures: 3 });
  th.fail('203.0.113.5');
  th.fail('203.0.113.5');
  th.succeed('203.0.113.5');
  th.fail('203.0.113.5');
  th.fail('203.0.113.5');
  assert.equal(th.isBlocked('203.0.113.5').blocked, false);
  th.fail('203.0.113.5');
  assert.equal(th.isBlocked('203.0.113.5').blocked, true);
});

test('repeated locks back off exponentially, capped at a day, and reset after a quiet window', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now, maxFailures: 2, windowMs: 15 * MIN, lockMs: 15 * MIN });
  const lockOnce = () => {
    th.fail('10.9.9.9');
    th.fail('10.9.9.9');
    return th.isBlocked('10.9.9.9').retryAfterSec;
  };
  const seen: number[] = [];
  for (let i = 0; i < 9; i++) {
    const s = lockOnce();
    seen.push(s);
    c.advance(s * 1000);
  }
  assert.deepEqual(seen, [900, 1800, 3600, 7200, 14400, 28800, 57600, 86400, 86400]);
  c.advance(15 * MIN);
  assert.equal(lockOnce(), 900);
});

test('failures reported while locked do not extend the lock', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now, maxFailures: 1, lockMs: 60_000 });
  th.fail('10.0.0.1');
  c.advance(30_000);
  for (let i = 0; i < 100; i++) th.fail('10.0.0.1');
  assert.deepEqual(th.isBlocked('10.0.0.1'), { blocked: true, retryAfterSec: 30 });
});

test('IPv4-mapped peers share the IPv4 key; IPv6 peers are grouped by /64', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now, maxFailures: 2 });
  th.fail('::ffff:192.0.2.9');
  th.fail('192.0.2.9');
  assert.equal(th.isBlocked('192.0.2.9').blocked, true);
  assert.equal(th.isBlocked('::ffff:192.0.2.9').blocked, true);

  th.fail('2001:db8:1:2::1');
  th.fail('2001:db8:1:2:ffff::99');
  assert.equal(th.isBlocked('2001:db8:1:2::1234').blocked, true);
  assert.equal(th.isBlocked('2001:db8:1:3::1').blocked, false);
});

test('memory stays bounded under a distributed flood, and expired entries are dropped first', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now, maxEntries: 100, maxFailures: 5 });
  for (let i = 0; i < 5; i++) th.fail('172.16.0.1'); // locked
  for (let i = 0; i < 10_000; i++) th.fail(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  assert.ok(th.size() <= 100, `size ${th.size()}`);

  const c2 = clock();
  const th2 = new LoginThrottle({ now: c2.now, maxEntries: 3, maxFailures: 2, windowMs: MIN, lockMs: 10 * MIN });
  th2.fail('10.0.0.1');
  th2.fail('10.0.0.1'); // locked for 10 min
  th2.fail('10.0.0.2');
  th2.fail('10.0.0.3');
  c2.advance(2 * MIN); // 10.0.0.2 and .3 expired, .1 still locked
  th2.fail('10.0.0.4');
  th2.fail('10.0.0.5');
  assert.equal(th2.isBlocked('10.0.0.1').blocked, true, 'a locked address survives eviction of expired ones');
  assert.equal(th2.size(), 3);
});

test('rejects nonsensical options', () => {
  assert.throws(() => new LoginThrottle({ maxFailures: 0 }), RangeError);
  assert.throws(() => new LoginThrottle({ windowMs: -1 }), RangeError);
});
