// The console over real HTTP, the way a browser without JavaScript speaks to it: GET a page with the
// password, read a form's hidden fields (CSRF token, version), POST the form, follow the 303.
import { AUTH } from './console.ts';

export interface Answer {
  status: number;
  body: string;
  location: string | null;
}

export interface HttpConsole {
  get(path: string): Promise<Answer>;
  post(path: string, fields: Record<string, string>): Promise<Answer>;
  /** GETs `formUrl` and POSTs its CSRF token and version with `fields` to `action`. */
  submit(formUrl: string, action: string, fields: Record<string, string>): Promise<Answer>;
  /** The page a 303 leads to. */
  follow(a: Answer): Promise<Answer>;
}

/** The hidden fields every console form carries. */
export function hiddenFields(html: string): { _csrf: string; version: string } {
  return { _csrf: /name="_csrf" value="([^"]*)"/.exec(html)?.[1] ?? '', version: /name="version" value="([^"]*)"/.exec(html)?.[1] ?? '' };
}

/** The page's text without tags, entities decoded and blanks squeezed, as a reader sees it. */
export function pageText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&rarr;/g, '→').replace(/&larr;/g, '←').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

export function httpConsole(url: string): HttpConsole {
  const answer = async (res: Response): Promise<Answer> => ({ status: res.status, body: await res.text(), location: res.headers.get('location') });
  const get = async (path: string) => answer(await fetch(url + path, { headers: { authorization: AUTH }, redirect: 'manual' }));
  const post = async (path: string, fields: Record<string, string>) =>
    answer(await fetch(url + path, { method: 'POST', redirect: 'manual', headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() }));
  return {
    get,
    post,
    async submit(formUrl, action, fields) {
      const page = await get(formUrl);
      if (page.status !== 200) throw new Error(`GET ${formUrl} gave ${page.status}: ${page.body.slice(0, 300)}`);
      return post(action, { ...hiddenFields(page.body), ...fields });
    },
    async follow(a) {
      if (a.status !== 303 || !a.location) throw new Error(`expected 303, got ${a.status}: ${a.body.slice(0, 500)}`);
      return get(a.location);
    },
  };
}
