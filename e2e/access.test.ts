// Browser tests of the console's safety nets in Debian's Chromium: a stale edit between two browsers,
// the unsaved-changes warning, a wrong password, and an address outside the allowlist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from '../testing/browser.ts';
import { startConsole } from '../testing/console.ts';

const chrome = useBrowser();
const missing = chrome.missing;

test('a stale edit from a second browser is refused with what changed', { skip: missing ?? false, timeout: 60_000 }, async (t) => {
  const h = await startConsole({ lvs: 'serial_no = 1\nprimary = 10.0.0.1\nnetwork = direct\n' });
  t.after(() => h.close());
  const pa = await chrome.page(t);
  const pb = await chrome.page(t, { javaScript: false });
  await pa.goto(h.url + '/secure/global');
  await pb.goto(h.url + '/secure/global');
  await pa.getByLabel('Primary server public IP').fill('10.0.0.5');
  await pa.getByRole('button', { name: 'ACCEPT' }).click();
  await pa.locator('.flash', { hasText: '(lvs.cf serial 2)' }).waitFor();
  await pb.getByLabel('Primary server public IP').fill('10.0.0.6');
  await pb.getByRole('button', { name: 'ACCEPT' }).click();
  await pb.getByRole('heading', { name: 'lvs.cf changed while you were editing' }).waitFor();
  assert.match((await pb.locator('pre.diff').textContent()) ?? '', /\+\s+2 {2}primary = 10\.0\.0\.5/);
  assert.match(await h.lvs(), /^primary = 10\.0\.0\.5$/m);
  // Reloading shows the other browser's value.
  await pb.getByRole('link', { name: 'Reload the form with the current lvs.cf' }).click();
  assert.equal(await pb.getByLabel('Primary server public IP').inputValue(), '10.0.0.5');
});

test('a wrong password gets 401 and no console page', { skip: missing ?? false, timeout: 60_000 }, async (t) => {
  const h = await startConsole();
  t.after(() => h.close());
  const page = await chrome.page(t, { password: 'not the password' });
  const res = await page.goto(h.url + '/secure/control');
  assert.equal(res?.status(), 401);
  assert.doesNotMatch(await page.content(), /CONTROL\/MONITORING<\/h1>/);
});

test('an address outside the allowlist gets 403 on every page, the welcome page included', { skip: missing ?? false, timeout: 60_000 }, async (t) => {
  // The browser connects from 127.0.0.1; only 127.0.0.2 is allowed.
  const h = await startConsole({ htaccess: 'Order deny,allow\nDeny from all\nAllow from 127.0.0.2\n' });
  t.after(() => h.close());
  const page = await chrome.page(t);
  for (const path of ['/', '/help', '/secure/control']) {
    const res = await page.goto(h.url + path);
    assert.equal(res?.status(), 403, path);
    assert.match(await page.content(), /Access from 127\.0\.0\.1 is not allowed/);
  }
});

test('leaving a panel with unsaved changes asks first (htmx navigation)', { skip: missing ?? false, timeout: 60_000 }, async (t) => {
  const h = await startConsole({ lvs: 'serial_no = 1\nprimary = 10.0.0.1\nnetwork = direct\n' });
  t.after(() => h.close());
  const page = await chrome.page(t);
  await page.goto(h.url + '/secure/global');
  await page.getByLabel('Primary server public IP').fill('10.0.0.9');
  const messages: string[] = [];
  page.once('dialog', (d) => { messages.push(d.message()); void d.dismiss(); });
  await page.getByRole('link', { name: 'VIRTUAL SERVERS' }).click();
  await page.waitForTimeout(300);
  assert.equal(messages.length, 1);
  assert.match(messages[0], /changes that are not saved/);
  // Dismissed: still on the panel with the typed value.
  assert.equal(await page.getByLabel('Primary server public IP').inputValue(), '10.0.0.9');
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('link', { name: 'VIRTUAL SERVERS' }).click();
  await page.getByRole('heading', { name: 'VIRTUAL SERVERS' }).waitFor();
  assert.match(await h.lvs(), /primary = 10\.0\.0\.1/);
});
