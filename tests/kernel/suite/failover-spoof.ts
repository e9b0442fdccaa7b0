// Heartbeats forged or replayed from a third namespace on the NAT router pair's outside LAN
// change nothing (agent/ha: heartbeats carry an HMAC tag, a boot id and a sequence number): one
// from the attacker's own address, one from the active router's address without the key, one with
// a wrong key, and a genuine heartbeat of the active router captured on the wire and sent again.
// Each says "the active router is stopping, take over", which an unauthenticated pulse would obey
// at once. The standby counts each drop by its reason, stays standby with an empty kernel table,
// and the client's ARP entry for the VIP is still the active router's MAC.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Lab } from '../../../testing/lab.ts';
import { sleep, waitFor } from '../../../testing/wait.ts';
import { encodeHeartbeat } from '../../../agent/ha/heartbeat-packet.ts';
import type { HaStatus } from '../../../agent/protocol/index.ts';
import { CLIENT } from '../lib/topology.ts';
import { natPairLab, PRIMARY, type PairLayout } from '../lib/pair-topology.ts';
import { RouterPair, partnerOf, type Router } from '../lib/pair.ts';
import { parseIpVs } from '../lib/kernel-table.ts';
import { connect, tool } from '../lib/traffic.ts';
import { HEARTBEAT_PORT, KEEPALIVE_S, TOLERANT_DEADTIME_S, pairConfig } from '../lib/failover-trials.ts';

const ATTACKER = 'attacker';
const ATTACKER_ADDRESS = '203.0.113.66';
const lab = new Lab('kfx');
let layout: PairLayout;
let pair: RouterPair;

before(lab.explain(async () => {
  layout = await natPairLab(lab, { reals: 1, ports: [80] });
  lab.machine(ATTACKER, [{ lan: 'out', dev: 'eth0', addresses: [`${ATTACKER_ADDRESS}/24`] }]);
  // A starved standby that misses heartbeats would record a transition the attack did not cause;
  // a forged "stopping" heartbeat, if believed, makes it take over at once whatever the deadtime.
  pair = new RouterPair(lab, layout, pairConfig(layout, { deadtimeS: TOLERANT_DEADTIME_S }), HEARTBEAT_PORT);
  await pair.start();
}));

after(async () => {
  await pair?.stop();
  lab.destroy();
});

/** A router's own address, where its heartbeats come from. */
const address = (r: Router) => (r === PRIMARY ? layout.primary : layout.backup);

/** A heartbeat of the active router, stopping: the standby would take over at once if it believed it. */
function forged(active: Router, key: Buffer | null): string {
  return encodeHeartbeat(
    { node: active === PRIMARY ? 'primary' : 'backup', state: 'stopping', serial: 999, bootId: randomBytes(8).toString('hex'), seq: 1n << 40n, timeMs: Date.now() + 3_600_000, keepaliveMs: KEEPALIVE_S * 1000 },
    key,
  ).toString('hex');
}

function send(to: Router, hex: string): void {
  lab.sh(ATTACKER, [tool('udp-datagram'), 'send', address(to), String(HEARTBEAT_PORT), hex]);
}

const DROP_REASONS = ['wrong-sender', 'unauthenticated', 'bad-tag', 'replay'] as const;
type DropReason = (typeof DROP_REASONS)[number];
const dropped = (ha: HaStatus, reason: DropReason) => ha.dropped[reason] ?? 0;

async function droppedAtLeast(standby: Router, reason: DropReason, n: number): Promise<void> {
  await waitFor(async () => dropped(await pair.ha(standby), reason) >= n, { timeoutMs: 60_000, message: `${standby} to count ${n} heartbeat(s) dropped as ${reason}` });
}

test('forged and replayed heartbeats from a third namespace change nothing, and the standby counts each by its reason', lab.explain(async () => {
  // Usually the primary; the backup when the primary's agent was slow to start (no preemption).
  const active = await pair.settled('before the attack');
  const standby = partnerOf(active);
  const before = await pair.ha(standby);
  const historyBefore = before.history.length;
  const base = Object.fromEntries(DROP_REASONS.map((r) => [r, dropped(before, r)])) as Record<DropReason, number>;

  // 1. From the attacker's own address.
  send(standby, forged(active, null));
  await droppedAtLeast(standby, 'wrong-sender', base['wrong-sender'] + 1);

  // 2. From the active router's address (SNAT in the attacker's namespace): no tag, then a wrong
  //    key. The same table sends the active router's heartbeats that reach the attacker (step 3) to its own
  //    address.
  lab.nft(ATTACKER, [
    'table ip spoof {',
    `  chain post { type nat hook postrouting priority 100; ip daddr ${address(standby)} udp dport ${HEARTBEAT_PORT} snat to ${address(active)}; }`,
    `  chain pre { type nat hook prerouting priority -100; udp dport ${HEARTBEAT_PORT} dnat to ${ATTACKER_ADDRESS}; }`,
    '}',
  ].join('\n'));
  send(standby, forged(active, null));
  await droppedAtLeast(standby, 'unauthenticated', base.unauthenticated + 1);
  send(standby, forged(active, randomBytes(32)));
  await droppedAtLeast(standby, 'bad-tag', base['bad-tag'] + 1);

  // 3. A genuine heartbeat of the active router, copied to the attacker on its way to the standby
  //    (the standby's netfilter duplicates it, as a tap on the LAN would), sent again from the
  //    active router's address once the standby has seen the original.
  const capture = lab.start(ATTACKER, [tool('udp-datagram'), 'receive', ATTACKER_ADDRESS, String(HEARTBEAT_PORT), '60']);
  let captured = '';
  capture.stdout!.setEncoding('utf8').on('data', (d: string) => (captured += d));
  await sleep(1000);
  lab.nft(standby, `table ip tap {\n  chain pre { type filter hook prerouting priority 0; ip saddr ${address(active)} udp dport ${HEARTBEAT_PORT} dup to ${ATTACKER_ADDRESS}; }\n}\n`);
  const [code] = await once(capture, 'exit');
  lab.sh(standby, ['nft', 'delete', 'table', 'ip', 'tap']);
  assert.equal(code, 0, `the attacker captured a heartbeat of ${active}`);
  captured = captured.trim();
  assert.match(captured, /^50484231/, 'the captured datagram is a piranha heartbeat');
  await sleep(KEEPALIVE_S * 1000);
  send(standby, captured);
  await droppedAtLeast(standby, 'replay', base.replay + 1);

  // Nothing changed: the active router serves, the standby stays standby with an empty kernel
  // table and no transition recorded, and the client still reaches the VIP at the active's MAC.
  await sleep(2 * KEEPALIVE_S * 1000);
  const [a, b] = await Promise.all([pair.ha(active), pair.ha(standby)]);
  assert.equal(a.state, 'active', `${active} is still active`);
  assert.equal(b.state, 'standby', `${standby} is still standby`);
  assert.equal(b.partner?.state, 'active', `${standby} still hears ${active} active`);
  assert.equal(b.history.length, historyBefore, `${standby} recorded no transition: ${JSON.stringify(b.history.slice(historyBefore))}`);
  assert.equal(parseIpVs(await lab.procNet(standby, 'ip_vs')).size, 0, `${standby}'s kernel table is still empty`);
  assert.ok(a.vips.some((v) => v.address === layout.vip), `${active} still holds the VIP`);
  assert.ok(!b.vips.some((v) => v.address === layout.vip), `${standby} does not hold the VIP`);
  // A connection to the VIP (the guest has no ping: the host's root is all it has) also fills the
  // client's ARP entry.
  const [answer] = await connect(lab, CLIENT, 1, [`${layout.vip}:80`]);
  assert.ok(answer!.server !== null, `the client's connection to the VIP was served: ${answer!.error}`);
  assert.equal(lab.neighbour(CLIENT, layout.vip), lab.mac(active), `the client's ARP entry for the VIP is ${active}'s MAC`);
}));
