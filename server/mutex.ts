// A promise-chain mutex: callers run one after another, in arrival order. One per lvs.cf path so two
// saves never interleave their read-compare-write sequences (they would otherwise lose an update).
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const byKey = new Map<string, Mutex>();

/** The mutex for a key (the absolute path of lvs.cf): every store on the same file shares it. */
export function mutexFor(key: string): Mutex {
  let m = byKey.get(key);
  if (!m) {
    m = new Mutex();
    byKey.set(key, m);
  }
  return m;
}
