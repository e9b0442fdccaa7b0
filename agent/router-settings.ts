// The kernel settings a router running the ipvs dataplane relies on, which the agent sets when it
// starts (and again after a reload that changes what is wanted), reads back, and reports: name,
// wanted value, actual value, and why they differ. Written through /proc/sys (never a shell, never
// sysctl(8)); a setting that cannot be set (the file is missing because a module is not loaded, or
// /proc/sys is read-only as in a container) is a problem the console shows, not a reason to stop.
//
//   net.ipv4.ip_forward = 1                      NAT: replies of the real servers are forwarded
//   net.ipv4.vs.expire_nodest_conn = 1           a real server removed from a service: its
//                                                connections are dropped at once, so clients
//                                                reconnect instead of sending into the void
//   net.ipv4.vs.expire_quiescent_template = 1    quiesce_server: persistence templates to a server
//                                                at weight 0 expire, so persistent clients move
//   net.ipv4.vs.conntrack = 1                    the router's nftables ruleset has a nat chain:
//                                                IPVS connections must be in conntrack for it
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LvsConfig } from '../lvs-cf/model.ts';
import type { Problem } from './service-plan.ts';
import { toolRunner, type Runner } from './run-program.ts';

export interface WantedSetting {
  /** Dotted, as sysctl(8) names it. */
  name: string;
  wanted: string;
  /** Why the agent sets it (shown on CONTROL). */
  reason: string;
}

export interface SettingState extends WantedSetting {
  /** The value read back, null when it cannot be read. */
  actual: string | null;
  /** Why actual is not wanted (missing, refused), else null. */
  error: string | null;
}

/** What a configuration needs of the kernel. `natRules`: the router's nftables ruleset has a nat chain. */
export function wantedSettings(model: LvsConfig | null, natRules: boolean): WantedSetting[] {
  const out: WantedSetting[] = [];
  if (model?.network === 'nat') out.push({ name: 'net.ipv4.ip_forward', wanted: '1', reason: 'NAT: the real servers reply through this router' });
  out.push({ name: 'net.ipv4.vs.expire_nodest_conn', wanted: '1', reason: "connections to a real server taken out of the table are dropped at once, so clients reconnect" });
  if (model?.virtuals.some((v) => v.active && v.quiesce_server)) {
    out.push({ name: 'net.ipv4.vs.expire_quiescent_template', wanted: '1', reason: 'quiesce_server: persistent clients of a server at weight 0 move to another' });
  }
  if (natRules) out.push({ name: 'net.ipv4.vs.conntrack', wanted: '1', reason: "the router's nftables rules have a nat chain: IPVS connections must be tracked for it" });
  return out;
}

/** Whether the nftables ruleset of this router (its network namespace) has a chain of type nat. */
export async function hasNatChain(run: Runner): Promise<boolean> {
  for (const nft of ['/usr/sbin/nft', '/sbin/nft']) {
    const r = await run(nft, ['-j', 'list', 'chains']);
    if (r.code !== 0) continue;
    try {
      const items = (JSON.parse(r.stdout) as { nftables?: { chain?: { type?: string } }[] }).nftables ?? [];
      return items.some((i) => i.chain?.type === 'nat');
    } catch {
      return false;
    }
  }
  return false;
}

const NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;

function why(err: unknown, name: string, path: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    const module = name.startsWith('net.ipv4.vs.') ? 'the ip_vs module is not loaded' : 'this kernel does not have it';
    return `${path} does not exist (${module})`;
  }
  if (code === 'EROFS') return `the kernel refused to set it: ${path} is on a read-only file system`;
  if (code === 'EACCES' || code === 'EPERM') return `the kernel refused to set it: permission denied on ${path}`;
  return `the kernel refused to set it: ${(err as Error).message}`;
}

/** The managed settings: applied with apply(), read back with report(). */
export class RouterSettings {
  private wanted: WantedSetting[] = [];
  /** The error of the last write, by name (a read-back error is found at each report). */
  private readonly writeErrors = new Map<string, string>();

  constructor(
    private readonly log: (message: string) => void,
    /** /proc/sys; tests of the error paths give a folder of their own. */
    private readonly root = '/proc/sys',
  ) {}

  private path(name: string): string {
    if (!NAME.test(name)) throw new Error(`not a sysctl name: ${name}`);
    return join(this.root, ...name.split('.'));
  }

  /** Sets what `model` needs (at start, and after each reload: a reload may change what is wanted). */
  async configure(model: LvsConfig | null, run: Runner = toolRunner): Promise<void> {
    await this.apply(wantedSettings(model, await hasNatChain(run)));
  }

  /** Sets each wanted value that is not in force yet; logs what it set and what it could not. */
  async apply(wanted: WantedSetting[]): Promise<void> {
    this.wanted = wanted;
    this.writeErrors.clear();
    for (const s of wanted) {
      const path = this.path(s.name);
      const before = await readFile(path, 'utf8').then((t) => t.trim(), () => null);
      if (before === s.wanted) continue;
      try {
        await writeFile(path, `${s.wanted}\n`);
        this.log(`set ${s.name} = ${s.wanted} (was ${before ?? 'unreadable'}): ${s.reason}`);
      } catch (err) {
        const message = why(err, s.name, path);
        this.writeErrors.set(s.name, message);
        this.log(`cannot set ${s.name} = ${s.wanted}: ${message}`);
      }
    }
  }

  /** Each managed setting with the value read now. */
  async report(): Promise<SettingState[]> {
    const out: SettingState[] = [];
    for (const s of this.wanted) {
      const path = this.path(s.name);
      let actual: string | null = null;
      let error: string | null = null;
      try {
        actual = (await readFile(path, 'utf8')).trim();
      } catch (err) {
        error = why(err, s.name, path).replace('the kernel refused to set it: ', 'cannot read it: ');
      }
      if (actual !== null && actual !== s.wanted) error = this.writeErrors.get(s.name) ?? `it is ${actual}: changed outside Piranha`;
      out.push({ ...s, actual, error });
    }
    return out;
  }

  /** The settings not in force, for status.problems. */
  async problems(): Promise<Problem[]> {
    return (await this.report()).filter((s) => s.error !== null).map((s) => ({ service: 'router settings', message: `${s.name} should be ${s.wanted}: ${s.error}` }));
  }
}
