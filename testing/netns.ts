// Network-namespace test bench for the redundancy tests: a "switch" namespace holding a bridge,
// and one namespace per machine (two routers, a client, two real servers, an attacker), each
// joined to the bridge by a veth pair created directly inside the namespaces, so the host's own
// interfaces and addresses are never touched. Addresses come from 10.99.<net>.0/24, used only
// inside these namespaces. Everything is removed by destroy(), which tests call from after().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { lvsCf } from './lvs-cf.ts';
import { REPO_ROOT } from './paths.ts';
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
  private readonly created: string[] = [];
  private readonly children = new Set<ChildProcess>();

  /** `net` picks 10.99.<net>.0/24, so test files running side by side use distinct ranges and names. */
  constructor(readonly net: number) {
    this.prefix = `phat${net}p${process.pid % 10000}`;
    this.dir = mkdtempSync(join(tmpdir(), `piranha-netns-${net}-`));
  }

  ns(m: Machine | 'sw'): string {
    return `${this.prefix}-${m}`;
  }

  ip(m: Machine): string {
    return `10.99.${this.net}.${HOST_NUMBER[m]}`;
  }

  get vip(): string {
    return `10.99.${this.net}.100`;
  }

  /** Builds the switch and every machine; each machine's interface is `eth0`. */
  setup(machines: Machine[]): void {
    this.addNs('sw');
    this.sh('sw', ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    this.sh('sw', ['ip', 'link', 'set', 'br0', 'up']);
    for (const m of machines) {
      this.addNs(m);
      const port = `p-${m}`;
      // Created inside the switch namespace with its peer placed straight into the machine's.
      this.sh('sw', ['ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns(m)]);
      this.sh('sw', ['ip', 'link', 'set', port, 'master', 'br0']);
      this.sh('sw', ['ip', 'link', 'set', port, 'up']);
      this.sh(m, ['ip', 'link', 'set', 'lo', 'up']);
      this.sh(m, ['ip', 'addr', 'add', `${this.ip(m)}/24`, 'dev', 'eth0']);
      this.sh(m, ['ip', 'link', 'set', 'eth0', 'up']);
    }
  }

  /** Runs a command in a namespace and returns its stdout; throws with stderr on failure. */
  sh(m: Machine | 'sw', argv: string[], opts: { allowFail?: boolean; input?: string } = {}): string {
    const r = spawnSync('ip', ['netns', 'exec', this.ns(m), ...argv], { encoding: 'utf8', input: opts.input, timeout: 60_000 });
    if (!opts.allowFail && (r.error || r.status !== 0)) {
      throw new Error(`[${m}] ${argv.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
    }
    return r.stdout;
  }

  /** Loads an nftables ruleset (one atomic transaction) into a namespace. */
  nft(m: Machine, ruleset: string): void {
    this.sh(m, ['nft', '-f', '-'], { input: ruleset });
  }

  mac(m: Machine): string {
    const out = this.sh(m, ['ip', '-o', 'link', 'show', 'eth0']);
    const hit = /link\/ether ([0-9a-f:]{17})/.exec(out);
    if (!hit) throw new Error(`no MAC for ${m}: ${out}`);
    return hit[1];
  }

  /** The MAC the client's neighbour table holds for an address, null when none. */
  neighbourMac(m: Machine, address: string): string | null {
    const out = this.sh(m, ['ip', 'neigh', 'show', address, 'dev', 'eth0']);
    return /lladdr ([0-9a-f:]{17})/.exec(out)?.[1] ?? null;
  }

  hasAddress(m: Machine, address: string): boolean {
    return this.sh(m, ['ip', '-o', 'addr', 'show', 'dev', 'eth0']).includes(` ${address}/`);
  }

  /** Starts a long-running program in a namespace; its lines go to `onLine`, it is killed in destroy(). */
  start(m: Machine, argv: string[], onLine: (line: string, stream: 'out' | 'err') => void): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(m), ...argv], { stdio: ['pipe', 'pipe', 'pipe'], cwd: REPO_ROOT });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    createInterface({ input: child.stdout! }).on('line', (l) => onLine(l, 'out'));
    createInterface({ input: child.stderr! }).on('line', (l) => onLine(l, 'err'));
    return child;
  }

  destroy(): void {
    for (const c of this.children) c.kill('SIGKILL');
    for (const n of this.created.reverse()) spawnSync('ip', ['netns', 'del', n]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private addNs(m: Machine | 'sw'): void {
    const name = this.ns(m);
    spawnSync('ip', ['netns', 'del', name]); // a leftover of a crashed run with the same pid
    const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr.trim()}`);
    this.created.push(name);
  }
}

/** The lvs.cf of the test pair: one virtual server on the VIP with two real servers. */
export function pairConfig(b: Bench, o: { serial?: number; keepalive: number; deadtime: number; port?: number; extra?: string }): string {
  const text = lvsCf({
    serial: o.serial ?? 1,
    primary: b.ip('r1'),
    backup: b.ip('r2'),
    heartbeatPort: o.port ?? 539,
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
