// A network lab of namespaces for tests that need real routing, ARP, IPVS or nftables: a
// "switch" namespace with one bridge per LAN, and one namespace per machine (routers, clients,
// real servers) joined to LANs by veth pairs created directly inside the namespaces, so the
// machine's own interfaces and addresses are never touched. Used by the redundancy bench
// (netns.ts) and by the kernel suite inside its guest (tests/kernel/).
//
// Every command and every line the lab's programs print is kept in a log; a test or hook wrapped
// in lab.explain() shows the log's last lines after its own message when it fails, so a failure
// far from the terminal (in a VM) explains itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './paths.ts';
import { waitFor } from './wait.ts';

const LOG_LINES = 400;
const TAIL_LINES = 60;

export interface Link {
  lan: string;
  /** Interface name inside the machine. */
  dev: string;
  /** Addresses with their prefix, e.g. 192.0.2.11/24. */
  addresses: string[];
}

export class Lab {
  private readonly created: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly anchors = new Map<string, ChildProcess>();
  private readonly lines: string[] = [];
  private portCount = 0;

  /** `name` prefixes the lab's namespaces (`NAME-MACHINE`): labs running side by side need different names. */
  constructor(readonly name: string) {}

  /** The namespace of a machine (or of the switch, 'sw'). */
  ns(machine: string): string {
    return `${this.name}-${machine}`;
  }

  log(line: string): void {
    this.lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (this.lines.length > LOG_LINES) this.lines.splice(0, this.lines.length - LOG_LINES);
  }

  tail(n = TAIL_LINES): string {
    return this.lines.slice(-n).join('\n');
  }

  /**
   * Wraps a test or hook so that its failure message ends with the last lines of this lab's log:
   * `test('…', lab.explain(async (t) => …))`, `before(lab.explain(…))`.
   */
  explain<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      try {
        await fn(...args);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        e.message = `${e.message}\n--- last lines of the ${this.name} lab's log ---\n${this.tail()}`;
        throw e;
      }
    };
  }

  /** Creates the switch with one bridge per LAN. */
  lans(names: string[]): void {
    this.addNs('sw');
    this.ip('sw', names.flatMap((lan) => [`link add br-${lan} type bridge`, `link set br-${lan} up`]));
  }

  /** Creates a machine's namespace, its interfaces on the LANs and their addresses; lo is up. */
  machine(name: string, links: Link[], extra: string[] = []): void {
    this.addNs(name);
    const sw: string[] = [];
    const inside = ['link set lo up'];
    for (const l of links) {
      const port = `p${++this.portCount}`;
      // Created in the switch with its peer placed straight into the machine: the guest's own
      // namespace never holds an interface of the lab.
      sw.push(`link add ${port} type veth peer name ${l.dev} netns ${this.ns(name)}`, `link set ${port} master br-${l.lan}`, `link set ${port} up`);
      for (const a of l.addresses) inside.push(`addr add ${a} dev ${l.dev}`);
      inside.push(`link set ${l.dev} up`);
    }
    this.ip('sw', sw);
    this.ip(name, [...inside, ...extra]);
  }

  /** Runs `ip` commands in a namespace, all in one process (`ip -batch`). */
  ip(machine: string, commands: string[]): void {
    if (commands.length === 0) return;
    this.run(['ip', '-n', this.ns(machine), '-batch', '-'], commands.join('\n') + '\n', `[${machine}] ip ${commands.join('; ')}`);
  }

  /** Sets sysctls in a namespace (`key=value` words, one process). */
  sysctl(machine: string, settings: string[]): void {
    this.sh(machine, ['sysctl', '-q', '-w', ...settings]);
  }

  /** Runs a command in a namespace and returns its stdout; throws with its stderr when it fails. */
  sh(machine: string, argv: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
    return this.run(['ip', 'netns', 'exec', this.ns(machine), ...argv], opts.input, `[${machine}] ${argv.join(' ')}`, opts.allowFail);
  }

  /** Loads an nftables ruleset (one transaction) into a namespace. */
  nft(machine: string, ruleset: string): void {
    this.sh(machine, ['nft', '-f', '-'], { input: ruleset });
  }

  /** The MAC address of a machine's interface. */
  mac(machine: string, dev = 'eth0'): string {
    const out = this.run(['ip', '-n', this.ns(machine), '-o', 'link', 'show', 'dev', dev], undefined, `[${machine}] ip link show ${dev}`);
    const hit = /link\/ether ([0-9a-f:]{17})/.exec(out);
    if (!hit) throw new Error(`${machine} ${dev} has no MAC address: ${out}`);
    return hit[1]!;
  }

  /** The MAC address a machine's neighbour table holds for an address, null when none. */
  neighbour(machine: string, address: string, dev = 'eth0'): string | null {
    const out = this.run(['ip', '-n', this.ns(machine), 'neigh', 'show', address, 'dev', dev], undefined, `[${machine}] ip neigh show ${address}`);
    return /lladdr ([0-9a-f:]{17})/.exec(out)?.[1] ?? null;
  }

  /**
   * Starts a program in a namespace; it is killed by destroy(). Its lines go to `onLine` and to the
   * log (stdout only unless `quietStdout`: a client's thousand answers would drown the rest).
   */
  start(machine: string, argv: string[], opts: { onLine?: (line: string, stream: 'out' | 'err') => void; quietStdout?: boolean } = {}): ChildProcess {
    const { onLine, quietStdout = false } = opts;
    this.log(`[${machine}] start ${argv.join(' ')}`);
    const child = spawn('ip', ['netns', 'exec', this.ns(machine), ...argv], { stdio: ['pipe', 'pipe', 'pipe'], cwd: REPO_ROOT });
    this.children.add(child);
    const label = `${machine} ${argv[0]!.split('/').pop()}`;
    child.on('exit', (code, signal) => {
      this.children.delete(child);
      this.log(`[${label}] exited (${signal ?? code})`);
    });
    child.stdin!.on('error', () => {});
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (!quietStdout) this.log(`[${label}] ${l}`);
      onLine?.(l, 'out');
    });
    createInterface({ input: child.stderr! }).on('line', (l) => {
      this.log(`[${label}] ${l}`);
      onLine?.(l, 'err');
    });
    return child;
  }

  /**
   * Reads a file of the namespace's /proc/net (e.g. `ip_vs`, `ip_vs_stats`) without spawning a
   * process: through /proc/PID/net of a `sleep` parked in the namespace.
   */
  async procNet(machine: string, file: string): Promise<string> {
    let anchor = this.anchors.get(machine);
    if (!anchor) {
      anchor = spawn('ip', ['netns', 'exec', this.ns(machine), 'sleep', 'infinity'], { stdio: 'ignore' });
      this.children.add(anchor);
      this.anchors.set(machine, anchor);
      const own = readlinkSync('/proc/self/ns/net');
      // `ip netns exec` enters the namespace, then execs sleep in the same process.
      await waitFor(() => readlinkSync(`/proc/${anchor!.pid}/ns/net`) !== own, { message: `a process in ${machine}'s namespace` });
    }
    return readFileSync(`/proc/${anchor.pid}/net/${file}`, 'utf8');
  }

  /** Kills every program, removes every namespace (and with them their IPVS tables, routes and rules). */
  destroy(): void {
    for (const c of this.children) c.kill('SIGKILL');
    for (const n of this.created.reverse()) spawnSync('ip', ['netns', 'del', n]);
    this.created.length = 0;
  }

  private addNs(machine: string): void {
    const name = this.ns(machine);
    spawnSync('ip', ['netns', 'del', name]); // a leftover of an earlier run in the same boot
    this.run(['ip', 'netns', 'add', name], undefined, `ip netns add ${name}`);
    this.created.push(name);
  }

  private run(argv: string[], input: string | undefined, what: string, allowFail = false): string {
    this.log(what);
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, timeout: 120_000 });
    if (!allowFail && (r.error || r.status !== 0)) {
      const why = r.error?.message ?? (r.stderr.trim() || `exit code ${r.status}`);
      this.log(`  failed: ${why}`);
      throw new Error(`${what} failed: ${why}`);
    }
    return r.stdout;
  }
}
