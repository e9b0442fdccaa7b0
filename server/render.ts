// Renders the Eta templates in views/. One Eta instance per app; templates are compiled once and
// cached (cache: true) so a page view costs only the template function call. autoEscape is on:
// every `<%= %>` is HTML-escaped, and templates use `<%~ %>` only for fragments we rendered ourselves.
import { Eta } from 'eta';
import { fileURLToPath } from 'node:url';

export const VIEWS_DIR = fileURLToPath(new URL('../views/', import.meta.url));
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
/** The vendored htmx file; its version is in the name so a browser cache never mixes versions. */
export const HTMX_FILE = 'htmx-2.0.11.min.js';

export type Renderer = (template: string, data: Record<string, unknown>) => string;

export function createRenderer(): Renderer {
  const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true, autoTrim: [false, 'nl'] });
  return (template, data) => eta.render(template, data);
}
