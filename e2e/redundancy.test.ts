// REDUNDANCY's "Router status" in Chromium against a real pair of agents on loopback (see
// pairCf in testing/lvs-cf.ts): this router's role and state, the partner, the no-key warning; htmx
// refreshes the section, so the backup's death shows without a reload; CONTROL/MONITORING says which
// router is active. With JavaScript off the same status is on the page. The connection sync fields
// (syncdaemon, syncd_iface, syncd_id) are set, refused when incomplete, and shown again after a load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnAgent } from '../testing/agent.ts';
import { useBrowser } from '../testing/browser.ts';
import { PASSWORD, startConsole } from '../testing/console.ts';
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

for (const js of [true, false]) {
  test(`REDUNDANCY's connection sync fields (syncdaemon, syncd_iface, syncd_id) in Chromium, JavaScript ${js ? 'on' : 'off'}`, { skip: missing ?? false, timeout: 60_000 }, async (t) => {
    const lvs = pairCf({ serial: 4, backup: loopback(), port: 1539, vip: loopback() });
    const h = await startConsole({ prepare: (root) => writeLvsCf(root, lvs) });
    t.after(() => h.close());
    const context = await chrome.browser.newContext({ httpCredentials: { username: 'piranha', password: PASSWORD }, javaScriptEnabled: js });
    t.after(() => context.close());
    const page = await context.newPage();
    const accept = () => page.getByRole('button', { name: 'ACCEPT', exact: true }).click();
    await page.goto(h.url + '/secure/redundancy');
    assert.equal(await page.getByLabel('Use sync daemon').isChecked(), false, 'no syncdaemon line: the daemon is off');

    // The daemon without an interface: the field says what is missing, and lvs.cf is untouched.
    await page.getByLabel('Use sync daemon').check();
    await page.getByLabel('Sync daemon interface').fill('');
    await accept();
    await page.locator('#err-syncd_iface', { hasText: 'Required when the sync daemon is used' }).waitFor();
    assert.equal(await h.lvs(), lvs);

    // An ID out of range is refused the same way.
    await page.getByLabel('Sync daemon interface').fill('eth1');
    await page.getByLabel('Sync daemon ID').fill('256');
    await accept();
    await page.locator('#err-syncd_id', { hasText: 'between 0 and 255' }).waitFor();
    assert.equal(await h.lvs(), lvs);

    // On, on eth1, ID 7: saved as the original's lvs.cf has them, and shown so on a fresh load.
    await page.getByLabel('Use sync daemon').check();
    await page.getByLabel('Sync daemon interface').fill('eth1');
    await page.getByLabel('Sync daemon ID').fill('7');
    await accept();
    await page.locator('.flash', { hasText: '(lvs.cf serial 5)' }).waitFor({ timeout: 15_000 });
    const saved = await h.lvs();
    for (const line of ['syncdaemon = 1', 'syncd_iface = eth1', 'syncd_id = 7']) assert.match(saved, new RegExp(`^${line}$`, 'm'));
    await page.goto(h.url + '/secure/redundancy');
    assert.equal(await page.getByLabel('Use sync daemon').isChecked(), true);
    assert.equal(await page.getByLabel('Sync daemon interface').inputValue(), 'eth1');
    assert.equal(await page.getByLabel('Sync daemon ID').inputValue(), '7');

    // Off again: syncdaemon = 0, the interface and ID kept for the next time.
    await page.getByLabel('Use sync daemon').uncheck();
    await accept();
    await page.locator('.flash', { hasText: '(lvs.cf serial 6)' }).waitFor({ timeout: 15_000 });
    assert.match(await h.lvs(), /^syncdaemon = 0$/m);
    assert.match(await h.lvs(), /^syncd_iface = eth1$/m);
  });
}
