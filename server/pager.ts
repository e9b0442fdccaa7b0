// The page links under a long list: first, previous, a few numbers around the current page, next,
// last. Plain links carrying the whole query, so every page is a URL that works without
// JavaScript; htmx fetches the same URL into the list's region (the partial adds the attributes).
export interface PagerLink {
  label: string;
  href: string;
  current?: boolean;
  rel?: 'prev' | 'next';
}

export interface Pager {
  page: number;
  pages: number;
  links: PagerLink[];
  /** The id of the region htmx replaces with the same region of the linked page. */
  target: string;
}

/** Links for `page` of `pages`; `href(n)` is the URL of page n. */
export function pager(page: number, pages: number, href: (n: number) => string, target: string): Pager {
  const links: PagerLink[] = [];
  if (pages <= 1) return { page, pages, links, target };
  if (page > 1) {
    links.push({ label: 'first', href: href(1) });
    links.push({ label: 'previous', href: href(page - 1), rel: 'prev' });
  }
  for (let n = Math.max(1, page - 2); n <= Math.min(pages, page + 2); n++) links.push({ label: String(n), href: href(n), current: n === page });
  if (page < pages) {
    links.push({ label: 'next', href: href(page + 1), rel: 'next' });
    links.push({ label: 'last', href: href(pages) });
  }
  return { page, pages, links, target };
}
