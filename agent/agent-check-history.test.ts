// Check histories over the socket, from the real agent process checking real servers on
// 127.0.0.0/8: a send/expect check's sent and received bytes, a send_program's exit status and
// output, a failing server's errors, flaps and the reason of its last change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { spawnAgent, type SpawnedAgent } from '../testing/agent.ts';
import { lvsCf, writeLvsCf } from '../testing/lvs-cf.ts';
import { freePort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { startReplyServer } from '../testing/traffic.ts';
import { waitFor } from '../testing/wait.ts';
import type { AgentClient } from './client.ts';
import { AgentError } from './client.ts';
import type { CheckHistoryResult } from './protocol/index.ts';

const cleanup: (() => Promise<unknown>)[] = [];
let agent: SpawnedAgent;
let client: AgentClient;
let web: Server;
let webAt: { host: string; port: number };
let root: string;

before(async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  webAt = { host: loopback(), port: 0 };
  webAt.port = await freePort(webAt.host);
  web = await startReplyServer(webAt.host, webAt.port, 'HTTP/1.0 200 OK\r\nServer: test\r\n\r\nhello');
  const program = join(t.root, 'check.sh');
  // Exits 3 (down) while a flag file exists, else 0 with one line of output.
  await writeFile(program, `#!/bin/sh\necho "checked $1:$2"\n[ -e ${join(t.root, 'fail')} ] && exit 3\nexit 0\n`);
  await chmod(program, 0o755);
  const vips = [loopback(), loopback()];
  const deadHost = loopback();
  await writeLvsCf(
    t.root,
    lvsCf({
      virtuals: [
        {
          name: 'web', vip: vips[0]!, port: await freePort(vips[0]!), send: 'GET / HTTP/1.0\\r\\n\\r\\n', expect: 'HTTP/1.0 200', timeout: 1, reentry: 0,
          servers: [
            { name: 'ok', address: webAt.host, port: webAt.port },
            { name: 'dead', address: deadHost, port: await freePort(deadHost) },
          ],
        },
        { name: 'prog', vip: vips[1]!, port: await freePort(vips[1]!), sendProgram: `${program} %h %p`, timeout: 1, reentry: 0, servers: [{ name: 'p', address: webAt.host, port: webAt.port }] },
      ],
    }),
  );
  cleanup.push(async () => writeFile(join(t.root, 'fail'), ''));
  agent = await spawnAgent({ root: t.root, socket: t.socket });
  cleanup.push(() => agent.stop());
  client = await agent.client();
  root = t.root;
});
after(async () => {
  client?.close();
  await new Promise((r) => web?.close(r));
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

/** The check history of `virtual`/`server` once `holds` is true of it (asked again until then). */
function historyOnce(virtual: string, server: string, holds: (h: CheckHistoryResult) => boolean, message: string): Promise<CheckHistoryResult> {
  return waitFor(async () => {
    const h = await client.call('checkHistory', { virtual, server });
    return holds(h) ? h : null;
  }, { message });
}

test('a send/expect check: what was sent, the first bytes received, latency, newest first', async () => {
  const h = await historyOnce('web', 'ok', (r) => r.results.length >= 2, 'two results for web/ok');
  assert.equal(h.checked, true);
  assert.equal(h.state, 'up');
  assert.equal(h.reason, 'first check passed');
  assert.equal(h.sent, 'GET / HTTP/1.0\\r\\n\\r\\n');
  assert.equal(h.expect, 'HTTP/1.0 200');
  assert.equal(h.address, webAt.host);
  const [newest, older] = h.results;
  assert.ok(Date.parse(newest!.time) >= Date.parse(older!.time), 'newest first');
  assert.equal(newest!.verdict, 'up');
  assert.equal(newest!.received, 'HTTP/1.0 200');
  assert.equal(newest!.error, null);
  assert.equal(newest!.exitCode, null);
  assert.ok(newest!.latencyMs > 0, `a measured latency (${newest!.latencyMs} ms)`);
  const info = (await client.call('checkers', {})).checkers.find((c) => c.server === 'ok')!;
  assert.equal(typeof info.lastLatencyMs, 'number');
});

test('a failing check: the error of each result and why the state changed', async () => {
  const h = await historyOnce('web', 'dead', (r) => r.results.length >= 1, 'a result for web/dead');
  assert.equal(h.state, 'down');
  assert.match(h.reason ?? '', /ECONNREFUSED/);
  assert.equal(h.results[0]!.verdict, 'down');
  assert.match(h.results[0]!.error ?? '', /ECONNREFUSED/);
  assert.ok(h.results[0]!.error!.length <= 64);
});

test('a send_program check: its exit status and output; flaps counted with the reason of each change', async () => {
  const first = await historyOnce('prog', 'p', (r) => r.state === 'up' && r.results.length >= 1, 'prog/p up');
  assert.equal(first.results[0]!.exitCode, 0);
  assert.equal(first.results[0]!.received, `checked ${webAt.host}:${webAt.port}\\n`);
  assert.match(first.sent, /check\.sh \S+ \d+$/);
  await writeFile(join(root, 'fail'), '');
  const down = await historyOnce('prog', 'p', (r) => r.state === 'down', 'prog/p down');
  assert.equal(down.flaps, 1);
  assert.equal(down.reason, 'send_program exited with status 3');
  assert.equal(down.results[0]!.exitCode, 3);
  await rm(join(root, 'fail'));
  const back = await historyOnce('prog', 'p', (r) => r.state === 'up', 'prog/p up again');
  assert.equal(back.flaps, 2);
  assert.equal(back.reason, 'check passed');
  const verdicts = back.results.map((r) => r.verdict);
  assert.ok(verdicts.includes('down') && verdicts[0] === 'up');
});

test('unknown names: E_NOT_FOUND', async () => {
  await assert.rejects(client.call('checkHistory', { virtual: 'web', server: 'nope' }), (e: unknown) => e instanceof AgentError && e.code === 'E_NOT_FOUND');
});
