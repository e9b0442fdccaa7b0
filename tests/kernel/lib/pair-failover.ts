// The failover tests of a router pair on the kernel, for the NAT and the direct-routing suite
// files alike: a client makes a new connection to the VIP every 50 ms throughout, and each trial
// reports how long it went unanswered.
// - Crash: the active router's agent is SIGKILLed and the router drops off the network; the
//   partner takes over (gratuitous ARP, its kernel table programmed) and serves new connections.
// - Heartbeat cut: an nftables rule drops the active router's heartbeats both ways; the partner
//   takes over, both report the split brain, and when the rule goes exactly one router stays active.
// The times are reported (t.diagnostic, bench/kernel-failover/), not asserted: under the emulated
// CPU they depend on the host's load.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lab } from '../../../testing/lab.ts';
import { PRIMARY, type PairLayout } from './pair-topology.ts';
import { RouterPair } from './pair.ts';
import { type Probe, summary } from './probe.ts';
import { FIGURES_PREFIX, HEARTBEAT_PORT, startSettled, ROLE_CHANGES_PER_CUT, TAKEOVER_TARGET_MS, crashTrial, cutTrial, pairConfig, type Failover, type Figures } from './failover-trials.ts';

export interface PairFailoverSuite {
  lab: Lab;
  /** How the figures name the layout: "NAT", "DR". */
  label: string;
  layout: (lab: Lab, o: { reals: number; ports: number[] }) => Promise<PairLayout>;
  crashes: number;
  cuts: number;
}

const ms = (v: number) => `${Math.round(v)} ms`;
const figures = (label: string, values: number[]) => {
  const f = summary(values);
  return `${label}: median ${ms(f.median)}, worst ${ms(f.worst)}`;
};
const within = (values: number[]) => `${values.filter((v) => v <= TAKEOVER_TARGET_MS).length} of ${values.length} within ${ms(TAKEOVER_TARGET_MS)}`;
const record = (f: Figures) => `${FIGURES_PREFIX}${JSON.stringify(f, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}`;

/** Registers the file's hooks and its two tests (crash, heartbeat cut). */
export function pairFailoverSuite(s: PairFailoverSuite): void {
  const { lab } = s;
  let pair: RouterPair;
  let probe: Probe;

  before(lab.explain(async () => {
    const layout = await s.layout(lab, { reals: 2, ports: [80] });
    pair = new RouterPair(lab, layout, pairConfig(layout), HEARTBEAT_PORT);
    // Each trial starts from whichever router is active.
    probe = await startSettled(lab, pair);
  }));

  after(async () => {
    probe?.stop();
    await pair?.stop();
    lab.destroy();
  });

  test(`${s.label}: crash of the active router (agent SIGKILLed, router off the network): the partner takes over the VIP and serves new connections, ${s.crashes} trials`, lab.explain(async (t) => {
    const trials: Failover[] = [];
    for (let i = 0; i < s.crashes; i++) trials.push(await crashTrial(lab, pair, probe));
    const recovery = trials.map((o) => o.recoveryMs);
    const gap = trials.map((o) => o.gapMs);
    t.diagnostic(
      `${s.label} crash, ${s.crashes} trials (target: served within deadtime + 1 s = ${ms(TAKEOVER_TARGET_MS)}): ` +
        [
          `${figures('crash → first new connection served', recovery)} (${within(recovery)})`,
          figures('longest time without an answer', gap),
          figures('crash → the partner decides (deadtime)', trials.map((o) => o.detectionMs)),
          figures('decision → served (the transition under emulation)', trials.map((o) => o.recoveryMs - o.detectionMs)),
        ].join('; '),
    );
    t.diagnostic(record({ layout: s.label, scenario: 'crash', recoveryMs: recovery, gapMs: gap, detectionMs: trials.map((o) => o.detectionMs) }));
  }));

  test(`${s.label}: heartbeats of the active router cut both ways (nftables): the partner takes over, both report the split brain over their sockets, and after the heal the primary alone serves, without flapping, ${s.cuts} trials`, lab.explain(async (t) => {
    const trials: Awaited<ReturnType<typeof cutTrial>>[] = [];
    for (let i = 0; i < s.cuts; i++) {
      const o = await cutTrial(lab, pair, probe);
      trials.push(o);
      assert.ok(o.roleChanges <= ROLE_CHANGES_PER_CUT, `trial ${i + 1}: ${o.roleChanges} role changes (at most ${ROLE_CHANGES_PER_CUT})`);
      assert.equal(await pair.settled('after the heal'), PRIMARY);
    }
    const takeoverGap = trials.map((o) => o.takeover.gapMs);
    t.diagnostic(
      `${s.label} heartbeat cut, ${s.cuts} trials: ` +
        [
          `${figures('longest time without an answer at the takeover', takeoverGap)} (${within(takeoverGap)})`,
          figures('cut → the partner decides', trials.map((o) => o.takeover.detectionMs)),
          figures('longest time without an answer at the heal', trials.map((o) => o.heal.gapMs)),
          `role changes per trial: ${trials.map((o) => o.roleChanges).join(', ')}`,
        ].join('; '),
    );
    t.diagnostic(record({
      layout: s.label,
      scenario: 'cut',
      recoveryMs: trials.map((o) => o.takeover.recoveryMs),
      gapMs: takeoverGap,
      detectionMs: trials.map((o) => o.takeover.detectionMs),
      healGapMs: trials.map((o) => o.heal.gapMs),
      roleChanges: trials.map((o) => o.roleChanges),
    }));
  }));
}
