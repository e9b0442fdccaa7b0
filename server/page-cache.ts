// Rendered pages kept as bytes for re-use while everything they show is unchanged. A page is kept
// under a key naming all of its inputs: the version of lvs.cf, the agent's answers it shows, the
// credential's CSRF token, the view. Pages are kept in generations (the inputs that change for
// every page at once: the file's version, the agent's answers): the first page of a new generation
// forgets the pages of the others, so nothing stale is kept. Kept as bytes so a hit costs no UTF-8
// encoding.

/** Pages kept at most (per cache): a few views of a few credentials. */
const LIMIT = 32;

export class PageCache {
  private readonly pages = new Map<string, Buffer>();
  private generation: string | null = null;

  /** The page kept under `generation` and `key`, or the one `render` makes now, then kept. */
  get(generation: string, key: string, render: () => string): Buffer {
    if (generation !== this.generation) {
      this.pages.clear();
      this.generation = generation;
    }
    let page = this.pages.get(key);
    if (page === undefined) {
      page = Buffer.from(render());
      if (this.pages.size >= LIMIT) this.pages.delete(this.pages.keys().next().value as string);
      this.pages.set(key, page);
    }
    return page;
  }
}

const ids = new WeakMap<object, number>();
let nextId = 1;

/**
 * A number naming this object for as long as it lives. Concurrent views of the same view share the
 * agent's answer object (agent-link.ts's single flight); a new answer is a new object, so the
 * number of an answer stands for its content in a page's key.
 */
export function identityOf(o: object | null): number {
  if (o === null) return 0;
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return id;
}
