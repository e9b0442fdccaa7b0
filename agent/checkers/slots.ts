// How many scheduled checks may run at once, and the checks waiting for a free slot. A check due
// while every slot is taken waits (it runs late rather than failing): running out of descriptors
// (EMFILE) must never mark healthy servers down.
import { readFileSync } from 'node:fs';

/** File descriptors left for the agent's own use (sockets to the console, lvs.cf, logs, programs). */
export const FD_RESERVE = 128;

/** The soft RLIMIT_NOFILE in the text of /proc/self/limits; null when it is not there. */
export function openFileLimitOf(limits: string): number | null {
  const m = /^Max open files\s+(\d+)/m.exec(limits);
  return m ? Number(m[1]) : null;
}

/** The soft RLIMIT_NOFILE of this process; null where unreadable. */
function openFileLimit(): number | null {
  try {
    return openFileLimitOf(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Half of the open-file limit left after the reserve (at least 16); the other half is the
 * dataplane's (a listening socket per service, two per relayed connection). 4096 when unknown.
 */
export function maxInFlightFor(limit: number | null): number {
  return limit === null ? 4096 : Math.max(16, Math.floor((limit - FD_RESERVE) / 2));
}

export function defaultMaxInFlight(): number {
  return maxInFlightFor(openFileLimit());
}

/**
 * A first-in first-out queue of waiting checks, read from a moving head (no shift() of a long
 * array for every check that starts), emptied once read through.
 */
export class WaitQueue<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, or undefined when none waits. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head === this.items.length) this.clear();
    return item;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
