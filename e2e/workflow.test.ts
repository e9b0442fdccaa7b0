// The manual's chapter-4 workflow, driven through the browser exactly as an administrator would:
// log in, global settings, enable redundancy, add a virtual server with every field, two real
// servers, monitoring scripts, activate, deactivate, edit, delete. Run with JavaScript on (htmx
// boosted navigation, partial swaps) and off (plain forms, POST then redirect), side by side.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { useBrowser } from '../testing/browser.ts';
import { type Harness, startConsole } from '../testing/console.ts';
import { SAMPLE_REALS } from '../testing/lvs-cf.ts';

/** Waits for the flash that a save with this serial produces (unique per save, so never stale). */
async function saved(page: Page, serial: number, also?: RegExp): Promise<string> {
  const flash = page.locator('.flash', { hasText: `(lvs.cf serial ${serial})` });
  await flash.waitFor({ timeout: 15_000 });
  const text = (await flash.textContent()) ?? '';
  if (also) assert.match(text, also);
  return text;
}

async function accept(page: Page) {
  await page.getByRole('button', { name: 'ACCEPT', exact: true }).click();
}

// No `network` line: NAT is the daemons' default when the key is absent, so choosing NAT on an
// empty file changes nothing there. The real servers added are the sample file's two.
const EXPECTED_AFTER_ACTIVATE = `serial_no = 13
primary = 10.0.0.1
primary_private = 10.1.0.1
backup_active = 1
backup = 10.0.0.2
backup_private = 10.1.0.2
heartbeat = 1
keepalive = 3
deadtime = 12
nat_router = 10.1.0.254 eth1:1
nat_nmask = 255.255.255.0
tcp_timeout = 900
tcpfin_timeout = 120
udp_timeout = 300
virtual web_farm {
     active = 1
     address = 192.168.1.100 eth0:1
     sorry_server = 192.168.1.99
     vip_nmask = 255.255.255.0
     port = 80
     persistent = 300
     pmask = 255.255.255.0
     send = "GET / HTTP/1.0\\r\\n\\r\\n"
     expect = "HTTP"
     use_regex = 0
     load_monitor = none
     scheduler = wrr
     protocol = tcp
     timeout = 6
     reentry = 15
     quiesce_server = 1
${SAMPLE_REALS}}
`;

async function chapter4Workflow(page: Page, h: Harness): Promise<void> {
  // Welcome page → Login (the browser context carries the HTTP credentials).
  await page.goto(h.url + '/');
  await page.getByRole('button', { name: 'Login' }).click();
  await page.getByRole('heading', { name: 'CONTROL/MONITORING' }).waitFor();

  // GLOBAL SETTINGS
  await page.getByRole('link', { name: 'GLOBAL SETTINGS' }).click();
  await page.getByRole('heading', { name: 'GLOBAL SETTINGS' }).waitFor();
  await page.getByLabel('Primary server public IP').fill('10.0.0.1');
  await page.getByLabel('Primary server private IP').fill('10.1.0.1');
  await page.getByLabel('NAT', { exact: true }).check();
  await page.getByLabel('NAT Router IP').fill('10.1.0.254');
  await page.getByLabel('NAT Router netmask').selectOption('255.255.255.0');
  await page.getByLabel('NAT Router device').fill('eth1:1');
  await page.getByLabel('TCP timeout (seconds)').fill('900');
  await page.getByLabel('TCP FIN timeout (seconds)').fill('120');
  await page.getByLabel('UDP timeout (seconds)').fill('300');
  await accept(page);
  await saved(page, 1, /global settings/);
  assert.match(await h.lvs(), /^nat_router = 10\.1\.0\.254 eth1:1$/m);

  // A wrong value is shown beside its field and nothing is written.
  const before = await h.lvs();
  await page.getByLabel('Primary server public IP').fill('10.0.0.999');
  await accept(page);
  await page.locator('#err-primary', { hasText: 'Not an IPv4 address' }).waitFor();
  assert.equal(await h.lvs(), before);
  await page.getByLabel('Primary server public IP').fill('10.0.0.1');
  await accept(page);
  await page.locator('.flash', { hasText: 'Nothing changed' }).waitFor();

  // REDUNDANCY: ENABLE asks for the backup's addresses, ACCEPT enables it.
  await page.getByRole('link', { name: 'REDUNDANCY' }).click();
  await page.getByRole('button', { name: 'ENABLE' }).click();
  await page.getByLabel('Redundant server public IP').fill('10.0.0.2');
  await page.getByLabel('Redundant server private IP').fill('10.1.0.2');
  await page.getByLabel('Heartbeat Interval (seconds)').fill('3');
  await page.getByLabel('Assume dead after (seconds)').fill('12');
  await accept(page);
  await saved(page, 2, /enable backup/);
  await page.locator('.backup-status', { hasText: 'Backup: active' }).waitFor();

  // VIRTUAL SERVERS → ADD opens the new virtual server.
  await page.getByRole('link', { name: 'VIRTUAL SERVERS' }).click();
  await page.getByRole('button', { name: 'ADD' }).click();
  await saved(page, 3, /Added the virtual server new_virtual/);
  await page.getByLabel('Name').fill('web farm');
  await page.getByLabel('Application port').fill('80');
  await page.getByLabel('Protocol').selectOption('tcp');
  await page.getByLabel('Virtual IP Address').fill('192.168.1.100');
  await page.getByLabel('Virtual IP Network Mask').selectOption('255.255.255.0');
  await page.getByLabel('Sorry Server').fill('192.168.1.99');
  await page.getByLabel('Firewall Mark').fill('');
  await page.getByLabel('Device').fill('eth0:1');
  await page.getByLabel('Re-entry Time (seconds)').fill('15');
  await page.getByLabel('Service Timeout (seconds)').fill('6');
  await page.getByLabel('Yes').check();
  await page.getByLabel('Load monitoring tool').selectOption('none');
  await page.getByLabel('Scheduling').selectOption('wrr');
  await page.getByLabel('Persistence (seconds)').fill('300');
  await page.getByLabel('Persistence Network Mask').selectOption('255.255.255.0');
  await accept(page);
  await saved(page, 4, /"web farm" was saved as "web_farm"/);

  // REAL SERVER: two servers, then activate both.
  await page.getByRole('link', { name: 'REAL SERVER', exact: true }).click();
  for (const [i, name, address, port, weight] of [[5, 'r1', '192.168.1.11', '', '1'], [7, 'r2', '192.168.1.12', '8080', '2']] as const) {
    await page.getByRole('button', { name: 'ADD' }).click();
    await saved(page, i, /Added the real server/);
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Address').fill(address);
    await page.getByLabel('Port').fill(port);
    await page.getByLabel('Weight').fill(weight);
    await accept(page);
    await saved(page, i + 1);
    await page.getByRole('cell', { name, exact: true }).waitFor();
  }
  await page.getByLabel('select r1').check();
  await page.getByRole('button', { name: '(DE)ACTIVATE' }).click();
  await saved(page, 9, /activate real server r1/);
  await page.getByLabel('select r2').check();
  await page.getByRole('button', { name: '(DE)ACTIVATE' }).click();
  await saved(page, 10, /activate real server r2/);

  // MONITORING SCRIPTS
  await page.getByRole('link', { name: 'MONITORING SCRIPTS' }).click();
  await page.getByLabel('Send', { exact: true }).fill('GET / HTTP/1.0\\r\\n\\r\\n');
  await page.getByLabel('Expect', { exact: true }).fill('HTTP');
  await accept(page);
  await page.locator('.flash', { hasText: /Nothing changed|serial 11/ }).waitFor();
  // The defaults of a new virtual server already were this send/expect; make a real change.
  await page.getByLabel('Sending Program').fill('/usr/local/bin/check %h');
  await accept(page);
  await saved(page, 11, /monitoring scripts/);
  await page.getByRole('button', { name: 'NO SEND PROGRAM' }).click();
  await saved(page, 12);
  assert.doesNotMatch(await h.lvs(), /send_program/);

  // Activate the virtual server: now the whole file is known byte for byte.
  await page.getByRole('link', { name: 'VIRTUAL SERVERS' }).click();
  await page.getByLabel('select web_farm').check();
  await page.getByRole('button', { name: '(DE)ACTIVATE' }).click();
  await saved(page, 13, /activate virtual server web_farm/);
  await page.locator('tr', { hasText: 'web_farm' }).locator('td.state-up').waitFor();
  assert.equal(await h.lvs(), EXPECTED_AFTER_ACTIVATE);

  // Deactivate, edit, delete.
  await page.getByLabel('select web_farm').check();
  await page.getByRole('button', { name: '(DE)ACTIVATE' }).click();
  await saved(page, 14, /deactivate virtual server web_farm/);
  await page.locator('tr', { hasText: 'web_farm' }).locator('td.state-down').waitFor();
  await page.getByLabel('select web_farm').check();
  await page.getByRole('button', { name: 'EDIT' }).click();
  await page.getByLabel('Application port').fill('8080');
  await accept(page);
  await saved(page, 15, /edit virtual server web_farm/);
  assert.match(await h.lvs(), /^     port = 8080$/m);
  await page.getByRole('link', { name: 'VIRTUAL SERVERS' }).click();
  await page.getByLabel('select web_farm').check();
  await page.getByRole('button', { name: 'DELETE' }).click();
  await saved(page, 16, /delete virtual server web_farm/);
  await page.getByText('No virtual servers yet').waitFor();
  const final = await h.lvs();
  assert.doesNotMatch(final, /virtual /);
  assert.match(final, /^serial_no = 16$/m);
}

const chrome = useBrowser();

describe('chapter-4 workflow', { concurrency: 2 }, () => {
  for (const js of [true, false]) {
    test(`chapter-4 workflow with JavaScript ${js ? 'on' : 'off'}`, { skip: chrome.missing ?? false, timeout: 120_000 }, async (t) => {
      const h = await startConsole();
      t.after(() => h.close());
      const page = await chrome.page(t, { javaScript: js });
      const errors: string[] = [];
      // HTTP statuses the workflow provokes on purpose (422 for a bad value, 404 favicon) are logged
      // by Chromium as "Failed to load resource"; anything else (a CSP refusal, a script error) fails.
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await chapter4Workflow(page, h);
      // No CSP violation or script error along the way.
      assert.deepEqual(errors, []);
    });
  }
});
