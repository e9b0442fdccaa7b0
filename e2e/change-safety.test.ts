// PLAN, apply with confirmation (the browser closed before the deadline) and DRAIN to zero with live
// connections, in Debian's Chromium against the real console and agent processes, with JavaScript
// on (htmx swaps, the banner's countdown, the drain count refreshed in place) and off (plain forms,
// the drain page reloading itself).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBrowser } from '../testing/browser.ts';
import { PASSWORD, startConsole } from '../testing/console.ts';
import { writeLvsCf } from '../testing/lvs-cf.ts';
import { LineClient } from '../testing/traffic.ts';
import { waitFor } from '../testing/wait.ts';
import { agentRunningWeb, webOfTwo } from '../testing/web-service.ts';

const chrome = useBrowser();
const skip = chrome.missing ?? false;

async function setUp(t: import('node:test').TestContext) {
  const { backends, vip, vport, lvs } = await webOfTwo(t, { echo: true, scheduler: 'rr', weight: () => 2 });
  const h = await startConsole({ agentInRoot: true, prepare: (root) => writeLvsCf(root, lvs), confirmWindows: [3, 60] });
  t.after(() => h.close());
  const { client } = await agentRunningWeb(t, h.root);
  const real = async (host: string) => (await client.call('table', {})).services[0]?.reals.find((r) => r.address === host);
  return { h, lvs, backends, vip, vport, real };
}

for (const js of [true, false]) {
  describe(`JavaScript ${js ? 'on' : 'off'}`, () => {
    const browse = async (t: import('node:test').TestContext) => {
      const context = await chrome.browser.newContext({ httpCredentials: { username: 'piranha', password: PASSWORD }, javaScriptEnabled: js });
      t.after(() => context.close().catch(() => {}));
      return context;
    };

    test('PLAN shows the lines and the routing table changes; ACCEPT on the plan saves them', { skip, timeout: 90_000 }, async (t) => {
      const { h, lvs, backends, real } = await setUp(t);
      const page = await (await browse(t)).newPage();
      await page.goto(`${h.url}/secure/virtual/0/real/0/edit`);
      await page.getByLabel('Weight').fill('5');
      await page.getByRole('button', { name: 'PLAN' }).click();
      await page.getByRole('heading', { name: 'PLAN', exact: true }).waitFor();
      assert.match((await page.locator('pre.diff').textContent()) ?? '', /-\s+\d+\s+weight = 2\n\+\s+\d+\s+weight = 5/);
      const op = (await page.locator('ol.plan-ops').textContent()) ?? '';
      assert.match(op, new RegExp(`set real server a ${backends[0]!.host.replace(/\./g, '\\.')}:\\d+ of web to weight 5 \\(from 2\\)`));
      assert.equal(await h.lvs(), lvs, 'nothing saved by PLAN');
      await page.getByRole('button', { name: 'ACCEPT', exact: true }).click();
      await page.locator('.flash', { hasText: 'Saved: edit real server a of web (lvs.cf serial 4)' }).waitFor();
      await waitFor(async () => (await real(backends[0]!.host))?.weight === 5, { message: 'the agent applied the planned weight' });
    });

    test('apply with confirmation, then the browser goes away: lvs.cf and the agent return by themselves', { skip, timeout: 90_000 }, async (t) => {
      const { h, lvs, backends, real } = await setUp(t);
      const context = await browse(t);
      const page = await context.newPage();
      await page.goto(`${h.url}/secure/virtual/0/real/1/edit`);
      await page.getByLabel('Weight').fill('0');
      await page.getByLabel('Apply now, or with a confirmation window').selectOption('3');
      await page.getByRole('button', { name: 'ACCEPT', exact: true }).click();
      // The agent applied it before the page was answered: the flash carries its reply.
      await page.locator('.flash', { hasText: /Applied with confirmation: CONFIRM within 3 s.*The agent reloaded lvs\.cf \(serial 4, 1 table change\)/s }).waitFor();
      // Every page carries the pending change with its buttons.
      await page.locator('.pending-confirmation', { hasText: 'A change waits for confirmation: edit real server b of web' }).waitFor();
      await page.getByRole('button', { name: 'CONFIRM' }).waitFor();
      if (js) {
        // The time left counts down in place.
        const left = await page.locator('.pending-confirmation .time-left').textContent();
        await page.waitForFunction((prev) => document.querySelector('.pending-confirmation .time-left')?.textContent !== prev, left, { timeout: 10_000 });
      }
      await page.getByRole('button', { name: 'ROLL BACK NOW' }).waitFor();
      // The operator's browser is gone.
      await page.close();
      await context.close();
      await waitFor(async () => /^serial_no = 5$/m.test(await h.lvs()), { timeoutMs: 20_000, message: 'no roll back' });
      assert.equal((await h.lvs()).replace(/^serial_no = \d+\n/m, ''), lvs.replace(/^serial_no = \d+\n/m, ''));
      await waitFor(async () => (await real(backends[1]!.host))?.weight === 2, { message: 'the agent back at weight 2' });
      const audit = (await readFile(join(h.root, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string; client: string });
      assert.ok(audit.some((l) => l.action === 'roll back (not confirmed within 3 s): edit real server b of web' && l.client === 'console'), JSON.stringify(audit));
    });

    test('DRAIN to zero with live connections, then DEACTIVATE', { skip, timeout: 120_000 }, async (t) => {
      const { h, backends, vip, vport, real } = await setUp(t);
      const conns: LineClient[] = [];
      t.after(() => conns.forEach((c) => c.close()));
      const onA: LineClient[] = [];
      for (let i = 0; i < 4; i++) {
        const c = new LineClient(vip, vport);
        conns.push(c);
        if ((await c.next()) === 'a') onA.push(c);
      }
      assert.ok(onA.length >= 1);
      const page = await (await browse(t)).newPage();
      await page.goto(`${h.url}/secure/virtual/0/real`);
      await page.getByLabel('select a').check();
      await page.getByRole('button', { name: 'DRAIN' }).click();
      await page.getByRole('heading', { name: 'DRAIN REAL SERVER' }).waitFor();
      await page.getByRole('button', { name: 'DRAIN', exact: true }).click();
      await page.locator('.flash', { hasText: 'Saved: drain real server a of web' }).waitFor();
      const count = page.locator('#drain-count');
      await waitFor(async () => (await count.textContent()) === String(onA.length), { message: `the page shows ${onA.length} active connections` });
      await waitFor(async () => (await real(backends[0]!.host))?.weight === 0, { message: 'a at weight 0' });
      // The open connections still work while the count is shown.
      assert.equal(await onA[0]!.say('ping'), 'a:ping');
      assert.equal(await page.getByRole('button', { name: 'DEACTIVATE' }).count(), 0);
      // They end; the page follows on its own (htmx, or its refresh without JavaScript).
      for (const c of onA) c.close();
      await page.locator('#drain-count', { hasText: /^0$/ }).waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'DEACTIVATE' }).click();
      await page.locator('.flash', { hasText: 'Saved: deactivate real server a of web (drained)' }).waitFor();
      await page.locator('tr', { hasText: backends[0]!.host }).locator('td.state-down', { hasText: 'down' }).waitFor();
      await waitFor(async () => (await real(backends[0]!.host)) === undefined, { message: 'a left the table' });
    });
  });
}
