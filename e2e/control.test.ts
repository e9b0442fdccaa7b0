// CONTROL/MONITORING in Chromium against a real agent process on loopback: daemon status, the
// routing table, the checkers, "check now" with its transcript, auto update by htmx polling, and
// STOP / START. Then the agent goes away and the panel says why while the console keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnAgent } from '../testing/agent.ts';
import { useBrowser } from '../testing/browser.ts';
import { startConsole } from '../testing/console.ts';
import { writeLvsCf } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { startReplyServer } from '../testing/traffic.ts';

const chrome = useBrowser();
const missing = chrome.missing;

test('CONTROL/MONITORING against the real agent', { skip: missing ?? false, timeout: 90_000 }, async (t) => {
  const [vip, r1, r2] = [loopback(), loopback(), loopback()];
  const vport = await freePort(vip);
  const rport = await freePort(r1);
  const servers = [await startReplyServer(r1, rport, 'HTTP/1.0 200 OK\r\n\r\none'), await startReplyServer(r2, rport, 'HTTP/1.0 200 OK\r\n\r\ntwo')];
  t.after(() => servers.forEach((s) => s.close()));
  const lvs = `serial_no = 5\nprimary = 127.0.0.1\nnetwork = direct\nvirtual web {\n     active = 1\n     address = ${vip} lo\n     port = ${vport}\n     send = "GET / HTTP/1.0\\r\\n\\r\\n"\n     expect = "HTTP"\n     scheduler = rr\n     protocol = tcp\n     timeout = 2\n     reentry = 2\n     server one {\n         address = ${r1}\n         active = 1\n         port = ${rport}\n         weight = 1\n     }\n     server two {\n         address = ${r2}\n         active = 1\n         port = ${rport}\n         weight = 1\n     }\n}\n`;
  const h = await startConsole({ agentInRoot: true, prepare: (root) => writeLvsCf(root, lvs) });
  t.after(() => h.close());
  const agent = await spawnAgent({ root: h.root, socket: join(h.root, 'agent.sock') });
  t.after(() => agent.stop());

  const page = await chrome.page(t);
  await page.goto(h.url + '/secure/control');
  await page.getByRole('cell', { name: 'running' }).waitFor();
  const routing = page.locator('table.routing');
  await routing.getByText(`${vip}:${vport}`).waitFor();

  // Auto update every second through htmx: the "Updated" line changes without a page load.
  await page.getByLabel('Auto update').check();
  await page.getByLabel('Update frequency in seconds').fill('1');
  await page.getByRole('button', { name: 'Update information now' }).click();
  await page.locator('#control-live[hx-trigger="every 1s"]').waitFor();
  const first = await page.locator('p.updated').textContent();
  await page.waitForFunction((prev) => document.querySelector('p.updated')?.textContent !== prev, first, { timeout: 10_000 });

  // Both checkers report up, then "check now" shows the transcript.
  await page.locator('table.checkers td.state-up').nth(1).waitFor({ timeout: 20_000 });
  // The table follows a check's verdict a moment later (the director applies it): wait for both rows.
  await page.locator('table.routing tr.real', { hasText: `${r1}:${rport}` }).waitFor();
  await page.locator('table.routing tr.real', { hasText: `${r2}:${rport}` }).waitFor();
  assert.match((await page.locator('table.routing').textContent()) ?? '', new RegExp(`-> ${r1.replace(/\./g, '\\.')}:${rport}\\s*Route\\s*1`));
  await page.locator('tr', { hasText: 'web / two' }).getByRole('button', { name: 'check now' }).click();
  const transcript = page.locator('.transcript');
  await transcript.waitFor();
  const tt = (await transcript.textContent()) ?? '';
  assert.match(tt, /Check of two in web: UP/);
  assert.match(tt, /GET \/ HTTP\/1\.0/);
  assert.match(tt, /HTTP\/1\.0 200 OK/);

  await page.getByRole('button', { name: 'STOP' }).click();
  await page.locator('.flash', { hasText: 'STOP: LVS is now stopped' }).waitFor();
  await page.getByRole('button', { name: 'START' }).click();
  await page.locator('.flash', { hasText: 'START: LVS is now running' }).waitFor();

  // The agent goes away: the panel says why, the other panels still work.
  await agent.stop();
  await page.goto(h.url + '/secure/control');
  await page.getByText(/The agent is not reachable at .*agent\.sock/).waitFor();
  await page.getByRole('link', { name: 'VIRTUAL SERVERS' }).click();
  await page.getByRole('cell', { name: 'web', exact: true }).waitFor();
});
