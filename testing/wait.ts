// Waiting in tests: for a condition that settles asynchronously (a health check's verdict, a
// counter, a process answering), never a fixed pause. Generous bounds only: a test asserts what
// happens, not how fast (speed is measured in bench/).

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when the condition never held (the last value or error seen is appended). */
  message?: string;
}

/**
 * Polls `probe` until it returns a truthy value (returned) or the time is up (throws, showing the
 * last value or error). A probe that throws counts as "not yet".
 */
export async function waitFor<T>(probe: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`${opts.message ?? 'condition not met'} within ${timeoutMs} ms (last: ${shown})`);
    }
    await sleep(intervalMs);
  }
}

/** A pause, for the few tests that must let time pass (a soak, a window in which nothing may happen). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
