// What the kernel itself says, read from a namespace's /proc/net/ip_vs and /proc/net/ip_vs_stats
// (the kernel's own text, not ipvsadm's and not the agent's): the suite compares the agent's
// claims and the client's experience against this.
//   TCP  C6336401:0050 rr
//   FWM  0000000B dh
//   TCP  C6336406:0050 wlc persistent 300 FFFFFFF0
//     -> C000020B:0050      Masq    1      0          0
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../testing/wait.ts';
import type { Lab } from '../../../testing/lab.ts';

export interface KernelReal {
  address: string;
  port: number;
  forward: 'Masq' | 'Route' | 'Tunnel' | 'Local';
  weight: number;
  active: number;
  inactive: number;
}

export interface KernelService {
  /** `tcp|VIP|PORT`, `udp|VIP|PORT` or `fwm|MARK`, the agent's own spelling of a service. */
  key: string;
  scheduler: string;
  /** Persistence timeout in seconds, 0 without. */
  persistent: number;
  /** Persistence netmask, dotted. */
  mask: string | null;
  reals: KernelReal[];
}

/**
 * The kernel's tick rate: /proc/net/ip_vs prints a persistence timeout in ticks. Read from the
 * configuration the kernel package ships (boot/config-VERSION in the unpacked package).
 */
function kernelHz(): number {
  const root = process.env.PIRANHA_KERNEL_MODROOT ?? '/';
  const config = readFileSync(join(root, 'boot', `config-${release()}`), 'utf8');
  const hz = /^CONFIG_HZ=(\d+)$/m.exec(config);
  if (!hz) throw new Error(`no CONFIG_HZ in the kernel's configuration`);
  return Number(hz[1]);
}

function dotted(hex: string): string {
  const n = parseInt(hex, 16);
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

const SERVICE = /^(TCP|UDP|SCTP)\s+([0-9A-F]{8}):([0-9A-F]{4})\s+(\S+)(.*)$|^FWM\s+([0-9A-F]{8})\s+(\S+)(.*)$/;
const REAL = /^\s+->\s+([0-9A-F]{8}):([0-9A-F]{4})\s+(\S+)\s+(-?\d+)\s+(\d+)\s+(\d+)/;

export function parseIpVs(text: string): Map<string, KernelService> {
  const out = new Map<string, KernelService>();
  let current: KernelService | null = null;
  let hz: number | null = null;
  for (const line of text.split('\n')) {
    const s = SERVICE.exec(line);
    if (s) {
      const key = s[1] ? `${s[1].toLowerCase()}|${dotted(s[2]!)}|${parseInt(s[3]!, 16)}` : `fwm|${parseInt(s[6]!, 16)}`;
      const rest = (s[5] ?? s[8] ?? '').trim();
      const p = /persistent (\d+) ([0-9A-F]{8})/.exec(rest);
      current = { key, scheduler: (s[4] ?? s[7])!, persistent: p ? Number(p[1]) / (hz ??= kernelHz()) : 0, mask: p ? dotted(p[2]!) : null, reals: [] };
      out.set(key, current);
      continue;
    }
    const r = REAL.exec(line);
    if (r && current) {
      current.reals.push({
        address: dotted(r[1]!),
        port: parseInt(r[2]!, 16),
        forward: r[3] as KernelReal['forward'],
        weight: Number(r[4]),
        active: Number(r[5]),
        inactive: Number(r[6]),
      });
    }
  }
  return out;
}

/** The namespace's IPVS table as the kernel holds it. */
export async function kernelTable(lab: Lab, machine: string): Promise<Map<string, KernelService>> {
  return parseIpVs(await lab.procNet(machine, 'ip_vs'));
}

/** Polls the namespace's table until `ok` holds (the agent applies after its first health checks). */
export async function waitForKernel(
  lab: Lab,
  machine: string,
  what: string,
  ok: (table: Map<string, KernelService>) => boolean,
  timeoutMs = 180_000,
): Promise<Map<string, KernelService>> {
  let last = new Map<string, KernelService>();
  try {
    return await waitFor(
      async () => {
        last = await kernelTable(lab, machine);
        return ok(last) ? last : null;
      },
      { timeoutMs, intervalMs: 200, message: `the kernel table to show ${what}` },
    );
  } catch (err) {
    (err as Error).message += `\nthe kernel table:\n${shape(last).join('\n') || '(empty)'}`;
    throw err;
  }
}

/** The table without its connection counters, one sorted line per service and real server. */
export function shape(table: Map<string, KernelService>): string[] {
  const out: string[] = [];
  for (const s of table.values()) {
    out.push(`${s.key} ${s.scheduler}${s.persistent ? ` persistent ${s.persistent} mask ${s.mask}` : ''}`);
    for (const r of s.reals) out.push(`${s.key} -> ${r.address}:${r.port} ${r.forward} weight ${r.weight}`);
  }
  return out.sort();
}

export interface KernelTotals {
  conns: number;
  inPackets: number;
  outPackets: number;
  inBytes: number;
  outBytes: number;
}

/**
 * /proc/net/ip_vs_stats: every connection and packet IPVS handled in this namespace, in each
 * direction. The kernel adds its per-CPU counters into these totals every 2 s, so read them
 * through settledTotals() after traffic.
 */
export async function kernelTotals(lab: Lab, machine: string): Promise<KernelTotals> {
  const text = await lab.procNet(machine, 'ip_vs_stats');
  const row = text.split('\n')[2]?.trim().split(/\s+/);
  if (!row || row.length < 5 || !row.every((x) => /^[0-9A-F]+$/i.test(x))) throw new Error(`unexpected ip_vs_stats:\n${text}`);
  const [conns, inPackets, outPackets, inBytes, outBytes] = row.map((x) => parseInt(x, 16)) as [number, number, number, number, number];
  return { conns, inPackets, outPackets, inBytes, outBytes };
}

/** The totals once the kernel has counted at least `conns` connections (its sums lag by up to 2 s). */
export async function settledTotals(lab: Lab, machine: string, conns: number): Promise<KernelTotals> {
  let last: KernelTotals | null = null;
  return waitFor(
    async () => {
      last = await kernelTotals(lab, machine);
      return last.conns >= conns ? last : null;
    },
    { timeoutMs: 30_000, intervalMs: 250, message: `IPVS to have counted ${conns} connections` },
  ).catch((err: Error) => {
    err.message += ` (counted: ${JSON.stringify(last)})`;
    throw err;
  });
}
