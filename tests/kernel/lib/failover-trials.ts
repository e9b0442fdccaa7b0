// The failover trials of the router pair, shared by the NAT and direct-routing suite files: one
// crash of the active router, or one cut of its heartbeats, and what the 50 ms client saw.
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { Lab } from '../../../testing/lab.ts';
import { waitFor } from '../../../testing/wait.ts';
import { lvsCf } from '../../../testing/lvs-cf.ts';
import { CLIENT } from './topology.ts';
import { RouterPair, partnerOf, type Router } from './pair.ts';
import { floatingOf, type PairLayout } from './pair-topology.ts';
import { Probe, monotonicMs, type Outage } from './probe.ts';
import type { HaStatus } from '../../../agent/protocol/index.ts';
import { EXPECT_GREETING } from './traffic.ts';

export const HEARTBEAT_PORT = 539;
export const KEEPALIVE_S = 1;
export const DEADTIME_S = 3;
/**
 * The deadtime of the pair files that do not measure the takeover (connection sync, spoofing):
 * there a burst of work (20 streams opening at once, a process each) can starve both agents of
 * the emulated CPUs for seconds, and a standby that misses 3 s of heartbeats takes the VIP
 * mid-test. What those files check does not depend on how soon the partner decides.
 */
export const TOLERANT_DEADTIME_S = 8;
/** The target of the issue, which the figures are compared with: served again within deadtime + 1 s. */
export const TAKEOVER_TARGET_MS = (DEADTIME_S + 1) * 1000;
/**
 * Role changes one heartbeat cut may cause across both routers: the partner's takeover and its
 * return to standby at the heal, plus one more round should an agent starved by the emulated CPU
 * miss a deadtime while the pair settles. More than this is flapping.
 */
export const ROLE_CHANGES_PER_CUT = 4;

/** What one failover cost: what the client saw, and when the new active router's agent decided. */
export interface Failover extends Outage {
  /** From the event to the new active router's transition (its failover history). */
  detectionMs: number;
}

/**
 * Trials of each measurement: PIRANHA_KERNEL_TRIALS (the bench runs 20), else `fallback` (the
 * suite's own few: a crash trial reboots a router, which takes minutes under emulation).
 */
export function trials(fallback: number): number {
  const n = Number(process.env.PIRANHA_KERNEL_TRIALS || fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PIRANHA_KERNEL_TRIALS must be a positive whole number, not "${process.env.PIRANHA_KERNEL_TRIALS}"`);
  return n;
}
/** Every trial's figures as one JSON diagnostic line, which bench/kernel-failover/run.ts reads. */
export const FIGURES_PREFIX = 'figures ';
export const figuresSchema = z.object({
  layout: z.string(),
  scenario: z.enum(['crash', 'cut']),
  /** Each trial: event → first new connection served (crash), or the takeover's (cut). */
  recoveryMs: z.array(z.number()),
  /** Each trial: the longest time without an answer around the event (the takeover's, for a cut). */
  gapMs: z.array(z.number()),
  /** Each trial: event → the partner's decision. */
  detectionMs: z.array(z.number()),
  /** Cut only: the longest time without an answer at the heal. */
  healGapMs: z.array(z.number()).optional(),
  roleChanges: z.array(z.number()).optional(),
});
export type Figures = z.infer<typeof figuresSchema>;
/** failover-sync.ts's figures: streams lost in a crash with and without connection sync. */
export const syncFiguresSchema = z.object({
  scenario: z.literal('sync'),
  streams: z.number(),
  lostWithSync: z.number(),
  lostWithoutSync: z.number(),
  /** Established connections to the VIP the standby's kernel held before the crash, with sync. */
  standbyKnewWithSync: z.number(),
});
export type SyncFigures = z.infer<typeof syncFiguresSchema>;
/**
 * Starts both agents of `pair` and waits until the pair has settled as it starts: one router
 * active (usually the primary; the backup when the primary's agent was slow to start, as it then
 * joins as standby: no preemption), the other standby, and the client served through the VIP.
 * Returns the client's probe (a new connection every 50 ms, stopped by its owner or by lab.destroy()).
 */
export async function startSettled(lab: Lab, pair: RouterPair): Promise<Probe> {
  await pair.start();
  await pair.settled('the pair started');
  const probe = new Probe(lab, CLIENT, `${pair.layout.vip}:80`);
  await probe.settled(0, 10, 'the client to be served through the VIP');
  return probe;
}

/** Successes in a row after which the client counts as served again. */
const SETTLED = 10;

/** lvs.cf of the pair: one virtual server on the floating VIP, every real server weight 1. */
export function pairConfig(layout: PairLayout, extra: { sync?: { iface: string; id: number }; deadtimeS?: number } = {}): string {
  const text = lvsCf({
    network: layout.network,
    primary: layout.primary,
    backup: layout.backup,
    heartbeatPort: HEARTBEAT_PORT,
    keepalive: KEEPALIVE_S,
    deadtime: extra.deadtimeS ?? DEADTIME_S,
    monitorLinks: false,
    ...(layout.natRouter ? { natRouter: layout.natRouter } : {}),
    virtuals: [{
      name: 'web', vip: layout.vip, device: layout.vipDevice, port: 80, scheduler: 'rr', timeout: 6, expect: EXPECT_GREETING,
      servers: layout.reals.names.map((n) => ({ name: n, address: layout.reals.address(n), weight: 1 })),
    }],
  });
  if (!extra.sync) return text;
  // The sync daemon's settings go with the global ones, before the first virtual server.
  return text.replace('virtual ', `syncdaemon = 1\nsyncd_iface = ${extra.sync.iface}\nsyncd_id = ${extra.sync.id}\nvirtual `);
}

/** How long a router's announcement lasts: its 3 gratuitous ARPs (agent/ha/vip.ts), each arping run about a second, under emulation. */
const ANNOUNCEMENT_MS = 5_000;

/**
 * Checks that `r` took over as a client sees it: it holds the VIP and the client's ARP entry is its
 * MAC. After a split brain the partner may still answer for the VIP when `r`'s first gratuitous ARP
 * goes out, so the entry must be `r`'s by the end of the announcement, not at its first packet.
 */
export async function assertTookOver(lab: Lab, pair: RouterPair, r: Router): Promise<void> {
  const ha = await pair.ha(r);
  assert.ok(ha.vips.some((v) => v.address === pair.layout.vip), `${r} holds the VIP: ${JSON.stringify(ha.vips)}`);
  const mac = lab.mac(r);
  let entry: string | null = null;
  await waitFor(() => (entry = lab.neighbour(CLIENT, pair.layout.vip)) === mac, { timeoutMs: ANNOUNCEMENT_MS, intervalMs: 200 }).catch(() => {});
  assert.equal(entry, mac, `the client's ARP entry for the VIP is ${r}'s MAC by the end of its announcement (gratuitous ARP)`);
}

/**
 * The active router crashes: its agent is SIGKILLed and the machine drops off the network at the
 * same moment (a crashed router answers neither ARP nor packets; the kernel state it leaves
 * behind goes with it). The partner must take over; the crashed router then boots again, empty,
 * and rejoins as standby (no preemption), ready to be the partner of the next trial.
 */
export async function crashTrial(lab: Lab, pair: RouterPair, probe: Probe, onServed: (survivor: Router) => Promise<void> = async () => {}): Promise<Failover> {
  const failed = await pair.settled('before a crash');
  await probe.settled(monotonicMs(), SETTLED, 'the client to be served before the crash');
  const survivor = partnerOf(failed);
  // The event is the moment the router is off the network (the command has returned).
  pair.unplug(failed);
  const event = monotonicMs();
  const eventWall = Date.now();
  await pair.kill(failed);
  await pair.waitActive(survivor, 1, `${failed} crashed`);
  await probe.settled(event, SETTLED, `the client to be served again after ${failed} crashed`);
  await assertTookOver(lab, pair, survivor);
  const outage = { ...probe.outage(event, monotonicMs()), detectionMs: detection(await pair.ha(survivor), eventWall) };
  lab.log(`crash of ${failed}: ${JSON.stringify(outage)}`);
  await onServed(survivor);
  await pair.reboot(failed);
  await pair.waitStandby(failed, `${failed} rebooted while ${survivor} serves`);
  return outage;
}

/**
 * Heartbeats to and from the active router are dropped (an nftables rule in its namespace): the
 * partner hears nothing for deadtime, takes over and announces the VIP, while the cut-off router,
 * hearing nothing either, stays active too. When the rule goes, both hear each other active and the
 * primary keeps the VIPs (role.ts). Returns what the client saw at the takeover and at the heal.
 */
export async function cutTrial(lab: Lab, pair: RouterPair, probe: Probe): Promise<{ takeover: Failover; heal: Outage; roleChanges: number }> {
  const cut = await pair.settled('before a heartbeat cut');
  await probe.settled(monotonicMs(), SETTLED, 'the client to be served before the cut');
  const other = partnerOf(cut);
  const changesBefore = await roleChanges(pair);
  pair.cutHeartbeats(cut);
  const event = monotonicMs();
  const eventWall = Date.now();
  await pair.waitActive(other, 1, `heartbeats of ${cut} cut`);
  await probe.settled(event, SETTLED, `the client to be served after ${other} took over`);
  await assertTookOver(lab, pair, other);
  const takeover = { ...probe.outage(event, monotonicMs()), detectionMs: detection(await pair.ha(other), eventWall) };
  // Split brain: both active, neither hearing the other; each reports, over its socket, the
  // other's MAC answering for one of the addresses both hold (the VIP, or NAT's gateway address:
  // whichever of its probes got the first answer).
  const floating = floatingOf(pair.layout);
  for (const r of [cut, other]) {
    const sb = await waitFor(async () => (await pair.ha(r)).splitBrain, { timeoutMs: 120_000, message: `${r} to report the split brain` });
    const held = floating.find((f) => f.address === sb.address);
    assert.ok(held, `${r}'s split-brain report names an address the pair holds, ${floating.map((f) => f.address).join(' or ')}: ${JSON.stringify(sb)}`);
    assert.equal(sb.mac, lab.mac(partnerOf(r), held.device), `${r}'s split-brain report: the partner's MAC on ${held.device} answers for ${sb.address}`);
  }
  pair.healHeartbeats(cut);
  const healed = monotonicMs();
  const keeper = 'r1'; // the primary keeps the VIPs when both are active
  await pair.waitStandby(partnerOf(keeper), `heartbeats of ${cut} back`);
  await pair.waitActive(keeper, 1, `heartbeats of ${cut} back`);
  await probe.settled(healed, SETTLED, 'the client to be served after the heal');
  for (const r of [cut, other]) await waitFor(async () => (await pair.ha(r)).splitBrain === null, { timeoutMs: 120_000, message: `${r}'s split-brain report to clear after the heal` });
  await assertTookOver(lab, pair, keeper);
  const heal = probe.outage(healed, monotonicMs());
  lab.log(`heartbeats of ${cut} cut: takeover ${JSON.stringify(takeover)}, heal ${JSON.stringify(heal)}`);
  return { takeover, heal, roleChanges: (await roleChanges(pair)) - changesBefore };
}

/** From the event (wall clock) to the router's last activation in its failover history. */
function detection(ha: HaStatus, eventWall: number): number {
  const activated = ha.history.filter((h) => h.to === 'active' && h.from === 'standby').at(-1);
  if (!activated) throw new Error(`no activation in the failover history: ${JSON.stringify(ha.history)}`);
  return Date.parse(activated.time) - eventWall;
}

/** Role changes recorded by both routers' agents (their failover history). */
async function roleChanges(pair: RouterPair): Promise<number> {
  let n = 0;
  for (const r of pair.agents.keys()) n += (await pair.ha(r)).history.filter((h) => h.from !== h.to).length;
  return n;
}
