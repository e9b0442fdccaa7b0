// Persistence templates, as IPVS keeps them for `-p TIMEOUT -M MASK` services: the client address
// ANDed with the mask maps to the real server chosen for its first connection. A template lives as
// long as it has connections, and `timeout` after the last one ended (IPVS re-arms the template
// timer while controlled connections exist, then lets it expire).
// A template whose server was quiesced (weight 0) keeps sending its clients there: IPVS does the
// same unless the expire_quiescent_template sysctl is set (it is 0 by default), so a persistent
// session survives a quiesce. A template whose server was removed is dropped (IPVS: the destination
// is no longer AVAILABLE, ip_vs_check_template fails) and the client is scheduled afresh.
import type { Real } from './real.ts';

export interface Template {
  key: number;
  real: Real;
  conns: number;
  /** ms timestamp after which an idle template is gone; meaningless while conns > 0. */
  expires: number;
}

export class PersistenceTable {
  private readonly map = new Map<number, Template>();

  constructor(
    private timeoutMs: number,
    private mask: number,
  ) {}

  /** Changing the timeout or mask starts over, like recreating the service would. */
  reconfigure(timeoutMs: number, mask: number): void {
    if (timeoutMs !== this.timeoutMs || mask !== this.mask) this.map.clear();
    this.timeoutMs = timeoutMs;
    this.mask = mask;
  }

  /** The template for this client, counting one more connection on it, or null. */
  acquire(source: number, now: number): Template | null {
    const key = (source & this.mask) >>> 0;
    const t = this.map.get(key);
    if (t === undefined) return null;
    if (!t.real.available || (t.conns === 0 && now >= t.expires)) {
      this.map.delete(key);
      return null;
    }
    t.conns++;
    return t;
  }

  /** Records the server just scheduled for this client (with its first connection). */
  create(source: number, real: Real): Template {
    const key = (source & this.mask) >>> 0;
    const t: Template = { key, real, conns: 1, expires: 0 };
    this.map.set(key, t);
    return t;
  }

  release(t: Template, now: number): void {
    if (--t.conns === 0) t.expires = now + this.timeoutMs;
  }

  /** Drops expired templates (called once a second). */
  sweep(now: number): void {
    for (const [key, t] of this.map) {
      if ((t.conns === 0 && now >= t.expires) || !t.real.available) this.map.delete(key);
    }
  }

  get size(): number {
    return this.map.size;
  }
}
