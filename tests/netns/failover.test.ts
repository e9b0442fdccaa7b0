// Issue 5: kill the active router; the backup answers on the VIP within deadtime + 1 s, 20 times
// out of 20, and the client's neighbour table switches to the new router's MAC (gratuitous ARP).
// A returning router stays standby (no preemption), so the trials alternate between the routers.
// Measured end to end through the real agent: heartbeats, VIP takeover, the userspace dataplane
// forwarding to the real servers in rs1/rs2 (which say through which router the request came).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { type Router, SERVICE_PORT, usePair } from '../../testing/netns-pair.ts';
import { waitFor } from '../../testing/wait.ts';

const KEEPALIVE = 1;
const DEADTIME = 2;
const TRIALS = 20;

const net = usePair(41, { keepalive: KEEPALIVE, deadtime: DEADTIME });
const seen: { t: number; who: string | null }[] = [];

before(() => {
  if (net.skip) return;
  net.bench.start('client', [process.execPath, '--import', 'tsx', 'tests/netns/client-probe.ts', net.bench.vip, String(SERVICE_PORT)], (line, stream) => {
    if (stream === 'out') seen.push(JSON.parse(line));
  });
});

test('the pair settles: the primary holds the VIP and the client reaches it', { skip: net.skip ?? false }, async () => {
  await net.pair.settled('r1', 'r2');
  await waitFor(() => net.pair.routerOf(seen.at(-1)?.who) === 'r1', { timeoutMs: 10_000, message: 'the client to be answered through the primary' });
  // Both real servers serve (wlc spreads the probe's one-at-a-time requests over them).
  await waitFor(() => ['rs1', 'rs2'].every((rs) => seen.some((s) => s.who === `${rs} via ${net.bench.ip('r1')}`)), { timeoutMs: 10_000, message: 'both real servers to answer' });
  const [p, b] = await Promise.all([net.pair.agentStatus('r1'), net.pair.agentStatus('r2')]);
  assert.deepEqual([p.role, p.running, b.role, b.running], ['active', true, 'standby', false]);
  assert.ok(net.bench.hasAddress('r1', net.bench.vip));
  assert.ok(!net.bench.hasAddress('r2', net.bench.vip));
  assert.equal(net.bench.neighbourMac('client', net.bench.vip), net.bench.mac('r1'));
});

test(`kill the active router: the other answers on the VIP within deadtime + 1 s, ${TRIALS} of ${TRIALS}`, { skip: net.skip ?? false }, async () => {
  let active: Router = 'r1';
  const times: number[] = [];
  for (let trial = 1; trial <= TRIALS; trial++) {
    const standby: Router = active === 'r1' ? 'r2' : 'r1';
    await net.pair.settled(active, standby);
    await waitFor(() => net.pair.routerOf(seen.at(-1)?.who) === active, { timeoutMs: 10_000, message: `the client to reach ${active}` });
    assert.equal(net.bench.neighbourMac('client', net.bench.vip), net.bench.mac(active), `trial ${trial}: client's ARP entry before the kill`);

    const killedAt = Date.now();
    net.pair.crash(active);
    const answered = await waitFor(() => seen.find((s) => s.t > killedAt && net.pair.routerOf(s.who) === standby), {
      timeoutMs: 15_000,
      message: `${standby} to answer on the VIP (trial ${trial})`,
    });
    const took = answered.t - killedAt;
    times.push(took);
    assert.ok(took <= (DEADTIME + 1) * 1000, `trial ${trial}: ${standby} answered ${took} ms after the kill (limit ${(DEADTIME + 1) * 1000} ms)\n${net.pair.tail()}`);
    // The answer came through the new router's MAC: its gratuitous ARP replaced the client's entry.
    assert.equal(net.bench.neighbourMac('client', net.bench.vip), net.bench.mac(standby), `trial ${trial}: client's ARP entry after failover`);
    const st = await net.pair.status(standby);
    assert.equal(st.state, 'active');
    assert.match(st.history.at(-1)!.reason, /partner dead/);

    // The crashed router returns and must not take the VIP back.
    await net.pair.reboot(active);
    await net.pair.settled(standby, active);
    assert.ok(!net.bench.hasAddress(active, net.bench.vip), `trial ${trial}: the returning ${active} took the VIP back`);
    active = standby;
  }
  times.sort((a, b) => a - b);
  console.log(`failover times over ${TRIALS} trials (ms): min ${times[0]}, median ${times[TRIALS >> 1]}, max ${times.at(-1)}`);
});
