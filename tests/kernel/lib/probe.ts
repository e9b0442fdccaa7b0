// A client making one new connection every 50 ms (tools/probe-client.c) and what it saw around an
// event: how long it went without an answer. Its times are CLOCK_MONOTONIC milliseconds, the clock
// process.hrtime() reads, so the test's events land on the same time line.
import type { ChildProcess } from 'node:child_process';
import type { Lab } from '../../../testing/lab.ts';
import { waitFor } from '../../../testing/wait.ts';
import { tool } from './traffic.ts';

export const PROBE_INTERVAL_MS = 50;
/** An attempt that has not been answered in this time is a failure (a fresh SYN follows). */
const PROBE_TIMEOUT_MS = 500;

export interface Attempt {
  start: number;
  end: number;
  ok: boolean;
  /** The real server's greeting, or the error. */
  detail: string;
}

export interface Outage {
  /** The longest time without a successful answer, from the last success to the next (ms). */
  gapMs: number;
  /** From the event to the end of the first successful attempt that started after it (ms). */
  recoveryMs: number;
  /** Attempts that failed in the window. */
  failed: number;
}

/** Now on the probe's clock. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export class Probe {
  readonly attempts: Attempt[] = [];
  private readonly child: ChildProcess;

  constructor(lab: Lab, machine: string, target: string) {
    this.child = lab.start(machine, [tool('probe-client'), target, String(PROBE_INTERVAL_MS), String(PROBE_TIMEOUT_MS)], {
      quietStdout: true,
      onLine: (line, stream) => {
        if (stream !== 'out') return;
        const [start, end, verdict, ...rest] = line.split(' ');
        this.attempts.push({ start: Number(start), end: Number(end), ok: verdict === 'ok', detail: rest.join(' ') });
      },
    });
  }

  /** Waits until `count` attempts in a row that started after `since` succeeded. */
  async settled(since: number, count: number, message: string): Promise<void> {
    await waitFor(
      () => {
        const after = this.attempts.filter((a) => a.start >= since);
        return after.length >= count && after.slice(-count).every((a) => a.ok);
      },
      { timeoutMs: 120_000, message },
    );
  }

  /** What the client saw from `event` until `until` (both on the probe's clock). */
  outage(event: number, until: number): Outage {
    const window = this.attempts.filter((a) => a.end <= until);
    const lastOkBefore = [...window].reverse().find((a) => a.ok && a.end <= event);
    const after = window.filter((a) => a.end > event);
    const firstOkAfter = after.find((a) => a.ok && a.start >= event);
    if (!lastOkBefore || !firstOkAfter) throw new Error('the probe has no success before the event or none after it');
    let gapMs = 0;
    let previous = lastOkBefore.end;
    for (const a of after) {
      if (!a.ok) continue;
      gapMs = Math.max(gapMs, a.end - previous);
      previous = a.end;
    }
    return { gapMs, recoveryMs: firstOkAfter.end - event, failed: after.filter((a) => !a.ok).length };
  }

  stop(): void {
    this.child.stdin!.end();
  }
}

/** Median and worst of a list of figures. */
export function summary(values: number[]): { median: number; worst: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, worst: sorted.at(-1)! };
}
