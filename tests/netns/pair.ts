// A router pair on a Bench: writes each router's root (lvs.cf, optional shared key), starts the
// HA driver in each router namespace, talks to it over its control socket, and can "kill" a router
// the way a crash does (SIGKILL and its link down: the machine vanishes with its VIPs).
import { connect } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { HaStatus } from '../../agent/ha/index.ts';
import { Bench, waitFor } from './harness.ts';

export const PROBE_PORT = 8099;
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

  async start(r: Router): Promise<void> {
    let ready!: () => void;
    const isReady = new Promise<void>((res) => (ready = res));
    const child = this.bench.start(
      r,
      [process.execPath, '--import', 'tsx', 'tests/netns/ha-driver.ts', '--root', this.root(r), '--node', NODE_OF[r], '--control', this.socket(r), '--probe-port', String(PROBE_PORT)],
      (line) => {
        this.logs.push(`[${r}] ${line}`);
        if (line.endsWith(' ready')) ready();
      },
    );
    this.procs.set(r, child);
    const exited = new Promise<never>((_, rej) => child.once('exit', (code) => rej(new Error(`${r} driver exited with ${code}:\n${this.tail()}`))));
    await Promise.race([isReady, exited]);
  }

  async status(r: Router): Promise<HaStatus> {
    return (await this.request(r, { cmd: 'status' })) as HaStatus;
  }

  request(r: Router, body: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const s = connect(this.socket(r));
      let buf = '';
      s.setEncoding('utf8');
      s.on('connect', () => s.write(`${JSON.stringify(body)}\n`));
      s.on('data', (d: string) => (buf += d));
      s.on('error', reject);
      s.on('end', () => {
        try {
          resolve(JSON.parse(buf));
        } catch (err) {
          reject(err);
        }
      });
    });
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

  /** Waits until `active` serves and `standby` knows it (it has seen the partner's heartbeat as active). */
  async settled(active: Router, standby: Router, ms = 15_000): Promise<void> {
    await waitFor(`${active} active and ${standby} standby`, ms, async () => {
      const [a, s] = await Promise.all([this.status(active), this.status(standby)]);
      return a.state === 'active' && s.state === 'standby' && s.partner?.state === 'active' && a.partner?.state === 'standby';
    });
  }

  tail(n = 40): string {
    return this.logs.slice(-n).join('\n');
  }
}
