// Brute-force throttling per source address, never per account: there is one account, so locking
// it would let anyone lock the administrator out (ASVS 6.1.1).
//
// After `maxFailures` failed logins within `windowMs`, the address is locked for `lockMs`; each
// further lock of the same address doubles (up to a day) until it stays quiet for a window.
// While locked, the caller must refuse even the right password without checking it, so a lock
// cannot be used as a password oracle and costs no bcrypt.
//
// IPv6 clients are keyed by their /64: one host usually owns a whole /64, and keying by the full
// address would give it 2^64 fresh counters. Memory is bounded by `maxEntries`.
import { parseClientAddress } from './allowlist.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

type Entry = {
  failures: number;
  windowStart: number;
  lastFailure: number;
  lockedUntil: number;
  locks: number;
};

export type LoginThrottleOptions = {
  maxFailures?: number;
  windowMs?: number;
  lockMs?: number;
  /** Most addresses remembered at once; the least recently seen are forgotten first. */
  maxEntries?: number;
  now?: () => number;
};

export class LoginThrottle {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Map order is recency order: touched entries are re-inserted at the end. */
  private readonly entries = new Map<string, Entry>();

  constructor(opts: LoginThrottleOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 5;
    this.windowMs = opts.windowMs ?? 15 * 60 * 1000;
    this.lockMs = opts.lockMs ?? 15 * 60 * 1000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
    if (!(this.maxFailures >= 1 && this.windowMs > 0 && this.lockMs > 0 && this.maxEntries >= 1)) {
      throw new RangeError('LoginThrottle: maxFailures, windowMs, lockMs and maxEntries must be positive');
    }
  }

  isBlocked(ip: string): { blocked: boolean; retryAfterSec: number } {
    const entry = this.live(keyOf(ip));
    const now = this.now();
    if (!entry || entry.lockedUntil <= now) return { blocked: false, retryAfterSec: 0 };
    return { blocked: true, retryAfterSec: Math.max(1, Math.ceil((entry.lockedUntil - now) / 1000)) };
  }

  fail(ip: string): void {
    const key = keyOf(ip);
    const now = this.now();
    let entry = this.live(key);
    if (!entry) {
      entry = { failures: 0, windowStart: now, lastFailure: now, lockedUntil: 0, locks: 0 };
      this.makeRoom();
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (entry.lockedUntil > now) return; // callers should not verify while locked; do not extend
    if (now - entry.windowStart >= this.windowMs) {
      entry.failures = 0;
      entry.windowStart = now;
    }
    entry.failures++;
    entry.lastFailure = now;
    if (entry.failures >= this.maxFailures) {
      entry.lockedUntil = now + Math.min(this.lockMs * 2 ** entry.locks, Math.max(DAY_MS, this.lockMs));
      entry.locks++;
      entry.failures = 0;
      entry.windowStart = now;
    }
  }

  succeed(ip: string): void {
    this.entries.delete(keyOf(ip));
  }

  /** Number of addresses remembered (for tests and the status page). */
  size(): number {
    return this.entries.size;
  }

  /** The entry if it still matters: locked, or failures/back-off within the last window. */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.expired(entry, this.now())) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private expired(e: Entry, now: number): boolean {
    return e.lockedUntil <= now && now - Math.max(e.lastFailure, e.lockedUntil) >= this.windowMs;
  }

  private makeRoom(): void {
    if (this.entries.size < this.maxEntries) return;
    const now = this.now();
    for (const [key, e] of this.entries) if (this.expired(e, now)) this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

/** IPv4 (also when mapped into IPv6) by address, IPv6 by /64, anything else by its text. */
function keyOf(ip: string): string {
  const addr = parseClientAddress(ip);
  if (!addr) return `?${ip}`;
  if (addr.family === 4) return addr.bytes.join('.');
  return Buffer.from(addr.bytes.subarray(0, 8)).toString('hex') + '::/64';
}
