// The project's one IPv4 reader, held against ipaddr.js (the reference) on chosen and random input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { isIPv4, parseIPv4 } from './ipv4.ts';

/** What ipaddr.js says: the address as an integer, or null. */
function reference(text: string): number | null {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return ipaddr.IPv4.parse(text).octets.reduce((v, o) => v * 256 + o, 0);
}

test('dotted quads are read as unsigned 32-bit integers', () => {
  assert.equal(parseIPv4('10.1.2.3'), 0x0a010203);
  assert.equal(parseIPv4('0.0.0.0'), 0);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIPv4('192.168.100.200'), 0xc0a864c8);
  assert.equal(isIPv4('127.0.0.1'), true);
});

test('anything else is refused: short forms, leading zeros (octal to inet_aton), parts over 255, IPv6, names', () => {
  for (const bad of [
    '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.256', '1..2.3', '1.2.3.', '.1.2.3', 'a.b.c.d', '::1',
    '::ffff:1.2.3.4', '1234.1.1.1', '01.2.3.4', '1.2.3.00', '0x1.2.3.4', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/24',
    '10.1', 'example.com', '١.٢.٣.٤',
  ]) {
    assert.equal(parseIPv4(bad), null, JSON.stringify(bad));
    assert.equal(isIPv4(bad), false, JSON.stringify(bad));
  }
});

test('it agrees with ipaddr.js on every address and on near-misses', () => {
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('', '0', '00', '01', '255', '256', '1000', 'x'));
  const dotted = fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'));
  const noise = fc.string({ unit: fc.constantFrom(...'0123456789.:x '.split('')), maxLength: 17 });
  fc.assert(
    fc.property(fc.oneof(dotted, noise), (text) => {
      assert.equal(parseIPv4(text), reference(text), JSON.stringify(text));
    }),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      const text = [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
      assert.equal(parseIPv4(text), n);
    }),
  );
});
