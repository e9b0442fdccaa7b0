// A NAT router pair on the kernel (lvs.cf backup_active = 1, network = nat): two router namespaces,
// each with its own IPVS table and its own agent; the VIP and nat_router float. A client makes a
// new connection every 50 ms throughout, and each trial reports how long it went unanswered.
// - Crash: the active router's agent is SIGKILLed and the router drops off the network; the
//   partner takes over (gratuitous ARP, its kernel table programmed) and serves new connections.
// - Heartbeat cut: an nftables rule drops the active router's heartbeats both ways; the partner
//   takes over, and when the rule goes exactly one router stays active.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../../testing/lab.ts';
import { natPairLab, PRIMARY } from '../lib/pair-topology.ts';
import { RouterPair } from '../lib/pair.ts';
import { type Probe, summary } from '../lib/probe.ts';
import { HEARTBEAT_PORT, ROLE_CHANGES_PER_CUT, TAKEOVER_TARGET_MS, crashTrial, cutTrial, pairConfig, startSettled, trials, type Failover } from '../lib/failover-trials.ts';

const CRASHES = trials(2);
const CUTS = trials(3);
const lab = new Lab('kfn');
let pair: RouterPair;
let probe: Probe;

before(lab.explain(async () => {
  const layout = await natPairLab(lab, { reals: 2, ports: [80] });
  pair = new RouterPair(lab, layout, pairConfig(layout), HEARTBEAT_PORT);
  probe = await startSettled(lab, pair);
}));

after(async () => {
  probe?.stop();
  await pair?.stop();
  lab.destroy();
});

const ms = (v: number) => `${Math.round(v)} ms`;
const figures = (label: string, values: number[]) => {
  const f = summary(values);
  return `${label}: median ${ms(f.median)}, worst ${ms(f.worst)}`;
};

test(`crash of the active router (agent SIGKILLed, router off the network): the partner takes over the VIP and serves new connections, ${CRASHES} trials`, lab.explain(async (t) => {
  const trials: Failover[] = [];
  for (let i = 0; i < CRASHES; i++) trials.push(await crashTrial(lab, pair, probe));
  t.diagnostic(
    `NAT crash, ${CRASHES} trials (target: served within deadtime + 1 s = ${ms(TAKEOVER_TARGET_MS)}): ` +
      [
        figures('crash → first new connection served', trials.map((o) => o.recoveryMs)),
        figures('longest time without an answer', trials.map((o) => o.gapMs)),
        figures('crash → the partner decides (deadtime)', trials.map((o) => o.detectionMs)),
        figures('decision → served (the transition under emulation)', trials.map((o) => o.recoveryMs - o.detectionMs)),
      ].join('; '),
  );
}));

test(`heartbeats of the active router cut both ways (nftables): the partner takes over, both report the split brain over their sockets, and after the heal the primary alone serves, without flapping, ${CUTS} trials`, lab.explain(async (t) => {
  const trials: Awaited<ReturnType<typeof cutTrial>>[] = [];
  for (let i = 0; i < CUTS; i++) {
    const o = await cutTrial(lab, pair, probe);
    trials.push(o);
    assert.ok(o.roleChanges <= ROLE_CHANGES_PER_CUT, `trial ${i + 1}: ${o.roleChanges} role changes (at most ${ROLE_CHANGES_PER_CUT})`);
    assert.equal(await pair.settled('after the heal'), PRIMARY);
  }
  t.diagnostic(
    `NAT heartbeat cut, ${CUTS} trials: ` +
      [
        figures('longest time without an answer at the takeover', trials.map((o) => o.takeover.gapMs)),
        figures('cut → the partner decides', trials.map((o) => o.takeover.detectionMs)),
        figures('longest time without an answer at the heal', trials.map((o) => o.heal.gapMs)),
        `role changes per trial: ${trials.map((o) => o.roleChanges).join(', ')}`,
      ].join('; '),
  );
}));
