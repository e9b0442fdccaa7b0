// piranha-gui under systemd: its lines and fastify's request log carry a syslog priority and no
// time of their own when stdout/stderr are the journal stream JOURNAL_STREAM names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { consoleRoot, spawnConsole, WRONG_AUTH } from '../testing/console.ts';
import { loopback } from '../testing/net.ts';
import { waitFor } from '../testing/wait.ts';

test('in the journal: <6> for listening, <4> for a failed login, pino without its time', async (t) => {
  const c = await consoleRoot({});
  t.after(c.remove);
  const logFile = join(c.root, 'journal');
  writeFileSync(logFile, '');
  const st = statSync(logFile);
  const gui = await spawnConsole(c.root, { host: loopback(), logFile, env: { JOURNAL_STREAM: `${st.dev}:${st.ino}` } });
  t.after(() => gui.stop());
  const res = await fetch(`${gui.url}/secure/control`, { headers: { authorization: WRONG_AUTH } });
  assert.equal(res.status, 401);
  await waitFor(() => gui.output().includes('authentication failed'), { message: 'the failed login logged' });
  const lines = gui.output().split('\n').filter(Boolean);
  assert.match(lines[0]!, /^<6>listening on http:\/\/[\d.]+:\d+ \(root .*, no agent\)$/);
  const failed = lines.find((l) => l.includes('authentication failed'))!;
  assert.match(failed, /^<4>\{"level":40,/);
  assert.equal('time' in (JSON.parse(failed.slice(3)) as object), false);
  for (const l of lines) assert.match(l, /^<\d>/);
});

test('off the journal: its lines as before, and pino with its time', async (t) => {
  const c = await consoleRoot({});
  t.after(c.remove);
  const gui = await spawnConsole(c.root, { host: loopback(), env: { JOURNAL_STREAM: '1:1' } });
  t.after(() => gui.stop());
  assert.equal((await fetch(`${gui.url}/secure/control`, { headers: { authorization: WRONG_AUTH } })).status, 401);
  await waitFor(() => gui.output().includes('authentication failed'), { message: 'the failed login logged' });
  const lines = gui.output().split('\n').filter(Boolean);
  assert.match(lines[0]!, /^piranha-gui: listening on /);
  const failed = JSON.parse(lines.find((l) => l.includes('authentication failed'))!) as { time?: number; level: number };
  assert.equal(failed.level, 40);
  assert.equal(typeof failed.time, 'number');
});
