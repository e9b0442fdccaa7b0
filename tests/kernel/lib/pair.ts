// A router pair in a lab: both agents (one per router namespace, each with its own IPVS table) on
// the same lvs.cf and heartbeat key, driven as an administrator or a failure would: their sockets,
// SIGKILL, a crash (the agent dies and the machine drops off the network), a reboot, and a cut of
// the heartbeat path by an nftables rule.
import { randomBytes } from 'node:crypto';
import type { HaStatus } from '../../../agent/protocol/index.ts';
import type { Lab } from '../../../testing/lab.ts';
import { waitFor } from '../../../testing/wait.ts';
import { RouterAgent } from './agent.ts';
import { parseIpVs } from './kernel-table.ts';
import { BACKUP, PRIMARY, ROUTERS, floatingOf, type PairLayout } from './pair-topology.ts';

export type Router = (typeof ROUTERS)[number];

/** Failover under emulation: a transition (ip, arping, ipvsadm for each service) takes seconds. */
const ROLE_TIMEOUT_MS = 120_000;
/** The table of the nftables rule that cuts heartbeats (its own, so removing it touches nothing else). */
const CUT_TABLE = 'piranha_test_cut';

export class RouterPair {
  readonly agents = new Map<Router, RouterAgent>();
  readonly key = randomBytes(32).toString('hex');

  constructor(
    private readonly lab: Lab,
    readonly layout: PairLayout,
    /** lvs.cf for both routers. */
    public config: string,
    private readonly heartbeatPort: number,
  ) {}

  /** Starts both agents side by side (each takes tens of seconds under emulation). */
  async start(): Promise<void> {
    await Promise.all(ROUTERS.map((r) => this.startAgent(r)));
  }

  async startAgent(r: Router): Promise<void> {
    this.agents.set(r, await RouterAgent.start(this.lab, r, this.config, { heartbeatKey: this.key }));
  }

  agent(r: Router): RouterAgent {
    const a = this.agents.get(r);
    if (!a) throw new Error(`the agent of ${r} is not running`);
    return a;
  }

  async ha(r: Router): Promise<HaStatus> {
    const s = await this.agent(r).client.call('haStatus', {});
    if (!s) throw new Error(`${r}'s agent reports no redundancy status`);
    return s;
  }

  /** Waits until `r` is active, serving (its kernel table has every service) and its partner standby or gone. */
  async waitActive(r: Router, services: number, why: string): Promise<void> {
    await waitFor(async () => (await this.ha(r)).state === 'active', { timeoutMs: ROLE_TIMEOUT_MS, message: `${r} to be active (${why})` });
    await waitFor(async () => parseIpVs(await this.lab.procNet(r, 'ip_vs')).size === services, {
      timeoutMs: ROLE_TIMEOUT_MS,
      message: `${r}'s kernel table to hold ${services} service(s) (${why})`,
    });
  }

  /** Waits until `r`'s agent is standby and has emptied its kernel table. */
  async waitStandby(r: Router, why: string): Promise<void> {
    await waitFor(async () => (await this.ha(r)).state === 'standby', { timeoutMs: ROLE_TIMEOUT_MS, message: `${r} to be standby (${why})` });
    await waitFor(async () => parseIpVs(await this.lab.procNet(r, 'ip_vs')).size === 0, { timeoutMs: ROLE_TIMEOUT_MS, message: `${r}'s kernel table to be empty (${why})` });
  }

  /**
   * Waits until the pair has settled: one router active with its table programmed, hearing its
   * partner standby; the other standby with an empty table, hearing it active. Under emulation a
   * starved agent can miss a deadtime and both briefly activate; this lets the pair resolve that
   * before a trial starts. Returns the active router.
   */
  async settled(why: string): Promise<Router> {
    return waitFor(
      async () => {
        const [a, b] = await Promise.all(ROUTERS.map((r) => this.ha(r)));
        const pairOk = (act: HaStatus, sb: HaStatus) => act.state === 'active' && act.partner?.state === 'standby' && sb.state === 'standby' && sb.partner?.state === 'active';
        const active = pairOk(a!, b!) ? ROUTERS[0] : pairOk(b!, a!) ? ROUTERS[1] : null;
        if (!active) return null;
        const tables = await Promise.all(ROUTERS.map(async (r) => parseIpVs(await this.lab.procNet(r, 'ip_vs')).size));
        return tables[ROUTERS.indexOf(active)]! > 0 && tables[ROUTERS.indexOf(partnerOf(active))] === 0 ? active : null;
      },
      { timeoutMs: ROLE_TIMEOUT_MS, message: `the pair to settle, one router active and one standby (${why})` },
    );
  }

  /** SIGKILL: the agent dies at once. Its namespace keeps what it had set up (VIPs, IPVS table). */
  async kill(r: Router): Promise<void> {
    this.lab.log(`[${r}] SIGKILL the agent`);
    await this.agent(r).kill();
    this.agents.delete(r);
  }

  /** The machine drops off the network as a crashed router does: its interfaces go down. */
  unplug(r: Router): void {
    this.lab.ip(r, this.devices().map((d) => `link set ${d} down`));
  }

  /**
   * The crashed router boots again: no floating address, an empty IPVS table (a booted kernel
   * has neither), its interfaces up, its agent started.
   */
  async reboot(r: Router): Promise<void> {
    const floating = floatingOf(this.layout).map((f) => f.address);
    const held = this.lab.sh(r, ['ip', '-o', '-4', 'addr', 'show']);
    const deletes = floating.flatMap((a) => {
      const dev = new RegExp(`^\\d+: (\\S+)\\s+inet ${a.replaceAll('.', '\\.')}/(\\d+)`, 'm').exec(held);
      return dev ? [`addr del ${a}/${dev[2]} dev ${dev[1]}`] : [];
    });
    this.lab.ip(r, deletes);
    this.lab.sh(r, ['ipvsadm', '-C']);
    for (const role of ['master', 'backup']) this.lab.sh(r, ['ipvsadm', '--stop-daemon', role], { allowFail: true });
    this.lab.ip(r, this.devices().map((d) => `link set ${d} up`));
    await this.startAgent(r);
  }

  /** Drops heartbeats to and from `r` (both directions) with an nftables rule in its namespace. */
  cutHeartbeats(r: Router): void {
    this.lab.nft(r, [
      `table inet ${CUT_TABLE} {`,
      `  chain in { type filter hook input priority -10; udp dport ${this.heartbeatPort} drop; }`,
      `  chain out { type filter hook output priority -10; udp dport ${this.heartbeatPort} drop; }`,
      '}',
    ].join('\n'));
  }

  healHeartbeats(r: Router): void {
    this.lab.nft(r, `delete table inet ${CUT_TABLE}\n`);
  }

  /** Gives both routers a new lvs.cf and has each agent reload it. */
  async reconfigure(config: string): Promise<void> {
    this.config = config;
    for (const a of this.agents.values()) {
      await a.writeConfig(config);
      await a.client.call('reload', {});
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    this.agents.clear();
  }

  private devices(): string[] {
    return this.layout.network === 'nat' ? ['eth0', 'eth1'] : ['eth0'];
  }
}

export function partnerOf(r: Router): Router {
  return r === PRIMARY ? BACKUP : PRIMARY;
}
