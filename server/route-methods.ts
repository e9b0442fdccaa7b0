// Which methods each route of the console accepts, recorded as routes are registered, so that a
// request for a page with a method it does not take (PUT, DELETE, PATCH, OPTIONS on a page that has
// GET and POST) is told 405 with an Allow header listing what it does take, instead of 404. The
// not-found handler asks this table: a path no route matches is still 404.
import type { FastifyInstance } from 'fastify';

interface RoutePattern {
  url: string;
  regex: RegExp;
  methods: Set<string>;
}

/** `/secure/virtual/:n/edit` → a regular expression for the paths it matches (`*` matches the rest). */
function patternRegex(url: string): RegExp {
  const parts = url.split('/').map((seg) => {
    if (seg === '*') return '.*';
    if (seg.startsWith(':')) return '[^/]+';
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\*$/, '.*');
  });
  return new RegExp(`^${parts.join('/')}$`);
}

export class RouteMethods {
  private readonly byUrl = new Map<string, RoutePattern>();

  add(method: string | string[], url: string): void {
    let p = this.byUrl.get(url);
    if (!p) {
      p = { url, regex: patternRegex(url), methods: new Set() };
      this.byUrl.set(url, p);
    }
    for (const m of Array.isArray(method) ? method : [method]) p.methods.add(m.toUpperCase());
  }

  /** Every registered route and its methods (for tests that walk the table). */
  routes(): { url: string; methods: string[] }[] {
    return [...this.byUrl.values()].map((p) => ({ url: p.url, methods: [...p.methods].sort() }));
  }

  /** The methods some route takes at this path, sorted; null when no route matches the path. */
  allowedAt(path: string): string[] | null {
    const methods = new Set<string>();
    for (const p of this.byUrl.values()) if (p.regex.test(path)) for (const m of p.methods) methods.add(m);
    return methods.size ? [...methods].sort() : null;
  }
}

/** Records every route registered on `app` from now on (call before registering plugins and routes). */
export function trackRoutes(app: FastifyInstance): RouteMethods {
  const table = new RouteMethods();
  app.addHook('onRoute', (r) => table.add(r.method, r.url ?? r.path));
  return table;
}
