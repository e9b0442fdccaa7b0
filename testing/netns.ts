// Network-namespace test bench for the redundancy tests: a lab (lab.ts) with one LAN and one
// machine per role (two routers, a client, two real servers, an attacker), each with `eth0` on the
// LAN. Addresses come from 10.99.<net>.0/24, used only inside these namespaces. Everything is
// removed by destroy(), which tests call from after().
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lvsCf } from './lvs-cf.ts';
import { Lab } from './lab.ts';
import { missingRoot, missingTool } from './requirements.ts';


/** null when namespaces can be used, else the reason the tests are skipped. */
export function netnsUnavailable(): string | null {
  const missing = missingRoot('creating network namespaces, veths and nftables rules') ?? missingTool('ip') ?? missingTool('nft') ?? missingTool('arping');
  if (missing) return missing;
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `missing privilege: ip netns does not work here: ${r.error?.message ?? r.stderr.trim()}`;
  return null;
}

export type Machine = 'r1' | 'r2' | 'client' | 'rs1' | 'rs2' | 'attacker';
const HOST_NUMBER: Record<Machine, number> = { r1: 11, r2: 12, client: 50, rs1: 21, rs2: 22, attacker: 66 };

export class Bench {
  readonly prefix: string;
  readonly dir: string;
  private readonly lab: Lab;

  /** `net` picks 10.99.<net>.0/24, so test files running side by side use distinct ranges and names. */
  constructor(readonly net: number) {
    this.prefix = `phat${net}p${process.pid % 10000}`;
    this.lab = new Lab(this.prefix);
    this.dir = mkdtempSync(join(tmpdir(), `piranha-netns-${net}-`));
  }

  ns(m: Machine | 'sw'): string {
    return this.lab.ns(m);
  }

  ip(m: Machine): string {
    return `10.99.${this.net}.${HOST_NUMBER[m]}`;
  }

  get vip(): string {
    return `10.99.${this.net}.100`;
  }

  /** Builds the switch and every machine; each machine's interface is `eth0`, on one LAN. */
  setup(machines: Machine[]): void {
    this.lab.lans(['lan']);
    for (const m of machines) this.lab.machine(m, [{ lan: 'lan', dev: 'eth0', addresses: [`${this.ip(m)}/24`] }]);
  }

  /** Runs a command in a namespace and returns its stdout; throws with stderr on failure. */
  sh(m: Machine | 'sw', argv: string[], opts: { allowFail?: boolean; input?: string } = {}): string {
    return this.lab.sh(m, argv, opts);
  }

  /** Loads an nftables ruleset (one atomic transaction) into a namespace. */
  nft(m: Machine, ruleset: string): void {
    this.lab.nft(m, ruleset);
  }

  mac(m: Machine): string {
    return this.lab.mac(m);
  }

  /** The MAC the client's neighbour table holds for an address, null when none. */
  neighbourMac(m: Machine, address: string): string | null {
    return this.lab.neighbour(m, address);
  }

  hasAddress(m: Machine, address: string): boolean {
    return this.sh(m, ['ip', '-o', 'addr', 'show', 'dev', 'eth0']).includes(` ${address}/`);
  }

  /** Starts a long-running program in a namespace; its lines go to `onLine`, it is killed in destroy(). */
  start(m: Machine, argv: string[], onLine: (line: string, stream: 'out' | 'err') => void): ChildProcess {
    return this.lab.start(m, argv, { onLine });
  }

  destroy(): void {
    this.lab.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The pair's heartbeat port (lvs.cf heartbeat_port); the configuration sync uses the next one. */
export const HEARTBEAT_PORT = 539;

/** The lvs.cf of the test pair: one virtual server on the VIP with two real servers. */
export function pairConfig(b: Bench, o: { serial?: number; keepalive: number; deadtime: number; extra?: string }): string {
  const text = lvsCf({
    serial: o.serial ?? 1,
    primary: b.ip('r1'),
    backup: b.ip('r2'),
    heartbeatPort: HEARTBEAT_PORT,
    keepalive: o.keepalive,
    deadtime: o.deadtime,
    monitorLinks: true,
    virtuals: [
      {
        name: 'web',
        vip: b.vip,
        device: 'eth0:1',
        port: 80,
        send: 'GET / HTTP/1.0\\r\\n\\r\\n',
        expect: 'HTTP',
        scheduler: 'wlc',
        timeout: 6,
        reentry: 15,
        servers: [
          { name: 'rs1', address: b.ip('rs1') },
          { name: 'rs2', address: b.ip('rs2') },
        ],
      },
    ],
  });
  return text + (o.extra ?? '');
}
