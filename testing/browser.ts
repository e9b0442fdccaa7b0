// The shared launcher for browser tests: Debian's Chromium through playwright-core, never a
// downloaded browser. Flags keep Chromium off the network and quiet (no updates, sync, QUIC).
import { before, after } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
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

/**
 * One Chromium for a test file: launched before its tests, closed after them. `missing` is the
 * reason to skip when Chromium is not installed.
 */
export function useBrowser(): { missing: string | null; readonly browser: Browser } {
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
  };
}
