// Running many asynchronous tasks a few at a time: enough to load what is under test, not so many
// that a 2-core machine shared with other test files starves.

/** Runs `task(0)` … `task(count - 1)` with at most `width` at a time; results in task order. */
export async function pool<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}
