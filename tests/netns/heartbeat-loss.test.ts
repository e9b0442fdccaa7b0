// Issue 5: with 30% of heartbeats dropped in both directions (nftables in each receiving router:
// this kernel has no netem) and deadtime ≥ 3 × keepalive, nothing fails over for 60 s.
// deadtime = 10 × keepalive here: a failover needs deadtime/keepalive heartbeats lost in a row,
// 0.3^10 per heartbeat, so about 0.04% over the 60 s; at exactly 3 × keepalive the chance would be
// 0.3^3 per heartbeat, a failover every ~40 s (see docs/redundancy.md on choosing deadtime).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEARTBEAT_PORT } from '../../testing/netns.ts';
import { usePair } from '../../testing/netns-pair.ts';
import { sleep } from '../../testing/wait.ts';

const net = usePair(42, { keepalive: 1, deadtime: 10 });

test('30% heartbeat loss for 60 s: no failover, exactly one router active throughout', { skip: net.skip ?? false }, async () => {
  await net.pair.settled('r1', 'r2');
  const drop = `table ip hbloss {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport ${HEARTBEAT_PORT} numgen random mod 10 < 3 counter drop
  }
}
`;
  for (const r of ['r1', 'r2'] as const) net.bench.nft(r, drop);
  const before = [(await net.pair.status('r1')).history.length, (await net.pair.status('r2')).history.length];
  for (let s = 0; s < 60; s++) {
    await sleep(1000);
    const [p, b] = await Promise.all([net.pair.status('r1'), net.pair.status('r2')]);
    assert.equal(p.state, 'active', `second ${s}: the primary lost the VIP\n${net.pair.tail()}`);
    assert.equal(b.state, 'standby', `second ${s}: the backup took over\n${net.pair.tail()}`);
  }
  const after = [(await net.pair.status('r1')).history.length, (await net.pair.status('r2')).history.length];
  assert.deepEqual(after, before, 'no transition was recorded');
  // The rule did drop heartbeats (a loss test that loses nothing proves nothing).
  const counted = net.bench.sh('r2', ['nft', 'list', 'table', 'ip', 'hbloss']);
  const packets = Number(/counter packets (\d+)/.exec(counted)?.[1] ?? 0);
  assert.ok(packets >= 5, `only ${packets} heartbeats dropped in 60 s`);
  assert.ok(net.bench.hasAddress('r1', net.bench.vip) && !net.bench.hasAddress('r2', net.bench.vip));
});
