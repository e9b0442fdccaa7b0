import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4ToInt, maskToInt } from './ipv4.ts';

test('ipv4ToInt reads dotted quads (also IPv4-mapped) and gives 0 for anything else', () => {
  assert.equal(ipv4ToInt('10.1.2.3'), 0x0a010203);
  assert.equal(ipv4ToInt('255.255.255.255'), 0xffffffff);
  assert.equal(ipv4ToInt('::ffff:127.0.0.2'), 0x7f000002);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.', 'a.b.c.d', '::1', '1234.1.1.1', undefined]) {
    assert.equal(ipv4ToInt(bad), 0, String(bad));
  }
  assert.equal(maskToInt(null), 0xffffffff);
  assert.equal(maskToInt('255.255.255.0'), 0xffffff00);
});
