// The native relay shares each real server's counters with JavaScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter } from '../../native-contract.ts';
import { relay } from './native-relay.ts';
import { Real } from './real.ts';

test('a real server reads and writes its counters in the slot the relay counts into', () => {
  const { counters } = relay();
  const r = new Real({ address: '127.0.0.9', port: 8080, weight: 1, method: 'm' }, 120);
  r.activeConns = 3;
  r.bytesOut += 100;
  assert.equal(counters[r.base + Counter.active], 3);
  assert.equal(counters[r.base + Counter.bytesOut], 100);
  // The address and port the relay connects to, as integers.
  assert.equal(counters[r.base + Counter.ip], 0x7f000009);
  assert.equal(counters[r.base + Counter.port], 8080);
  // A second server gets its own, zeroed slot.
  const other = new Real({ address: '127.0.0.10', port: 80, weight: 1, method: 'm' }, 120);
  assert.notEqual(other.slot, r.slot);
  assert.equal(other.activeConns, 0);
});
