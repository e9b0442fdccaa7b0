// Issue 5: with 30% of heartbeats dropped in both directions (nftables in each receiving router:
// this kernel has no netem) and deadtime ≥ 3 × keepalive, nothing fails over for 60 s.
// deadtime = 10 × keepalive here: a failover needs deadtime/keepalive heartbeats lost in a row,
// 0.3^10 per heartbeat, so about 0.04% over the 60 s; at exactly 3 × keepalive the chance would be
// 0.3^3 per heartbeat, a failover every ~40 s (see docs/redundancy.md on choosing deadtime).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Bench, HEARTBEAT_PORT, netnsUnavailable, pairConfig } from '../../testing/netns.ts';
import { Pair } from '../../testing/netns-pair.ts';
import { sleep } from '../../testing/wait.ts';

const skip = netnsUnavailable();
let bench: Bench;
let pair: Pair;

before(async () => {
  if (skip) return;
  bench = new Bench(42);
  pair = await Pair.started(bench, pairConfig(bench, { keepalive: 1, deadtime: 10 }));
});

after(() => bench?.destroy());

test('30% heartbeat loss for 60 s: no failover, exactly one router active throughout', { skip: skip ?? false }, async () => {
  await pair.settled('r1', 'r2');
  const drop = `table ip hbloss {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport ${HEARTBEAT_PORT} numgen random mod 10 < 3 counter drop
  }
}
`;
  for (const r of ['r1', 'r2'] as const) bench.nft(r, drop);
  const before = [(await pair.status('r1')).history.length, (await pair.status('r2')).history.length];
  for (let s = 0; s < 60; s++) {
    await sleep(1000);
    const [p, b] = await Promise.all([pair.status('r1'), pair.status('r2')]);
    assert.equal(p.state, 'active', `second ${s}: the primary lost the VIP\n${pair.tail()}`);
    assert.equal(b.state, 'standby', `second ${s}: the backup took over\n${pair.tail()}`);
  }
  const after = [(await pair.status('r1')).history.length, (await pair.status('r2')).history.length];
  assert.deepEqual(after, before, 'no transition was recorded');
  // The rule did drop heartbeats (a loss test that loses nothing proves nothing).
  const counted = bench.sh('r2', ['nft', 'list', 'table', 'ip', 'hbloss']);
  const packets = Number(/counter packets (\d+)/.exec(counted)?.[1] ?? 0);
  assert.ok(packets >= 5, `only ${packets} heartbeats dropped in 60 s`);
  assert.ok(bench.hasAddress('r1', bench.vip) && !bench.hasAddress('r2', bench.vip));
});
