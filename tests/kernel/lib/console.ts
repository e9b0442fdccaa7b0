// The real console (piranha-gui, listening on HTTP on the guest's loopback) in front of an agent of
// the suite: the agent runs on the console's root, so both read the same lvs.cf and the console
// talks to the agent's socket. Tests read what a user sees: the page's text, and the page a form's
// button leads to (the form's CSRF token taken from the page, as a browser sends it).
import { AUTH, startConsole, type Harness } from '../../../testing/console.ts';

/** The page's visible text: tags dropped, entities decoded, white space collapsed. */
export function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

export class SuiteConsole {
  private constructor(private readonly harness: Harness) {}

  /** A console on a new root holding `lvsCf`; start the agent with `{ root: console.root }`. */
  static async start(lvsCf: string): Promise<SuiteConsole> {
    return new SuiteConsole(await startConsole({ lvs: lvsCf, agentInRoot: true }));
  }

  get root(): string {
    return this.harness.root;
  }

  lvs(): Promise<string> {
    return this.harness.lvs();
  }

  /** GETs a page of the console; its HTML. */
  async page(path: string): Promise<string> {
    const res = await fetch(new URL(path, this.harness.url), { headers: { authorization: AUTH }, redirect: 'manual' });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path} gave ${res.status}: ${visibleText(body).slice(0, 500)}`);
    return body;
  }

  /**
   * Presses a button of the form on `formPage` that posts to `action` (with the page's hidden
   * fields, the button's name/value and `fields`): expects the 303 a saved form answers and
   * returns the HTML of the page it leads to, with the time the POST took until its answer.
   */
  async press(formPage: string, action: string, fields: Record<string, string> = {}): Promise<{ html: string; location: string; postMs: number }> {
    const html = await this.page(formPage);
    const forms = [...html.matchAll(/<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].filter((m) => m[1] === action);
    if (forms.length === 0) throw new Error(`no form posting to ${action} on ${formPage}`);
    const hidden: Record<string, string> = {};
    for (const m of forms[0]![2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) hidden[m[1]!] = m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
    const began = performance.now();
    const res = await fetch(new URL(action, this.harness.url), {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...hidden, ...fields }).toString(),
      redirect: 'manual',
    });
    const postMs = performance.now() - began;
    const body = await res.text();
    if (res.status !== 303) throw new Error(`POST ${action} gave ${res.status}: ${visibleText(body).slice(0, 800)}`);
    const location = res.headers.get('location') ?? '';
    return { html: await this.page(location), location, postMs };
  }

  close(): Promise<void> {
    return this.harness.close();
  }
}
