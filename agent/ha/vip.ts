// Taking over and giving up the floating addresses. pulse ran `ifconfig DEV VIP up` and 5 ×
// send_arp; iproute2 and iputils-arping are what a current router has. Every command is spawned
// with an argument array (values come from lvs.cf) and every failure is reported to the caller.
import { spawnRunner, type RunResult, type Runner } from '../run-program.ts';
import type { LvsConfig } from '../../lvs-cf/model.ts';
import { parseIPv4 } from '../../common/ipv4.ts';

export interface FloatingAddress {
  address: string;
  prefix: number;
  /** The kernel device (`eth0` of `eth0:1`). */
  device: string;
  /** The label pulse's ifconfig alias gave it (`eth0:1`), null when the device has no alias part. */
  label: string | null;
  /** What it is, for messages: a virtual server's name or "NAT router". */
  owner: string;
}

/** `255.255.255.0` → 24; null/absent → 32 (pulse brought VIPs up without a netmask). */
export function maskToPrefix(mask: string | null): number {
  if (mask === null || mask === '' || mask === '0.0.0.0') return 32;
  const bits = parseIPv4(mask);
  if (bits === null) throw new Error(`bad netmask ${mask}`);
  const prefix = 32 - Math.log2(2 ** 32 - bits);
  if (!Number.isInteger(prefix)) throw new Error(`netmask ${mask} is not contiguous`);
  return prefix;
}

/**
 * The addresses this router must hold while active: each unique active VIP with its device, and
 * for NAT the nat_router address (the real servers' gateway). Duplicates (several virtual servers
 * on one VIP, e.g. ports 80 and 443) are brought up once.
 */
export function floatingAddresses(config: LvsConfig): FloatingAddress[] {
  const out: FloatingAddress[] = [];
  const seen = new Set<string>();
  const add = (address: string, dev: string, mask: string | null, owner: string) => {
    if (seen.has(address)) return;
    seen.add(address);
    const [device] = dev.split(':');
    out.push({ address, prefix: maskToPrefix(mask), device, label: dev.includes(':') ? dev : null, owner });
  };
  const services = config.service === 'fos' ? config.failovers : config.virtuals;
  for (const v of services) {
    if (!v.active || !v.address || !v.device || v.address === '0.0.0.0') continue;
    add(v.address, v.device, v.vip_nmask, `virtual server ${v.name}`);
  }
  if (config.network === 'nat' && config.nat_router) {
    add(config.nat_router.address, config.nat_router.device, config.nat_nmask, 'NAT router');
  }
  return out;
}

export interface VipProblem {
  address: string;
  command: string;
  message: string;
}

export interface VipOptions {
  run?: Runner;
  ip?: string;
  arping?: string;
  /** Gratuitous ARPs per address. */
  arpCount?: number;
  log?: (msg: string) => void;
}

export class VipManager {
  private readonly run: Runner;
  private readonly ip: string;
  private readonly arping: string;
  private readonly arpCount: number;
  private readonly log: (msg: string) => void;
  /** Addresses this manager added and has not removed yet, so deactivate removes exactly those. */
  private held: FloatingAddress[] = [];

  constructor(opts: VipOptions = {}) {
    this.run = opts.run ?? spawnRunner;
    this.ip = opts.ip ?? 'ip';
    this.arping = opts.arping ?? 'arping';
    this.arpCount = opts.arpCount ?? 3;
    this.log = opts.log ?? (() => {});
  }

  holding(): FloatingAddress[] {
    return [...this.held];
  }

  /**
   * Adds every address, then announces them. The announcement (arping sends one ARP a second)
   * is not awaited for the addresses to be usable, but its failures are collected: `announced`
   * resolves with them.
   */
  async activate(addrs: FloatingAddress[]): Promise<{ problems: VipProblem[]; announced: Promise<VipProblem[]> }> {
    const problems: VipProblem[] = [];
    const up: FloatingAddress[] = [];
    for (const a of addrs) {
      const args = ['addr', 'add', `${a.address}/${a.prefix}`, 'dev', a.device, ...(a.label ? ['label', a.label] : [])];
      const r = await this.run(this.ip, args);
      // "File exists": already there (a restart while active) — ours to hold, not a failure.
      if (ok(r) || /File exists/.test(r.stderr)) {
        up.push(a);
        if (!this.held.some((h) => h.address === a.address)) this.held.push(a);
      } else {
        problems.push(problem(a, this.ip, args, r));
      }
    }
    return { problems, announced: this.announce(up) };
  }

  /**
   * Gratuitous ARP for each address, so neighbours switch their caches to this router's MAC. One
   * ARP per arping run (each takes about a second), asking before each whether the address is
   * still held: a router that gives the address up mid-announcement (both routers were active
   * and it is the backup) must not send one more ARP for it after the partner's, or neighbours
   * would go on sending to a router without the address.
   */
  announce(addrs: FloatingAddress[] = this.held): Promise<VipProblem[]> {
    return Promise.all(
      addrs.map(async (a) => {
        for (let i = 0; i < this.arpCount && this.held.some((h) => h.address === a.address); i++) {
          const args = ['-U', '-c', '1', '-I', a.device, a.address];
          const r = await this.run(this.arping, args);
          if (!ok(r)) return problem(a, this.arping, args, r);
        }
        return null;
      }),
    ).then((list) => {
      const problems = list.filter((p): p is VipProblem => p !== null);
      for (const p of problems) this.log(`gratuitous ARP for ${p.address} failed: ${p.message}`);
      return problems;
    });
  }

  /** Removes the given addresses (default: all held). Already gone counts as removed. */
  async deactivate(addrs: FloatingAddress[] = this.held): Promise<VipProblem[]> {
    const problems: VipProblem[] = [];
    for (const a of [...addrs]) {
      const args = ['addr', 'del', `${a.address}/${a.prefix}`, 'dev', a.device];
      const r = await this.run(this.ip, args);
      if (ok(r) || /Cannot assign requested address/.test(r.stderr)) {
        this.held = this.held.filter((h) => h.address !== a.address);
      } else {
        problems.push(problem(a, this.ip, args, r));
      }
    }
    return problems;
  }
}

/**
 * `active_cmd` / `inactive_cmd`: split on spaces and executed directly, as pulse's execv did; the
 * program must be an absolute path. pulse did not wait for it; neither do we, but its exit status
 * is logged so a failing script is visible.
 */
export function runTransitionCommand(
  what: 'active_cmd' | 'inactive_cmd',
  command: string | null,
  run: Runner,
  log: (msg: string) => void,
): Promise<VipProblem | null> {
  if (!command || !command.trim()) return Promise.resolve(null);
  const [file, ...args] = command.trim().split(/\s+/);
  if (!file.startsWith('/')) {
    const p = { address: '', command: command, message: `${what} must start with an absolute path, got "${file}"` };
    log(p.message);
    return Promise.resolve(p);
  }
  return run(file, args).then((r) => {
    if (ok(r)) return null;
    const p = { address: '', command, message: `${what} failed: ${describe(r)}` };
    log(p.message);
    return p;
  });
}

function ok(r: RunResult): boolean {
  return r.error === undefined && r.code === 0;
}

function describe(r: RunResult): string {
  if (r.error) return r.error;
  const err = r.stderr.trim() || r.stdout.trim();
  return `exit ${r.code}${err ? `: ${err}` : ''}`;
}

function problem(a: FloatingAddress, file: string, args: string[], r: RunResult): VipProblem {
  return { address: a.address, command: [file, ...args].join(' '), message: `${a.owner} ${a.address}: ${describe(r)}` };
}
