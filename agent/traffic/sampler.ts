// Samples the dataplane's counters every `intervalSec` into a SeriesStore: for each service and
// each real server its active and inactive connections, and from the cumulative counters the new
// connections and bytes (both directions) per second since the previous sample. A counter that
// went down (a service added again, a real server removed and re-added) counts as a fresh start.
import type { ServiceStats } from '../dataplane/types.ts';
import { SeriesStore } from './series-store.ts';

/** What is kept: ten minutes. */
export const WINDOW_SEC = 600;
export const DEFAULT_SAMPLE_SEC = 10;
/**
 * Reading the counters may take at most this share of the time: a table of 10,000 services takes
 * ipvsadm tens of seconds to list on a loaded router, and a listing holds the kernel's IPVS lock
 * that the agent's own changes wait for. A slow reading spaces the next ones out (the drift poll
 * does the same).
 */
const READ_SHARE = 10;

export const realSeriesKey = (service: string, address: string, port: number): string => `${service}>${address}:${port}`;

export interface SamplerOptions {
  /** The dataplane's table with its counters. */
  read(): Promise<ServiceStats[]>;
  intervalSec?: number;
  now?: () => number;
  log?(message: string): void;
}

export class TrafficSampler {
  readonly intervalSec: number;
  readonly store: SeriesStore;
  /** Names of the services sampled last, by service key (series are asked for by virtual server name). */
  private names = new Map<string, string>();
  /** Real servers of each service as last sampled. */
  private reals = new Map<string, { key: string; address: string; port: number }[]>();
  /** Cumulative connections and bytes at the previous sample, by row key. */
  private previous = new Map<string, { at: number; connections: number; bytes: number }>();
  private timer: NodeJS.Timeout | null = null;
  private sampling = false;
  /** No timed sample before this time: the last reading's cost, spread out. */
  private notBefore = 0;
  private readonly now: () => number;

  constructor(private readonly opts: SamplerOptions) {
    this.intervalSec = opts.intervalSec ?? DEFAULT_SAMPLE_SEC;
    this.store = new SeriesStore(Math.max(2, Math.round(WINDOW_SEC / this.intervalSec)));
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalSec * 1000);
    this.timer.unref();
    void this.sample();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The service keys of virtual server `name` as last sampled. */
  servicesOf(name: string): string[] {
    const out: string[] = [];
    for (const [key, n] of this.names) if (n === name) out.push(key);
    return out;
  }

  /** The real servers of service `key` as last sampled, with their row keys. */
  realsOf(key: string): readonly { key: string; address: string; port: number }[] {
    return this.reals.get(key) ?? [];
  }

  /** The timer's sample: skipped while the last reading's share of time is not yet spent. */
  async tick(): Promise<void> {
    if (this.now() < this.notBefore) return;
    await this.sample();
  }

  /** Takes one sample now. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    const began = this.now();
    try {
      const services = await this.opts.read();
      this.record(services, this.now());
    } catch (err) {
      this.opts.log?.(`traffic sample failed: ${(err as Error).message}`);
    } finally {
      this.sampling = false;
      const took = this.now() - began;
      this.notBefore = this.now() + took * (READ_SHARE - 1);
    }
  }

  /** Records one reading of the table taken at `at`. */
  record(services: readonly ServiceStats[], at: number): void {
    const seen = new Set<string>();
    const names = new Map<string, string>();
    const reals = new Map<string, { key: string; address: string; port: number }[]>();
    this.store.beginSample(at);
    for (const s of services) {
      names.set(s.key, s.name);
      const rows: { key: string; address: string; port: number }[] = [];
      reals.set(s.key, rows);
      let active = 0;
      let inactive = 0;
      let connections = 0;
      let bytes = 0;
      for (const r of s.reals) {
        const key = realSeriesKey(s.key, r.address, r.port);
        rows.push({ key, address: r.address, port: r.port });
        const b = r.bytesIn + r.bytesOut;
        this.put(key, at, r.activeConns, r.inactiveConns, r.connections, b, seen);
        active += r.activeConns;
        inactive += r.inactiveConns;
        connections += r.connections;
        bytes += b;
      }
      this.put(s.key, at, active, inactive, connections, bytes, seen);
    }
    this.store.endSample(seen);
    this.names = names;
    this.reals = reals;
    for (const key of this.previous.keys()) if (!seen.has(key)) this.previous.delete(key);
  }

  private put(key: string, at: number, active: number, inactive: number, connections: number, bytes: number, seen: Set<string>): void {
    seen.add(key);
    const prev = this.previous.get(key);
    const sec = prev ? (at - prev.at) / 1000 : 0;
    const rate = (now: number, before: number | undefined) => (before === undefined || sec <= 0 || now < before ? 0 : (now - before) / sec);
    this.store.put(key, { active, inactive, connsPerSec: rate(connections, prev?.connections), bytesPerSec: rate(bytes, prev?.bytes) });
    this.previous.set(key, { at, connections, bytes });
  }
}
