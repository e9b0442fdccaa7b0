// The chapter-4 workflow in Debian's Chromium with JavaScript on (htmx boosted navigation, partial swaps).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launch } from './browser.ts';
import { startConsole, PASSWORD } from './console-harness.ts';
import { chapter4Workflow } from './workflow.ts';

const missing = chromiumMissing();
let browser: Browser;
before(async () => {
  if (!missing) browser = await launch();
});
after(async () => {
  await browser?.close();
});

const credentials = { username: 'piranha', password: PASSWORD };

const js = true;
{
  test(`chapter-4 workflow with JavaScript ${js ? 'on' : 'off'}`, { skip: missing ?? false, timeout: 120_000 }, async (t) => {
    const h = await startConsole();
    t.after(() => h.close());
    const context = await browser.newContext({ httpCredentials: credentials, javaScriptEnabled: js });
    t.after(() => context.close());
    const page = await context.newPage();
    const errors: string[] = [];
    // HTTP statuses the workflow provokes on purpose (422 for a bad value, 404 favicon) are logged
    // by Chromium as "Failed to load resource"; anything else (a CSP refusal, a script error) fails.
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await chapter4Workflow(page, h);
    // No CSP violation or script error along the way.
    assert.deepEqual(errors, []);
  });
}

