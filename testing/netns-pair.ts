// A router pair on a Bench: writes each router's root (lvs.cf, optional shared key), runs the real
// agent (bin/piranha-agent.js, userspace dataplane) in each router namespace, talks to it over its
// control socket as the console does, runs the real servers in rs1/rs2, and can "kill" a router
// the way a crash does (SIGKILL and its link down: the machine vanishes with its VIPs).
import { after, before } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { AgentClient } from '../agent/client.ts';
import type { CheckersResult, HaStatus, Methods, ReloadResult, StatusResult } from '../agent/protocol/index.ts';
import { Bench, netnsUnavailable, pairConfig, type Machine } from './netns.ts';
import { waitFor } from './wait.ts';

/** The VIP's port (pairConfig's virtual server `web`) and the real servers' port. */
export const SERVICE_PORT = 80;
export type Router = 'r1' | 'r2';
export const NODE_OF: Record<Router, 'primary' | 'backup'> = { r1: 'primary', r2: 'backup' };

export class Pair {
  readonly logs: string[] = [];
  private readonly procs = new Map<Router, ChildProcess>();

  constructor(
    readonly bench: Bench,
    readonly key: string | null = randomBytes(32).toString('hex'),
  ) {}

  root(r: Router): string {
    return join(this.bench.dir, r);
  }

  socket(r: Router): string {
    return join(this.bench.dir, `${r}.sock`);
  }

  writeConfig(r: Router, text: string): void {
    mkdirSync(join(this.root(r), 'conf'), { recursive: true });
    writeFileSync(join(this.root(r), 'lvs.cf'), text);
    if (this.key) writeFileSync(join(this.root(r), 'conf/heartbeat.key'), `${this.key}\n`, { mode: 0o600 });
  }

  /** The router whose address the real server saw (`rs1 via 10.99.N.11` → r1), null for no answer. */
  routerOf(answer: string | null | undefined): Router | null {
    const via = / via (\S+)$/.exec(answer ?? '')?.[1];
    return via === this.bench.ip('r1') ? 'r1' : via === this.bench.ip('r2') ? 'r2' : null;
  }

  /** Starts the HTTP real servers in the rs namespaces (answering `NAME via ROUTER`). */
  async startRealServers(names: ('rs1' | 'rs2')[] = ['rs1', 'rs2']): Promise<void> {
    await Promise.all(
      names.map(
        (m) =>
          new Promise<void>((resolve, reject) => {
            const child = this.bench.start(m, [process.execPath, '--import', 'tsx', 'tests/netns/real-server.ts', m, this.bench.ip(m), String(SERVICE_PORT)], (line) => {
              if (line.startsWith('listening')) resolve();
              else this.logs.push(`[${m}] ${line}`);
            });
            child.once('exit', (code) => reject(new Error(`real server ${m} exited with ${code}:\n${this.tail()}`)));
          }),
      ),
    );
  }

  /** Both routers on the same lvs.cf, the real servers, then r1's agent and r2's, in that order. */
  async startAll(config: string): Promise<void> {
    for (const r of ['r1', 'r2'] as const) this.writeConfig(r, config);
    await this.startRealServers();
    await this.start('r1');
    await this.start('r2');
  }

  /**
   * The pair on `bench`: builds both routers, the client, the two real servers and any `extra`
   * machines, then starts everything on `config` (startAll).
   */
  static async started(bench: Bench, config: string, extra: Machine[] = []): Promise<Pair> {
    bench.setup(['r1', 'r2', 'client', 'rs1', 'rs2', ...extra]);
    const pair = new Pair(bench);
    await pair.startAll(config);
    return pair;
  }

  /** Starts the agent in the router's namespace and waits until its control socket answers. */
  async start(r: Router): Promise<void> {
    const child = this.bench.start(
      r,
      [process.execPath, 'bin/piranha-agent.js', '--root', this.root(r), '--socket', this.socket(r), '--node', NODE_OF[r], '--dataplane', 'userspace'],
      (line) => this.logs.push(`[${r}] ${line}`),
    );
    this.procs.set(r, child);
    let exited: string | null = null;
    child.once('exit', (code, signal) => (exited = `${r}'s agent exited (${code ?? signal})`));
    await waitFor(async () => {
      if (exited) throw new Error(`${exited}:\n${this.tail()}`);
      const c = await AgentClient.connect(this.socket(r), { timeoutMs: 1000 });
      c.close();
      return true;
    }, { timeoutMs: 60_000, message: `${r}'s agent to answer on its socket` });
  }

  call<M extends keyof Methods>(r: Router, method: M, params = {} as Methods[M]['params']): Promise<Methods[M]['result']> {
    return AgentClient.connect(this.socket(r), { timeoutMs: 10_000, clientName: 'netns-test' }).then(async (c) => {
      try {
        return await c.call(method, params);
      } finally {
        c.close();
      }
    });
  }

  /** The pair's status as the agent reports it (`haStatus`); throws when the agent runs standalone. */
  async status(r: Router): Promise<HaStatus> {
    const s = await this.call(r, 'haStatus');
    if (!s) throw new Error(`${r}'s agent runs standalone (haStatus is null)`);
    return s;
  }

  agentStatus(r: Router): Promise<StatusResult> {
    return this.call(r, 'status');
  }

  checkers(r: Router): Promise<CheckersResult> {
    return this.call(r, 'checkers');
  }

  /** What the console does after a save: tell the agent to re-read lvs.cf. */
  reload(r: Router): Promise<ReloadResult> {
    return this.call(r, 'reload');
  }

  /** A crash: the process dies at once and the machine drops off the network; its addresses go with it. */
  crash(r: Router): void {
    this.procs.get(r)?.kill('SIGKILL');
    this.procs.delete(r);
    this.bench.sh(r, ['ip', 'link', 'set', 'eth0', 'down']);
  }

  /** The crashed router comes back: a rebooted machine has no VIPs, its link is up, its agent starts. */
  async reboot(r: Router): Promise<void> {
    this.bench.sh(r, ['ip', 'addr', 'del', `${this.bench.vip}/32`, 'dev', 'eth0'], { allowFail: true });
    this.bench.sh(r, ['ip', 'link', 'set', 'eth0', 'up']);
    await this.start(r);
  }

  /**
   * Waits until `active` serves and `standby` knows it (it has seen the partner's heartbeat as
   * active), and the standby's checkers have judged every real server, so that it can serve the
   * moment it takes over. With `realServersUp`, every one of them must be up.
   */
  async settled(active: Router, standby: Router, ms = 20_000, realServersUp = true): Promise<void> {
    await waitFor(async () => {
      const [a, s] = await Promise.all([this.status(active), this.status(standby)]);
      if (!(a.state === 'active' && s.state === 'standby' && s.partner?.state === 'active' && a.partner?.state === 'standby')) return false;
      const { checkers } = await this.checkers(standby);
      return checkers.every((c) => (realServersUp ? c.state === 'up' : c.state !== 'pending'));
    }, { timeoutMs: ms, message: `${active} active and ${standby} standby` });
  }

  tail(n = 40): string {
    return this.logs.slice(-n).join('\n');
  }
}

/** The bench and pair of a file of pair tests (usePair): set before its tests, unless `skip` says why not. */
export interface FilePair {
  skip: string | null;
  bench: Bench;
  pair: Pair;
}

/**
 * For a file of pair tests, as useBrowser() is for a browser: where network namespaces can be
 * made, bench `net` and the pair started on pairConfig's file with this heartbeat timing (and any
 * `extra` machines) before the file's tests; the bench destroyed after them.
 */
export function usePair(net: number, timing: { keepalive: number; deadtime: number }, extra: Machine[] = []): FilePair {
  const file = { skip: netnsUnavailable() } as FilePair;
  before(async () => {
    if (file.skip) return;
    file.bench = new Bench(net);
    file.pair = await Pair.started(file.bench, pairConfig(file.bench, timing), extra);
  });
  after(() => file.bench?.destroy());
  return file;
}
