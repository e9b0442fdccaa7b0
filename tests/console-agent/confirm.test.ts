// Apply with confirmation, against the real agent process: a change not confirmed in time returns
// by itself (lvs.cf and the agent's table), as a new audited version; CONFIRM keeps it; ROLL BACK
// NOW undoes every save made in the window (one host's page's too); a hand edit in the window does
// not stop the roll back, and is itself kept in history/. The console's restart is in confirm-restart.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigStore, versionOf } from '../../server/config-store.ts';
import { follow, makeConsole } from '../../testing/console.ts';
import { waitFor } from '../../testing/wait.ts';
import { agentRunningWeb, webOfTwo } from '../../testing/web-service.ts';

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/\s+/g, ' ');
}

async function setUp(t: import('node:test').TestContext, windows = [2, 60]) {
  const { backends, lvs } = await webOfTwo(t, { weight: (i) => 3 + i });
  const c = await makeConsole(t, { lvs, agentInRoot: true, confirmWindows: windows });
  const { client } = await agentRunningWeb(t, c.root);
  // In the order of the backends (the table's order follows which check passed first).
  const weights = async () => {
    const reals = (await client.call('table', {})).services[0]?.reals ?? [];
    return backends.flatMap((b) => reals.filter((r) => r.address === b.host).map((r) => r.weight));
  };
  const setWeight = (server: number, weight: number, confirm = '') => {
    const b = backends[server]!;
    return c.submit(`/secure/virtual/0/real/${server}/edit`, `/secure/virtual/0/real/${server}/edit`, { name: b.name, address: b.host, port: String(b.port), weight: String(weight), confirm });
  };
  const audit = async () => (await readFile(join(c.root, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { c, lvs, weights, setWeight, audit, backends };
}

/** lvs.cf without its serial line: what a roll back must give back. */
const body = (s: string) => s.replace(/^serial_no = \d+\n/m, '');

test('not confirmed in time: lvs.cf and the agent return by themselves, as a new audited version', async (t) => {
  const { c, lvs, weights, setWeight, audit } = await setUp(t, [3, 60]);
  const res = await setWeight(0, 0, '3');
  const page = text((await follow(c, res)).body);
  assert.match(page, /Saved: edit real server a of web \(lvs\.cf serial 4\)/);
  assert.match(page, /Applied with confirmation: CONFIRM within 3 s \(before \d\d:\d\d:\d\d UTC\), or lvs\.cf and the agent return to serial 3 by themselves/);
  assert.match(page, /The agent reloaded lvs\.cf \(serial 4, 1 table change\)/, 'the change reached the agent');
  // The window shows on every page (until it closes).
  const other = text((await c.get('/secure/global')).body);
  assert.ok(/A change waits for confirmation: edit real server a of web/.test(other) || /rolled back/.test(await c.lvs()), other);

  // Nobody confirms.
  await waitFor(async () => /^serial_no = 5$/m.test(await c.lvs()), { timeoutMs: 20_000, message: 'lvs.cf was not rolled back' });
  assert.equal(body(await c.lvs()), body(lvs));
  await waitFor(async () => (await weights()).join() === '3,4', { message: 'the agent did not return to the previous weights' });
  const lines = await audit();
  const rollback = lines.find((l) => String(l.action).startsWith('roll back'));
  assert.ok(rollback, JSON.stringify(lines));
  assert.equal(rollback.action, 'roll back (not confirmed within 3 s): edit real server a of web');
  assert.equal(rollback.client, 'console');
  assert.deepEqual(rollback.serial, [4, 5]);
  assert.deepEqual(rollback.changes, [{ line: 1, removed: 'serial_no = 4\n', inserted: 'serial_no = 5\n' }, { line: 24, removed: '         weight = 0\n', inserted: '         weight = 3\n' }]);
  assert.ok(lines.indexOf(rollback) < lines.findLastIndex((l) => l.action === 'agent reload after save'), 'the agent was reloaded after the roll back');
  // Every version is in history/: the one before the change, the unconfirmed one, the roll back.
  const history = await new ConfigStore(c.root).history.list();
  assert.deepEqual(history.map((h) => h.serial), [5, 4, 3]);
  const control = text((await c.get('/secure/control')).body);
  assert.match(control, /Last change applied with confirmation \(edit real server a of web\): rolled back at .* Rolled back \(not confirmed within 3 s\): lvs\.cf holds the configuration of serial 3 again, saved as serial 5\. The agent reloaded lvs\.cf/);
  assert.doesNotMatch(control, /A change waits for confirmation/);
});

test('CONFIRM keeps the change; ROLL BACK NOW undoes every save made in the window', async (t) => {
  const { c, lvs, weights, setWeight, audit } = await setUp(t, [60]);
  await follow(c, await setWeight(0, 1, '60'));
  let page = (await c.get('/secure/control')).body;
  assert.match(text(page), /A change waits for confirmation: edit real server a of web \(by 127\.0\.0\.1\)\. Unless it is confirmed, lvs\.cf and the agent return to serial 3 at \d\d:\d\d:\d\d UTC \( ?(\d+ s|1 min) left\)/);
  const id = /name="id" value="([^"]+)"/.exec(page)![1]!;
  const confirmed = await c.submit('/secure/control', '/secure/confirm', { id, action: 'confirm', back: '/secure/control' });
  assert.match(text((await follow(c, confirmed)).body), /Confirmed by 127\.0\.0\.1: lvs\.cf stays at serial 4/);
  assert.equal((await audit()).filter((l) => String(l.action).startsWith('confirm change')).length, 1);
  // A second CONFIRM of the same window is told it is over.
  const again = await c.submit('/secure/control', '/secure/confirm', { id, action: 'confirm' });
  assert.match(text((await follow(c, again)).body), /That change is no longer waiting for confirmation/);

  // Two saves in one window: the second (without a window of its own) joins the first.
  const before = await c.lvs();
  await follow(c, await setWeight(0, 5, '60'));
  const joined = text((await follow(c, await setWeight(1, 6))).body);
  assert.match(joined, /This save is part of the change waiting for confirmation/);
  await waitFor(async () => (await weights()).join() === '5,6', { message: 'both saves applied' });
  page = (await c.get('/secure/virtual')).body;
  assert.match(text(page), /A change waits for confirmation: edit real server a of web; edit real server b of web/);
  const id2 = /name="id" value="([^"]+)"/.exec(page)![1]!;
  const rolled = await c.submit('/secure/virtual', '/secure/confirm', { id: id2, action: 'rollback', back: '/secure/virtual' });
  assert.equal(rolled.statusCode, 303);
  assert.match(String(rolled.headers.location), /^\/secure\/virtual\?flash=/);
  assert.match(text((await follow(c, rolled)).body), /Rolled back \(ROLL BACK NOW from 127\.0\.0\.1\): lvs\.cf holds the configuration of serial 4 again, saved as serial 7/);
  assert.equal(body(await c.lvs()), body(before));
  assert.notEqual(body(before), body(lvs));
  await waitFor(async () => (await weights()).join() === '1,4', { message: 'the agent back at the confirmed weights' });
});

test('one host taken out everywhere with a confirmation window: ROLL BACK NOW puts it back', async (t) => {
  const { c, lvs, weights, audit, backends } = await setUp(t, [60]);
  const a = backends[0]!.host;
  const res = await c.submit(`/secure/host?address=${a}`, '/secure/host', { address: a, action: 'deactivate', confirm: '60' });
  const page = text((await follow(c, res)).body);
  assert.match(page, new RegExp(`Saved: deactivate real server ${a.replace(/\./g, '\\.')} in 1 virtual server \\(1 real server entry\\): web \\(lvs\\.cf serial 4\\)`));
  assert.match(page, /Applied with confirmation: CONFIRM within 1 min/);
  assert.match(page, /A change waits for confirmation: deactivate real server/);
  assert.match(await c.lvs(), /^ +active = 0$/m);
  await waitFor(async () => (await weights()).join() === '4', { message: 'the host out of the table' });
  const id = /name="id" value="([^"]+)"/.exec((await c.get('/secure/control')).body)![1]!;
  const rolled = await c.submit('/secure/control', '/secure/confirm', { id, action: 'rollback', back: '/secure/control' });
  assert.match(text((await follow(c, rolled)).body), /Rolled back \(ROLL BACK NOW from 127\.0\.0\.1\): lvs\.cf holds the configuration of serial 3 again, saved as serial 5/);
  assert.equal(body(await c.lvs()), body(lvs));
  assert.ok((await audit()).some((l) => String(l.action).startsWith('roll back') && String(l.action).includes(`deactivate real server ${a}`)));
  await waitFor(async () => (await weights()).join() === '3,4', { message: 'the host back at its weight' });
});

test('a hand edit in the window: the roll back restores the version before the window from history/', async (t) => {
  const { c, lvs, setWeight } = await setUp(t, [2]);
  await follow(c, await setWeight(1, 9, '2'));
  const hand = (await c.lvs()).replace('timeout = 1', 'timeout = 3');
  await writeFile(c.lvsPath, hand);
  await waitFor(async () => /^serial_no = 5$/m.test(await c.lvs()), { timeoutMs: 20_000, message: 'no roll back' });
  assert.equal(body(await c.lvs()), body(lvs));
  // The hand edit is not lost: it is the version the roll back replaced.
  assert.equal(await new ConfigStore(c.root).textOf(versionOf(hand)), hand);
});

test('a window the console does not offer is refused and nothing is written', async (t) => {
  const { c, lvs, setWeight } = await setUp(t, [60]);
  const res = await setWeight(0, 2, '5');
  assert.equal(res.statusCode, 400);
  assert.match(text(res.body), /"5" is not one of the confirmation windows offered \(60 seconds\)/);
  assert.equal(await c.lvs(), lvs);
});
