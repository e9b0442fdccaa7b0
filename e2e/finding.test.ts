// Finding things in Chromium, with JavaScript on and off, on a site of 120 virtual servers run by a
// real agent on loopback: VIRTUAL SERVERS searched and paged (in place with htmx, the URL following;
// by GET forms and links without JavaScript), CONTROL/MONITORING searched with its counts and its
// problems first, and one host drained, taken out of every virtual server and put back from its page.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { spawnAgent } from '../testing/agent.ts';
import { useBrowser } from '../testing/browser.ts';
import { startConsole } from '../testing/console.ts';
import { lvsCf, writeLvsCf, type TestVirtual } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { startReplyServer } from '../testing/traffic.ts';

const chrome = useBrowser();
const VIRTUALS = 120;

/** True while the page has not been reloaded since mark(): htmx swapped a region, the browser did not navigate. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { marked: boolean }).marked = true));
}
async function stillMarked(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { marked?: boolean }).marked === true);
}

/**
 * Looks `words` up with the page's Find box: the page says `result` at an address matching `url`;
 * with JavaScript, htmx swapped the region in place (`inPlace` says which) instead of navigating.
 */
async function find(page: Page, js: boolean, words: string, result: string, url: RegExp, inPlace: string): Promise<void> {
  if (js) await mark(page);
  await page.getByLabel('Find').fill(words);
  await page.getByRole('button', { name: 'FIND' }).click();
  await page.getByText(result).waitFor();
  assert.match(page.url(), url);
  if (js) assert.equal(await stillMarked(page), true, inPlace);
}

describe('finding things', { concurrency: 1 }, () => {
  for (const js of [true, false]) {
    test(`search, pages and one host everywhere with JavaScript ${js ? 'on' : 'off'}`, { skip: chrome.missing ?? false, timeout: 180_000 }, async (t) => {
      const shared = loopback();
      const dead = loopback();
      const port = await freePort(shared);
      const backend = await startReplyServer(shared, port, 'HTTP/1.0 200 OK\r\n\r\nok');
      t.after(() => backend.close());
      const virtuals: TestVirtual[] = Array.from({ length: VIRTUALS }, (_, i) => ({
        name: `shop${i}`,
        vip: loopback(),
        port,
        servers: [{ name: 'app', address: shared, port }, ...(i % 50 === 7 ? [{ name: 'broken', address: dead, port }] : [])],
      }));
      const h = await startConsole({ agentInRoot: true, prepare: (root) => writeLvsCf(root, lvsCf({ serial: 3, virtuals })) });
      t.after(() => h.close());
      const agent = await spawnAgent({ root: h.root, socket: join(h.root, 'agent.sock') });
      t.after(() => agent.stop());
      const page = await chrome.page(t, { javaScript: js });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));

      // VIRTUAL SERVERS: the first page, then a search.
      await page.goto(`${h.url}/secure/virtual`);
      await page.getByText('Virtual servers 1–100 of 120.').waitFor();
      await find(page, js, 'shop11', 'Virtual servers 1–11 of 11 matching “shop11” (120 in lvs.cf).', /\/secure\/virtual\?q=shop11/, 'htmx replaced the list in place');
      assert.equal(await page.getByRole('radio').count(), 11);

      // Pages: next, by a link.
      await page.goto(`${h.url}/secure/virtual?sort=name`);
      if (js) await mark(page);
      await page.getByRole('link', { name: 'next' }).first().click();
      await page.getByText('Virtual servers 101–120 of 120.').waitFor();
      assert.match(page.url(), /sort=name&page=2/);
      if (js) assert.equal(await stillMarked(page), true, 'the page link swapped the list in place');
      await page.getByText('shop99', { exact: true }).waitFor();

      // An address: the way to its page.
      await page.goto(`${h.url}/secure/virtual?q=${shared}`);
      await page.getByRole('link', { name: 'see and act on all of them at once' }).click();
      await page.getByRole('heading', { name: `ONE HOST: ${shared}` }).waitFor();

      // CONTROL/MONITORING: counts at the top, the broken real servers first (once every check has run).
      const counts = page.locator('#counts', { hasText: '123 real servers checked: 120 up, 3 down' });
      for (let tries = 0; ; tries++) {
        await page.goto(`${h.url}/secure/control`);
        if (await counts.count()) break;
        if (tries > 60) assert.fail(`the checks never settled: ${await page.locator('#counts').textContent()}`);
        await page.waitForTimeout(500);
      }
      const down = page.locator('table.down');
      await down.getByText('shop7 / broken').waitFor();
      await down.getByText('shop57 / broken').waitFor();
      await find(page, js, 'shop57', 'Services 1–1 of 1 matching “shop57”, problems first.', /\/secure\/control\?q=shop57/, 'htmx replaced the live region in place');

      // From CONTROL to the host's page by its address, then out of every virtual server as one save.
      await page.locator('table.checkers').getByRole('link', { name: `${shared}:${port}` }).first().click();
      await page.getByText(`${shared} is a real server of 120 virtual servers (120 entries: 120 active, 0 inactive).`).waitFor();
      // Drained first: weight 0 everywhere, one save; the page counts its connections down.
      await page.getByRole('button', { name: 'DRAIN EVERYWHERE', exact: true }).click();
      await page.locator('.flash.ok', { hasText: `Saved: drain real server ${shared} in 120 virtual servers (120 real server entries): shop0, shop1` }).waitFor();
      await page.getByText('120 entries: 120 active, 0 inactive, 120 draining').waitFor();
      await page.locator('#host-list', { hasText: `Active connections to ${shared}: 0. None is left: DEACTIVATE EVERYWHERE takes it out.` }).waitFor();
      assert.equal((((await h.lvs()).match(/^ +weight = 0$/gm)) ?? []).length, 120);
      assert.match(await h.lvs(), /^serial_no = 4$/m, 'one serial increment');
      if (js) {
        // htmx polls the list in place while it drains.
        await mark(page);
        await page.evaluate(() => ((document.getElementById('host-list') as HTMLElement).dataset.seen = '1'));
        await page.waitForFunction(() => (document.getElementById('host-list') as HTMLElement | null)?.dataset.seen === undefined);
        assert.equal(await stillMarked(page), true, 'the list was replaced, not the page');
      }
      await page.getByRole('button', { name: 'DEACTIVATE EVERYWHERE' }).click();
      await page.locator('.flash.ok', { hasText: `Saved: deactivate real server ${shared} in 120 virtual servers (120 real server entries): shop0, shop1` }).waitFor();
      await page.getByText('120 entries: 0 active, 120 inactive').waitFor();
      assert.equal((((await h.lvs()).match(/^ +active = 0$/gm)) ?? []).length, 120);
      assert.equal((((await h.lvs()).match(/^ +weight = 0$/gm)) ?? []).length, 0, 'the drained weights written back');
      assert.match(await h.lvs(), /^serial_no = 5$/m, 'one serial increment');
      await page.getByRole('button', { name: 'ACTIVATE EVERYWHERE', exact: true }).click();
      await page.locator('.flash.ok', { hasText: `Saved: activate real server ${shared} in 120 virtual servers` }).waitFor();
      assert.match(await h.lvs(), /^serial_no = 6$/m);
      assert.deepEqual(errors, []);
    });
  }
});
