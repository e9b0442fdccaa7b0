// The shared launcher for browser tests: Debian's Chromium through playwright-core, never a
// downloaded browser. Flags keep Chromium off the network and quiet (no updates, sync, QUIC).
import { before, after, type TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PASSWORD } from './console.ts';
import { missingTool } from './requirements.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** null (with the reason) when Chromium is not installed, so a test can skip with a message. */
export function chromiumMissing(): string | null {
  return missingTool('chromium');
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface PageOptions {
  /** JavaScript on (the default) or off. */
  javaScript?: boolean;
  /** The password the browser gives for user piranha (default: the console's, PASSWORD). */
  password?: string;
}

export interface TestBrowser {
  missing: string | null;
  readonly browser: Browser;
  /** A page in a context of its own, logged in as piranha, closed when the test `t` ends. */
  page(t: TestContext, opts?: PageOptions): Promise<Page>;
}

/**
 * One Chromium for a test file: launched before its tests, closed after them. `missing` is the
 * reason to skip when Chromium is not installed.
 */
export function useBrowser(): TestBrowser {
  const missing = chromiumMissing();
  let browser: Browser | undefined;
  before(async () => {
    if (!missing) browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });
  return {
    missing,
    get browser(): Browser {
      if (!browser) throw new Error(missing ?? 'Chromium was not launched');
      return browser;
    },
    async page(t, opts = {}) {
      const context = await this.browser.newContext({
        httpCredentials: { username: 'piranha', password: opts.password ?? PASSWORD },
        javaScriptEnabled: opts.javaScript ?? true,
      });
      t.after(() => context.close().catch(() => {}));
      return context.newPage();
    },
  };
}
