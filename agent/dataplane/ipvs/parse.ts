// Reads back what IPVS is doing: `ipvsadm -Ln` (scheduler, persistence, forwarding method, weight,
// active/inactive connections) and `ipvsadm -Ln --stats --exact` (connections, packets, bytes;
// --exact so counters are plain integers rather than 12K/3M). Lines look like:
//   TCP  10.0.0.1:80 wlc persistent 300 mask 255.255.255.0
//     -> 192.168.1.2:80               Masq    1      0          0
//   FWM  7 rr
//   TCP  10.0.0.1:80                        12       100       80     5000     9000
//     -> 192.168.1.2:80                      7        60       50     3000     5000
import type { ForwardMethod, RealStats } from '../types.ts';

export interface KernelService {
  key: string;
  scheduler: string;
  persistent: number;
  pmask: string | null;
  reals: RealStats[];
}

const FORWARD: Record<string, ForwardMethod> = { Masq: 'm', Route: 'g', Tunnel: 'i', Local: 'm' };

const SERVICE_LINE = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s*(.*)$/;
const REAL_LINE = /^\s+->\s+(\S+)\s+(.*)$/;

function keyOf(proto: string, where: string): string | null {
  if (proto === 'FWM') return `fwm|${where}`;
  const colon = where.lastIndexOf(':');
  if (colon < 0) return null;
  return `${proto.toLowerCase()}|${where.slice(0, colon)}|${where.slice(colon + 1)}`;
}

function splitAddr(where: string): { address: string; port: number } {
  const colon = where.lastIndexOf(':');
  return colon < 0 ? { address: where, port: 0 } : { address: where.slice(0, colon), port: Number(where.slice(colon + 1)) };
}

function emptyReal(address: string, port: number): RealStats {
  return {
    address, port, method: 'm', weight: 0, activeConns: 0, inactiveConns: 0,
    connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0,
  };
}

/** Parses `ipvsadm -Ln`. Header lines and anything unrecognised are skipped. */
export function parseList(text: string): Map<string, KernelService> {
  const out = new Map<string, KernelService>();
  let current: KernelService | null = null;
  for (const line of text.split('\n')) {
    const s = SERVICE_LINE.exec(line);
    if (s) {
      const key = keyOf(s[1]!, s[2]!);
      current = null;
      if (key === null) continue;
      const words = s[3]!.split(/\s+/).filter(Boolean);
      const p = words.indexOf('persistent');
      const m = words.indexOf('mask');
      current = {
        key,
        scheduler: words[0] ?? '',
        persistent: p >= 0 ? Number(words[p + 1]) : 0,
        pmask: m >= 0 ? words[m + 1]! : null,
        reals: [],
      };
      out.set(key, current);
      continue;
    }
    const r = REAL_LINE.exec(line);
    if (r && current !== null) {
      const [fwd, weight, active, inactive] = r[2]!.split(/\s+/);
      if (fwd === undefined || !/^-?\d+$/.test(weight ?? '')) continue; // the column header
      const { address, port } = splitAddr(r[1]!);
      current.reals.push({
        ...emptyReal(address, port),
        method: FORWARD[fwd] ?? 'm',
        weight: Number(weight),
        activeConns: Number(active),
        inactiveConns: Number(inactive),
      });
    }
  }
  return out;
}

/** Parses `ipvsadm -Ln --stats --exact` into the counters of each service's real servers. */
export function parseStats(text: string): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>();
  let current: Map<string, number[]> | null = null;
  for (const line of text.split('\n')) {
    const s = SERVICE_LINE.exec(line);
    if (s) {
      const key = keyOf(s[1]!, s[2]!);
      current = key === null ? null : new Map();
      if (key !== null) out.set(key, current!);
      continue;
    }
    const r = REAL_LINE.exec(line);
    if (r && current !== null) {
      const nums = r[2]!.split(/\s+/).filter(Boolean);
      if (nums.length < 5 || !nums.every((n) => /^\d+$/.test(n))) continue;
      current.set(r[1]!, nums.slice(0, 5).map(Number));
    }
  }
  return out;
}

/** -Ln and --stats merged: conns, inpkts, outpkts, inbytes, outbytes added to each real server. */
export function mergeStats(list: Map<string, KernelService>, stats: Map<string, Map<string, number[]>>): void {
  for (const [key, svc] of list) {
    const counters = stats.get(key);
    if (counters === undefined) continue;
    for (const r of svc.reals) {
      const c = counters.get(`${r.address}:${r.port}`);
      if (c === undefined) continue;
      [r.connections, r.packetsIn, r.packetsOut, r.bytesIn, r.bytesOut] = c as [number, number, number, number, number];
    }
  }
}
