// Seeing into the router in Chromium, with JavaScript on and off, against the real console and
// agent: a real server's check history reached from CONTROL/MONITORING and growing in place, the
// traffic sparklines drawn and moving with real connections, and the watchdog's notice when the
// agent is stopped (SIGSTOP) and its going away when the agent answers again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser } from '../testing/browser.ts';
import { askHttp, observeBench, type ObserveBench } from '../testing/observe.ts';
import { waitFor } from '../testing/wait.ts';

const chrome = useBrowser();
const skip = chrome.missing ?? false;
let b: ObserveBench;
before(async () => {
  if (!chrome.missing) b = await observeBench();
});
after(() => b?.close());

test('JavaScript on: the history link, results added in place, sparklines moving with connections', { skip, timeout: 90_000 }, async (t) => {
  const page = await chrome.page(t);
  await page.goto(b.gui.url + '/secure/control');
  await page.locator('table.checkers tr', { hasText: 'web / ok' }).getByRole('link', { name: 'history' }).click();
  await page.getByRole('heading', { name: 'CHECKS OF ok IN web' }).waitFor();
  assert.match((await page.locator('table.kv').textContent()) ?? '', /Expects\s*HTTP\/1\.0 200/);
  // htmx swaps the history in: the page is not reloaded (the marker stays) and rows are added.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  const rows = await page.locator('table.check-results tbody tr td.verdict-up').count();
  await page.waitForFunction((n) => document.querySelectorAll('table.check-results tbody tr td.verdict-up').length > n, rows, { timeout: 20_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 1, 'updated without a reload');

  await page.goto(b.gui.url + '/secure/control');
  await page.getByRole('heading', { name: 'TRAFFIC, LAST 10 MINUTES' }).waitFor();
  const charts = page.locator('#traffic svg.spark');
  await waitFor(async () => (await charts.count()) === 3, { message: 'three sparklines of the service' });
  assert.ok(await page.getByRole('img', { name: /^bytes per second of web/ }).isVisible());
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 2));
  for (let i = 0; i < 5; i++) await askHttp(b.vip.host, b.vip.port);
  // The chart of new connections per second rises (its maximum over the ten minutes is kept).
  const cps = page.locator('#traffic tr.service svg.spark').nth(1);
  await waitFor(async () => Number(await cps.getAttribute('data-max')) > 0, { timeoutMs: 20_000, message: 'the chart of new connections rose' });
  assert.match((await page.locator('#traffic tr.service td.now').textContent()) ?? '', /\d+ active, \d+ inactive, [\d.]+ conn\/s, [\d.]+ (k|M)?B\/s/);
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 2, 'updated without a reload');
});

test('JavaScript off: the same history and sparklines as plain pages that refresh themselves', { skip, timeout: 90_000 }, async (t) => {
  const page = await chrome.page(t, { javaScript: false });
  await page.goto(b.gui.url + '/secure/control');
  assert.equal(await page.locator('#traffic svg.spark').count(), 3);
  await page.locator('#traffic').getByRole('link', { name: 'real servers' }).click();
  await page.getByRole('heading', { name: 'TRAFFIC OF THE REAL SERVERS' }).waitFor();
  assert.equal(await page.locator('#traffic svg.spark').count(), 6, 'the service and its real server');
  await page.goto(b.gui.url + '/secure/control');
  await page.locator('table.checkers tr', { hasText: 'web / dead' }).getByRole('link', { name: 'history' }).click();
  await page.getByRole('heading', { name: 'CHECKS OF dead IN web' }).waitFor();
  assert.match((await page.locator('table.kv').textContent()) ?? '', /State\s*down\s*Last change\s*\S+: connect ECONNREFUSED/);
  // The page reloads itself (meta refresh inside <noscript>) with the newer results.
  const firstTime = await page.locator('table.check-results tbody tr').first().locator('td').first().textContent();
  await waitFor(async () => (await page.locator('table.check-results tbody tr').first().locator('td').first().textContent()) !== firstTime, { timeoutMs: 20_000, message: 'the history page refreshed with a newer result' });
  // The REAL SERVER panel shows the same block.
  await page.goto(b.gui.url + '/secure/virtual/0/real/1/edit');
  await page.getByRole('heading', { name: 'CHECKS OF dead IN web' }).waitFor();
});

test('an agent stopped with SIGSTOP: the notice on every page, CONTROL says since when, gone after SIGCONT', { skip, timeout: 90_000 }, async (t) => {
  const page = await chrome.page(t);
  t.after(() => void b.agent.child.kill('SIGCONT'));
  await page.goto(b.gui.url + '/secure/control?auto_update=1&rate=1');
  await page.locator('table.routing').waitFor();
  b.agent.child.kill('SIGSTOP');
  // The live part, refreshed every second, says so without a reload.
  await page.getByText(/No answer since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/).waitFor({ timeout: 20_000 });
  await page.goto(b.gui.url + '/secure/global');
  const notice = page.getByRole('alert').filter({ hasText: 'has not answered since' });
  await notice.waitFor();
  assert.match((await notice.textContent()) ?? '', /The agent at \S+agent\.sock has not answered since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ s\)/);
  b.agent.child.kill('SIGCONT');
  await waitFor(async () => {
    await page.reload();
    return (await notice.count()) === 0;
  }, { timeoutMs: 20_000, message: 'the notice goes when the agent answers again' });
});
