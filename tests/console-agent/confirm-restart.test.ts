// The confirmation window belongs to the console process, not to the browser, and survives the
// console itself: piranha-gui runs as its own process, a change is applied with a window, and the
// process is killed (SIGKILL: no chance to clean up). A deadline that passed while it was down is
// carried out when it starts again; a deadline still ahead is shown again and kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AUTH, consoleRoot, spawnConsole, type SpawnedConsole } from '../../testing/console.ts';
import { loopback } from '../../testing/net.ts';
import { sleep, waitFor } from '../../testing/wait.ts';
import { agentRunningWeb, webOfTwo, weightOf } from '../../testing/web-service.ts';

async function setUp(t: import('node:test').TestContext) {
  const { backends, lvs } = await webOfTwo(t, { weight: () => 3 });
  const root = await consoleRoot({ lvs });
  // Every console started is stopped before its root is removed: one still running writes its
  // state there (a roll back at its deadline) and the removal would fail, leaving the processes.
  const guis: SpawnedConsole[] = [];
  t.after(() => Promise.all(guis.map((g) => g.stop('SIGKILL'))));
  t.after(root.remove);
  const { agent, client } = await agentRunningWeb(t, root.root);
  const socket = agent.socket;
  const weight = (host: string) => weightOf(client, host);
  const host = loopback();
  const start = async () => {
    const gui = await spawnConsole(root.root, { host, agentSocket: socket, args: ['--confirm-windows', '4,8'] });
    guis.push(gui);
    return gui;
  };
  const audit = async () => (await readFile(join(root.root, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { action: string });
  return { root, lvs, backends, weight, start, audit };
}

/** A real browser's round trip without a browser: GET the form, POST it with its token and version. */
async function saveWeight(url: string, server: { name: string; host: string; port: number }, weight: number, confirm: string): Promise<string> {
  const form = await (await fetch(`${url}/secure/virtual/0/real/0/edit`, { headers: { authorization: AUTH } })).text();
  const csrf = /name="_csrf" value="([^"]*)"/.exec(form)![1]!;
  const version = /name="version" value="([^"]*)"/.exec(form)![1]!;
  const res = await fetch(`${url}/secure/virtual/0/real/0/edit`, {
    method: 'POST',
    redirect: 'manual',
    headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, version, name: server.name, address: server.host, port: String(server.port), weight: String(weight), confirm }).toString(),
  });
  assert.equal(res.status, 303);
  return (await (await fetch(url + res.headers.get('location')!, { headers: { authorization: AUTH } })).text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

const body = (s: string) => s.replace(/^serial_no = \d+\n/m, '');

test('killed in the window, started after the deadline: the console rolls back as it starts', { timeout: 90_000 }, async (t) => {
  const { root, lvs, backends, weight, start, audit } = await setUp(t);
  const a = backends[0]!;
  let gui = await start();
  const page = await saveWeight(gui.url, a, 0, '4');
  await gui.stop('SIGKILL');
  assert.match(page, /Applied with confirmation: CONFIRM within 4 s/);
  assert.match(page, /The agent reloaded lvs\.cf \(serial 4, 1 table change\)/);
  // The deadline passes while no console runs: nothing can roll back yet.
  await sleep(5000);
  assert.match(await root.lvs(), /weight = 0/);
  assert.equal(await weight(a.host), 0);
  gui = await start();
  await waitFor(async () => /^serial_no = 5$/m.test(await root.lvs()), { timeoutMs: 20_000, message: 'no roll back at start' });
  assert.equal(body(await root.lvs()), body(lvs));
  await waitFor(async () => (await weight(a.host)) === 3, { message: 'the agent back at weight 3' });
  assert.ok((await audit()).some((l) => l.action === 'roll back (not confirmed within 4 s): edit real server a of web'));
});

test('killed and started again within the window: the window is shown again and rolls back at its deadline', { timeout: 90_000 }, async (t) => {
  const { root, lvs, backends, weight, start, audit } = await setUp(t);
  const a = backends[0]!;
  let gui = await start();
  await saveWeight(gui.url, a, 1, '8');
  await gui.stop('SIGKILL');
  gui = await start();
  const control = (await (await fetch(`${gui.url}/secure/control`, { headers: { authorization: AUTH } })).text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  // Unless the machine was too slow to restart within 8 s, the window is still open.
  if (!/^serial_no = 5$/m.test(await root.lvs())) assert.match(control, /A change waits for confirmation: edit real server a of web/);
  await waitFor(async () => /^serial_no = 5$/m.test(await root.lvs()), { timeoutMs: 30_000, message: 'no roll back after the restart' });
  assert.equal(body(await root.lvs()), body(lvs));
  await waitFor(async () => (await weight(a.host)) === 3, { message: 'the agent back at weight 3' });
  assert.equal((await audit()).filter((l) => l.action.startsWith('roll back')).length, 1);
});
