// REDUNDANCY's "Router status" in Chromium against a real pair of agents on loopback (see
// pairCf in testing/lvs-cf.ts): this router's role and state, the partner, the no-key warning; htmx
// refreshes the section, so the backup's death shows without a reload; CONTROL/MONITORING says which
// router is active. With JavaScript off the same status is on the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnAgent } from '../testing/agent.ts';
import { useBrowser } from '../testing/browser.ts';
import { startConsole } from '../testing/console.ts';
import { pairCf, writeLvsCf } from '../testing/lvs-cf.ts';
import { heartbeatPort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { waitFor } from '../testing/wait.ts';

const chrome = useBrowser();
const missing = chrome.missing;

test('REDUNDANCY router status against a real pair, live by htmx, and without JavaScript', { skip: missing ?? false, timeout: 90_000 }, async (t) => {
  const backupAddr = loopback();
  const port = await heartbeatPort('127.0.0.1', backupAddr);
  const vip = loopback();
  const lvs = pairCf({ serial: 5, backup: backupAddr, port, vip });
  const h = await startConsole({ agentInRoot: true, prepare: (root) => writeLvsCf(root, lvs) });
  t.after(() => h.close());
  const broot = await tempRoot('piranha-e2e-ha-b-');
  t.after(() => broot.remove());
  await writeLvsCf(broot.root, lvs);
  const primary = await spawnAgent({ root: h.root, socket: join(h.root, 'agent.sock'), args: ['--node', 'primary'] });
  t.after(() => primary.stop());
  const backup = await spawnAgent({ root: broot.root, socket: broot.socket, args: ['--node', 'backup'] });
  t.after(() => backup.stop('SIGKILL'));
  await waitFor(
    async () => {
      const c = await primary.client();
      try {
        const ha = await c.call('haStatus', {});
        return ha?.state === 'active' && ha.partner?.state === 'standby';
      } finally {
        c.close();
      }
    },
    { timeoutMs: 20_000, message: 'the primary to be active with its backup standby' },
  );

  const page = await chrome.page(t);
  const errors: string[] = [];
  // Chromium logs the favicon's 404 as "Failed to load resource"; anything else (a CSP refusal, a script error) fails.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(h.url + '/secure/redundancy');
  const status = page.locator('#ha-status');
  await status.getByRole('heading', { name: 'Router status' }).waitFor();
  await status.locator('table.ha-this td', { hasText: 'primary, ACTIVE' }).waitFor();
  await status.getByText('No heartbeat key: anyone on the network can force a failover.').waitFor();
  const partner = status.locator('table.ha-partner');
  assert.match((await partner.textContent()) ?? '', new RegExp(`${backupAddr.replace(/\./g, '\\.')}[\\s\\S]*standby[\\s\\S]*(just now|\\d+ s ago)`));

  // htmx replaces the section every 5 s: the backup's death appears without a page load.
  const navigations: string[] = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
  await backup.stop('SIGKILL');
  await partner.getByText('dead: no heartbeat within deadtime').waitFor({ timeout: 20_000 });
  assert.deepEqual(navigations, [], 'the status changed by an htmx swap, not a reload');
  await page.locator('#ha-status[hx-trigger="every 5s"]').waitFor();

  await page.getByRole('link', { name: 'CONTROL/MONITORING' }).click();
  await page.locator('.ha-summary', { hasText: 'This router: primary, ACTIVE' }).waitFor();
  assert.deepEqual(errors, [], 'no CSP violation or script error');

  // Without JavaScript the status is part of the page.
  const plain = await chrome.page(t, { javaScript: false });
  await plain.goto(h.url + '/secure/redundancy');
  await plain.locator('#ha-status table.ha-this', { hasText: 'primary, ACTIVE' }).waitFor();
  await plain.getByText('No heartbeat key: anyone on the network can force a failover.').waitFor();
  await plain.locator('#ha-status table.ha-partner', { hasText: 'dead: no heartbeat within deadtime' }).waitFor();
});
