import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decodeHeartbeat, encodeHeartbeat, HEADER_BYTES, TAG_BYTES, type Heartbeat } from './heartbeat-packet.ts';
import { ReplayGuard } from './replay.ts';

const key = Buffer.alloc(32, 7);
const hb = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  node: 'primary',
  state: 'active',
  serial: 42,
  bootId: '0123456789abcdef',
  seq: 1n,
  timeMs: 1_700_000_000_000,
  keepaliveMs: 1000,
  ...over,
});

test('a tagged heartbeat round-trips and carries node, state, serial, boot id, sequence and time', () => {
  const buf = encodeHeartbeat(hb({ state: 'stopping', serial: 2024010101, seq: 99n }), key);
  assert.equal(buf.length, HEADER_BYTES + TAG_BYTES);
  const r = decodeHeartbeat(buf, key);
  assert.ok(r.ok);
  assert.deepEqual(r.heartbeat, hb({ state: 'stopping', serial: 2024010101, seq: 99n }));
  assert.equal(r.tagged, true);
});

test('any field round-trips (property)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('primary', 'backup'),
      fc.constantFrom('standby', 'active', 'stopping'),
      fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: null }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.integer({ min: 0, max: 2 ** 50 }),
      (node, state, serial, seq, timeMs) => {
        const h = hb({ node: node as Heartbeat['node'], state: state as Heartbeat['state'], serial, seq, timeMs, bootId: randomBytes(8).toString('hex') });
        const r = decodeHeartbeat(encodeHeartbeat(h, key), key);
        assert.ok(r.ok);
        assert.deepEqual(r.heartbeat, h);
      },
    ),
    { numRuns: 300 },
  );
});

test('a flipped bit anywhere makes the packet refused, never accepted with other content', () => {
  const buf = encodeHeartbeat(hb(), key);
  for (let i = 0; i < buf.length * 8; i++) {
    const copy = Buffer.from(buf);
    copy[i >> 3] ^= 1 << (i & 7);
    const r = decodeHeartbeat(copy, key);
    assert.equal(r.ok, false, `bit ${i} flipped but accepted`);
  }
});

test('the wrong key gives bad-tag; no tag while we have a key gives unauthenticated', () => {
  const other = encodeHeartbeat(hb(), Buffer.alloc(32, 8));
  assert.deepEqual(pick(decodeHeartbeat(other, key)), 'bad-tag');
  const untagged = encodeHeartbeat(hb(), null);
  assert.equal(untagged.length, HEADER_BYTES);
  assert.deepEqual(pick(decodeHeartbeat(untagged, key)), 'unauthenticated');
});

test('without a key both tagged and untagged packets are read (nothing to verify with)', () => {
  assert.ok(decodeHeartbeat(encodeHeartbeat(hb(), null), null).ok);
  assert.ok(decodeHeartbeat(encodeHeartbeat(hb(), key), null).ok);
});

test('pulse magic numbers and short or padded packets are malformed', () => {
  const pulse = Buffer.alloc(4);
  pulse.writeUInt32LE(0xbdaddbda);
  assert.equal(pick(decodeHeartbeat(pulse, null)), 'malformed');
  const padded = Buffer.concat([encodeHeartbeat(hb(), null), Buffer.alloc(1)]);
  assert.equal(pick(decodeHeartbeat(padded, null)), 'malformed');
  assert.equal(pick(decodeHeartbeat(Buffer.alloc(HEADER_BYTES), null)), 'malformed');
});

test('replay guard: a sequence number must grow within a boot', () => {
  const g = new ReplayGuard();
  assert.deepEqual(g.check(hb({ seq: 5n })), { ok: true, newBoot: false });
  assert.equal(g.check(hb({ seq: 5n })).ok, false);
  assert.equal(g.check(hb({ seq: 4n })).ok, false);
  assert.equal(g.check(hb({ seq: 6n, timeMs: 1_700_000_001_000 })).ok, true);
});

test('replay guard: a restart (new boot id, later time) opens a new window; an older boot is refused', () => {
  const g = new ReplayGuard();
  g.check(hb({ seq: 100n, timeMs: 1000 }));
  const restart = g.check(hb({ bootId: 'ffffffffffffffff', seq: 1n, timeMs: 2000 }));
  assert.deepEqual(restart, { ok: true, newBoot: true });
  // A packet captured before the restart, replayed now: refused, and it does not reset the window.
  assert.equal(g.check(hb({ seq: 101n, timeMs: 1001 })).ok, false);
  assert.equal(g.check(hb({ bootId: 'ffffffffffffffff', seq: 1n, timeMs: 2000 })).ok, false);
  assert.equal(g.check(hb({ bootId: 'ffffffffffffffff', seq: 2n, timeMs: 3000 })).ok, true);
});

function pick(r: ReturnType<typeof decodeHeartbeat>): string {
  return r.ok ? 'ok' : r.reason;
}
