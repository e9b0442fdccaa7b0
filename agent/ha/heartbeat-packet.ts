// The heartbeat datagram. pulse sent a bare 4-byte magic number in host byte order and trusted the
// source address alone, so anyone able to spoof the partner's address could force a failover
// (original-piranha.md §5). This packet carries who sent it, its state and configuration serial,
// a boot id + sequence number + timestamp against replay, and an HMAC-SHA256 tag over all of it
// when a shared key is configured. Without a key the packet is still well formed, just untagged.
//
// Layout (network byte order), 44 bytes + 32-byte tag when authenticated:
//   0  u32  magic 'PHB1'          4  u8  version (1)      5  u8  flags (bit 0: tagged)
//   6  u8   node (0 primary, 1 backup)                    7  u8  state (0 standby, 1 active, 2 stopping)
//   8  f64  serial_no of the configuration in use (NaN when none)
//  16  8 B  boot id (random per process start)
//  24  u64  sequence number (starts at 1 each boot)
//  32  u64  sender's wall-clock time in ms
//  40  u32  keepalive in ms (lets the receiver judge the sender's pace)
//  44  32 B HMAC-SHA256(key, bytes 0..43)   -- only when flags bit 0 is set
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HEARTBEAT_MAGIC = 0x50484231; // 'PHB1'
export const HEARTBEAT_VERSION = 1;
export const HEADER_BYTES = 44;
export const TAG_BYTES = 32;

export type HaNode = 'primary' | 'backup';
/** `stopping` is the last heartbeat of a router shutting down gracefully: take over at once. */
export type WireState = 'standby' | 'active' | 'stopping';

const NODES: HaNode[] = ['primary', 'backup'];
const STATES: WireState[] = ['standby', 'active', 'stopping'];

export interface Heartbeat {
  node: HaNode;
  state: WireState;
  serial: number | null;
  /** 16 hex digits. */
  bootId: string;
  seq: bigint;
  timeMs: number;
  keepaliveMs: number;
}

export type DecodeResult =
  | { ok: true; heartbeat: Heartbeat; tagged: boolean }
  | { ok: false; reason: 'malformed' | 'unauthenticated' | 'bad-tag'; detail: string };

export function encodeHeartbeat(hb: Heartbeat, key: Buffer | null): Buffer {
  if (!/^[0-9a-f]{16}$/.test(hb.bootId)) throw new Error(`boot id must be 16 hex digits, got ${hb.bootId}`);
  const buf = Buffer.alloc(HEADER_BYTES + (key ? TAG_BYTES : 0));
  buf.writeUInt32BE(HEARTBEAT_MAGIC, 0);
  buf.writeUInt8(HEARTBEAT_VERSION, 4);
  buf.writeUInt8(key ? 1 : 0, 5);
  buf.writeUInt8(NODES.indexOf(hb.node), 6);
  buf.writeUInt8(STATES.indexOf(hb.state), 7);
  buf.writeDoubleBE(hb.serial ?? Number.NaN, 8);
  Buffer.from(hb.bootId, 'hex').copy(buf, 16);
  buf.writeBigUInt64BE(hb.seq, 24);
  buf.writeBigUInt64BE(BigInt(Math.floor(hb.timeMs)), 32);
  buf.writeUInt32BE(Math.min(hb.keepaliveMs, 0xffffffff), 40);
  if (key) tag(key, buf.subarray(0, HEADER_BYTES)).copy(buf, HEADER_BYTES);
  return buf;
}

/**
 * Parses and authenticates a datagram. With a key, an untagged packet is refused (`unauthenticated`)
 * so an attacker cannot downgrade; without a key, a tagged packet is accepted unverified (the
 * receiver has nothing to check it with; the console warns that no key is configured).
 */
export function decodeHeartbeat(buf: Buffer, key: Buffer | null): DecodeResult {
  if (buf.length < HEADER_BYTES) return bad('malformed', `${buf.length} bytes, at least ${HEADER_BYTES} expected`);
  if (buf.readUInt32BE(0) !== HEARTBEAT_MAGIC) return bad('malformed', 'not a piranha heartbeat (bad magic)');
  const version = buf.readUInt8(4);
  if (version !== HEARTBEAT_VERSION) return bad('malformed', `heartbeat version ${version}, this agent speaks ${HEARTBEAT_VERSION}`);
  const flags = buf.readUInt8(5);
  if ((flags & ~1) !== 0) return bad('malformed', `unknown flags 0x${flags.toString(16)}`);
  const tagged = (flags & 1) === 1;
  if (buf.length !== HEADER_BYTES + (tagged ? TAG_BYTES : 0)) return bad('malformed', `length ${buf.length} does not match flags`);
  const node = NODES[buf.readUInt8(6)];
  const state = STATES[buf.readUInt8(7)];
  if (!node || !state) return bad('malformed', 'unknown node or state code');
  if (key) {
    if (!tagged) return bad('unauthenticated', 'untagged heartbeat while a key is configured');
    const expected = tag(key, buf.subarray(0, HEADER_BYTES));
    if (!timingSafeEqual(expected, buf.subarray(HEADER_BYTES))) return bad('bad-tag', 'HMAC tag does not match the shared key');
  }
  const serial = buf.readDoubleBE(8);
  return {
    ok: true,
    tagged,
    heartbeat: {
      node,
      state,
      serial: Number.isNaN(serial) ? null : serial,
      bootId: buf.subarray(16, 24).toString('hex'),
      seq: buf.readBigUInt64BE(24),
      timeMs: Number(buf.readBigUInt64BE(32)),
      keepaliveMs: buf.readUInt32BE(40),
    },
  };
}

function tag(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function bad(reason: 'malformed' | 'unauthenticated' | 'bad-tag', detail: string): DecodeResult {
  return { ok: false, reason, detail };
}
