// Giving memory back after a large lvs.cf is read. Parsing a 26 MB file (10,000 virtual servers ×
// 20) leaves a few hundred megabytes of garbage (its syntax tree, the previous model), which V8
// collects only once the heap has grown well past it: an agent reloading such a file a few times
// sat at 1.5 GB with 400 MB alive. A full collection right after a large (re)load keeps the agent
// near what it holds (bench/scale). It is a pause of the main thread (a few hundred milliseconds at
// that size) just after a reload that already took longer, so it is done for large files only.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Files below this size leave too little garbage to be worth a pause. */
export const COLLECT_ABOVE_BYTES = 4 * 1024 * 1024;

let collector: (() => void) | null | undefined;

/** V8's full collection, exposed to this process once; null where the runtime refuses. */
function fullCollection(): (() => void) | null {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collector = runInNewContext('gc') as () => void;
    } catch {
      collector = null;
    }
  }
  return collector;
}

/** After reading a file of `textLength` characters: collect its garbage on the next turn if it was large. */
export function releaseAfterRead(textLength: number): void {
  if (textLength < COLLECT_ABOVE_BYTES) return;
  const gc = fullCollection();
  if (gc) setImmediate(gc);
}
