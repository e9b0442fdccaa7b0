// HISTORY in Debian's Chromium against the real console and agent processes, with JavaScript on
// (htmx-boosted links and forms) and off (plain links and forms): two saves are listed, DIFF shows
// the changed lines against the current file, REVERT saves the old version again and the agent
// applies it; a revert from a page shown before a hand edit is refused with 409.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { useBrowser } from '../testing/browser.ts';
import { startConsole } from '../testing/console.ts';
import { writeLvsCf } from '../testing/lvs-cf.ts';
import { waitFor } from '../testing/wait.ts';
import { agentRunningWeb, webOfTwo, weightOf } from '../testing/web-service.ts';

const chrome = useBrowser();
const skip = chrome.missing ?? false;

async function setUp(t: import('node:test').TestContext) {
  const { backends, lvs } = await webOfTwo(t, { weight: () => 2 });
  const h = await startConsole({ agentInRoot: true, prepare: (root) => writeLvsCf(root, lvs) });
  t.after(() => h.close());
  const { client } = await agentRunningWeb(t, h.root);
  const weight = (host: string) => weightOf(client, host);
  return { h, lvs, backends, weight };
}

for (const js of [true, false]) {
  describe(`JavaScript ${js ? 'on' : 'off'}`, () => {
    const open = (t: import('node:test').TestContext) => chrome.page(t, { javaScript: js });

    test('HISTORY lists the saves, DIFF shows the lines, REVERT saves the old version and the agent applies it', { skip, timeout: 90_000 }, async (t) => {
      const { h, lvs, backends, weight } = await setUp(t);
      const page = await open(t);
      for (const w of ['5', '9']) {
        await page.goto(`${h.url}/secure/virtual/0/real/0/edit`);
        await page.getByLabel('Weight').fill(w);
        await page.getByRole('button', { name: 'ACCEPT', exact: true }).click();
        await page.locator('.flash', { hasText: 'Saved: edit real server a of web' }).waitFor();
      }
      await page.getByRole('link', { name: 'HISTORY' }).click();
      await page.getByRole('heading', { name: 'HISTORY' }).waitFor();
      const rows = page.locator('table.history tbody tr');
      assert.equal(await rows.count(), 3);
      assert.match((await rows.nth(0).textContent()) ?? '', /5\s+\(current\)[\s\S]*piranha[\s\S]*127\.0\.0\.1[\s\S]*edit real server a of web \(\+2 −2 lines\)/);
      assert.match((await rows.nth(2).textContent()) ?? '', /3[\s\S]*lvs\.cf as found \(a full copy\)/);

      await page.getByRole('link', { name: 'DIFF serial 3 with the current lvs.cf' }).click();
      await page.getByRole('heading', { name: 'HISTORY: serial 3 and the current lvs.cf' }).waitFor();
      const diff = (await page.locator('pre.diff').textContent()) ?? '';
      assert.match(diff, /-\s+\d+\s+serial_no = 3\n\+\s+\d+\s+serial_no = 5/);
      assert.match(diff, /-\s+\d+\s+weight = 2\n\+\s+\d+\s+weight = 9/);

      await page.getByRole('button', { name: 'REVERT to serial 3' }).click();
      await page.locator('.flash', { hasText: /Reverted to serial 3 of .*: saved as lvs\.cf serial 6\./ }).waitFor();
      await page.locator('.flash', { hasText: 'The agent reloaded lvs.cf (serial 6' }).waitFor();
      assert.equal(await h.lvs(), lvs.replace('serial_no = 3', 'serial_no = 6'));
      await waitFor(async () => (await weight(backends[0]!.host)) === 2, { message: 'the agent back at weight 2' });
      assert.match((await page.locator('table.history tbody tr').first().textContent()) ?? '', /6\s+\(current\)[\s\S]*revert to serial 3/);
    });

    test('a REVERT from a page shown before a hand edit is refused with 409 and the hand edit stays', { skip, timeout: 90_000 }, async (t) => {
      const { h } = await setUp(t);
      const page = await open(t);
      await page.goto(`${h.url}/secure/virtual/0/real/0/edit`);
      await page.getByLabel('Weight').fill('4');
      await page.getByRole('button', { name: 'ACCEPT', exact: true }).click();
      await page.locator('.flash', { hasText: 'Saved: edit real server a of web' }).waitFor();
      await page.goto(`${h.url}/secure/history`);
      const edited = (await h.lvs()) + '# edited by hand\n';
      await writeFile(h.lvsPath, edited);
      const answer = page.waitForResponse((r) => r.url().endsWith('/secure/history/revert'));
      await page.getByRole('button', { name: 'REVERT to serial 3' }).click();
      assert.equal((await answer).status(), 409);
      await page.getByText('Nothing was reverted: lvs.cf changed since this page was shown').waitFor();
      assert.equal(await h.lvs(), edited);
    });
  });
}
