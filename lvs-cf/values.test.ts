// The library's one IPv4 reader is glibc's inet_aton, which the daemons use. It reads the forms
// ipaddr.js (the project's IPv4 library) reads, the same way, plus the one ipaddr.js refuses: text
// after a blank. Integers are getNum(): strtol with base 0 into a 32-bit int.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ipaddr from 'ipaddr.js';
import { inetAton, formatIPv4, isStrictIPv4, readCInteger } from './values.ts';

const FORMS = [
  '1.2.3.4', '0.0.0.0', '255.255.255.255', '10.1', '10.1.2', '167772161', '0x0a.0.0.1', '0X0A.0.0.1', '012.0.0.1', '00.0.0.0',
  '1.2.65535', '1.16777215', '4294967295', '037777777777', '0xffffffff', '1.2.3.0x10', '0x7f.1',
  '1.2.3.256', '256.1.1.1', '1.2.65536', '4294967296', '0x100000000', '08.1.1.1', '1.2.3.4.', '1..2', '.1', '', 'a.b.c.d',
  '1.2.3.4x', '0x', '0xg', '+1.2.3.4', '-1', ' 1.2.3.4', '1.2.3.4.5', '99999999999999999999',
];

test('inet_aton reads every form as ipaddr.js does', () => {
  for (const s of FORMS) {
    const mine = inetAton(s);
    let theirs: string | null = null;
    try {
      theirs = ipaddr.IPv4.parse(s).toString();
    } catch {
      theirs = null;
    }
    assert.equal(mine === null ? null : formatIPv4(mine.value), theirs, JSON.stringify(s));
  }
});

test('inet_aton, unlike ipaddr.js, ignores what follows a blank; only the plain dotted quad is plain', () => {
  for (const [s, v] of [['10.1.2.105 x', '10.1.2.105'], ['10.1\tfoo bar', '10.0.0.1'], ['1.2.3.4\n', '1.2.3.4']] as const) {
    assert.equal(formatIPv4(inetAton(s)!.value), v, JSON.stringify(s));
    assert.throws(() => ipaddr.IPv4.parse(s));
  }
  assert.equal(inetAton('1.2.3.4')!.plain, true);
  for (const s of ['10.1', '010.0.0.1', '0x1.2.3.4', '1.2.3.4 x', '1.2.3.0010']) assert.equal(isStrictIPv4(s), false, s);
});

test('getNum: strtol base 0, the whole word, into a 32-bit int', () => {
  const rows: [string, number | null, string?][] = [
    ['0', 0], ['42', 42], ['-5', -5], ['+7', 7], ['0x1f', 31], ['0X1F', 31], ['010', 8], ['00', 0], ['', 0], [' 8', 8], ['\t-3', -3],
    ['2147483647', 2147483647], ['2147483648', -2147483648, 'uint'], ['4294967295', -1, 'uint'], ['4294967296', 0, 'no'],
    ['99999999999999999999', -1, 'no'], ['-99999999999999999999', 0, 'no'], ['-2147483649', 2147483647, 'no'],
    ['08', null], ['0x', null], ['1.5', null], ['1e3', null], ['12a', null], ['--1', null], ['+', null], [' ', null], ['8 ', null],
  ];
  for (const [s, value, fits] of rows) {
    const n = readCInteger(s);
    assert.equal(n === null ? null : n.value, value, JSON.stringify(s));
    if (n) assert.equal(n.fits, fits ?? 'int', JSON.stringify(s));
  }
  assert.equal(readCInteger('')!.empty, true);
  assert.equal(readCInteger('010')!.octal, true);
});
