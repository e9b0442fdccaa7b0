// Connection sync on a NAT router pair (lvs.cf syncdaemon, syncd_iface, syncd_id): the agents run
// the kernel's IPVS sync daemon, master on the active router and backup on the standby, so the
// standby's kernel holds every established connection before it takes over. 20 long-lived TCP
// streams (a byte a second) through the VIP then survive a crash of the active router: none lost.
// In the same test, with syncdaemon = 0, the same crash loses them, so the test proves the
// difference. NAT needs nothing more on the new director: the synced IPVS connection carries the
// real server's address, and the real servers' replies reach it through the floating nat_router.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../../../testing/lab.ts';
import { waitFor } from '../../../testing/wait.ts';
import { CLIENT } from '../lib/topology.ts';
import { natPairLab, type PairLayout } from '../lib/pair-topology.ts';
import { RouterPair, partnerOf, type Router } from '../lib/pair.ts';
import { type Probe, monotonicMs } from '../lib/probe.ts';
import { FIGURES_PREFIX, HEARTBEAT_PORT, TOLERANT_DEADTIME_S, crashTrial, pairConfig, startSettled, type SyncFigures } from '../lib/failover-trials.ts';
import { HeldConnection } from '../lib/traffic.ts';

const STREAMS = 20;
const SYNC = { iface: 'eth1', id: 7 };
/** Opening the 20 streams starved both agents: with 3 s the standby once took the VIP meanwhile and refused a stream. */
const DEADTIME_S = TOLERANT_DEADTIME_S;
const lab = new Lab('kfs');
let layout: PairLayout;
let pair: RouterPair;
let probe: Probe;

before(lab.explain(async () => {
  layout = await natPairLab(lab, { reals: 2, ports: [80] });
  pair = new RouterPair(lab, layout, pairConfig(layout, { sync: SYNC, deadtimeS: DEADTIME_S }), HEARTBEAT_PORT);
  probe = await startSettled(lab, pair);
}));

after(async () => {
  probe?.stop();
  await pair?.stop();
  lab.destroy();
});

/** Established connections in a router's kernel (its /proc/net/ip_vs_conn) to the VIP's port 80. */
async function kernelConnections(r: Router): Promise<number> {
  const text = await lab.procNet(r, 'ip_vs_conn');
  const vip = layout.vip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('').toUpperCase();
  return text.split('\n').filter((l) => l.includes(`${vip} 0050`) && l.includes('ESTABLISHED')).length;
}

/**
 * Opens the streams through the active router, sends a byte a second on each for a few seconds,
 * crashes the active router, and counts the streams that no longer carry bytes once the partner
 * serves. The byte-a-second traffic pauses during the outage (tcp-client gives up a read after
 * 5 s, and TCP's own retransmission backs off over the outage): what counts is whether each
 * connection still works on the new director.
 */
async function streamsLostInCrash(expectSynced: boolean): Promise<{ lost: number; standbyKnew: number }> {
  const active = await pair.settled('before the streams open');
  await probe.settled(monotonicMs(), 10, 'the client to be served before the streams open');
  const streams = await Promise.all(Array.from({ length: STREAMS }, () => HeldConnection.open(lab, CLIENT, `${layout.vip}:80`)));
  for (let second = 0; second < 3; second++) {
    const replies = await Promise.all(streams.map((s) => s.echo('x')));
    assert.deepEqual(replies.filter((r) => r !== 'x'), [], 'every stream echoes before the crash');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const standby = partnerOf(active);
  let standbyKnew = await kernelConnections(standby);
  if (expectSynced) {
    standbyKnew = await waitFor(async () => { const n = await kernelConnections(standby); return n >= STREAMS ? n : 0; }, { timeoutMs: 60_000, message: `${standby}'s kernel to hold the ${STREAMS} synced connections` });
  }
  let lost = -1;
  await crashTrial(lab, pair, probe, async () => {
    const replies = await Promise.all(streams.map((s) => s.echo('y')));
    lab.log(`after the crash of ${active}: ${JSON.stringify(replies)}`);
    lost = replies.filter((r) => r !== 'y').length;
  });
  for (const s of streams) s.close();
  return { lost, standbyKnew };
}

test(`${STREAMS} long-lived streams survive a crash of the active router with syncdaemon = 1 (0 lost), and are lost with syncdaemon = 0`, lab.explain(async (t) => {
  for (const r of pair.agents.keys()) {
    const problems = (await pair.ha(r)).problems.map((p) => p.message).filter((m) => m.includes('connection sync'));
    assert.deepEqual(problems, [], `${r}'s sync daemon started`);
  }
  const on = await streamsLostInCrash(true);
  t.diagnostic(`syncdaemon = 1: the standby's kernel held ${on.standbyKnew} established connections to the VIP before the crash (the ${STREAMS} streams and any of the 50 ms client's open then); ${on.lost} of ${STREAMS} streams lost`);

  await pair.reconfigure(pairConfig(layout, { deadtimeS: DEADTIME_S }));
  const off = await streamsLostInCrash(false);
  // Entries the standby still holds from before sync was switched off (the 50 ms client's, synced
  // as established and never closed there) are counted too: the streams' fate is what matters.
  t.diagnostic(`syncdaemon = 0: the standby's kernel held ${off.standbyKnew} established connections to the VIP (left from earlier syncs); ${off.lost} of ${STREAMS} streams lost`);

  const figures: SyncFigures = { scenario: 'sync', streams: STREAMS, lostWithSync: on.lost, lostWithoutSync: off.lost, standbyKnewWithSync: on.standbyKnew };
  t.diagnostic(`${FIGURES_PREFIX}${JSON.stringify(figures)}`);
  assert.equal(on.lost, 0, 'streams lost with connection sync');
  assert.ok(off.lost > 0, `without sync the crash loses streams (${off.lost} of ${STREAMS})`);
}));
