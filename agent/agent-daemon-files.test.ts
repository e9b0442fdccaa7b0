// The agent accepts the files the original daemons run: the same configuration written with every
// value quoted (the daemons strip quotes from every word) reloads into the same table, with no
// operation; a value the daemons run but that cannot be served is left out with a problem.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lvsCf, type TestVirtual, writeLvsCf } from '../testing/lvs-cf.ts';
import { waitFor } from '../testing/wait.ts';
import { agentRunning, directorTable, loopbackVirtual } from '../testing/web-service.ts';
import type { AgentClient } from './client.ts';

const cleanup: (() => Promise<unknown>)[] = [];
let client: AgentClient;
let root: string;
let virtuals: TestVirtual[];

const snapshot = () => directorTable(client);

/** Every value of a `key = value` line put in double quotes (send/expect already are). */
function quoteValues(text: string): string {
  return text.replace(/^(\s*)(\w+) = ([^"\n]+)$/gm, '$1$2 = "$3"');
}

before(async () => {
  virtuals = [await loopbackVirtual('web', { count: 2, weight: 5, scheduler: 'wrr', backendPrefix: 'q' }, cleanup)];
  ({ root, client } = await agentRunning(virtuals, cleanup));
  await waitFor(async () => (await snapshot()).length === 3, { message: 'one service with two reals' });
});
after(async () => {
  client?.close();
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

test('the same file with quoted values reloads into the same table', async () => {
  const before = await snapshot();
  const quoted = quoteValues(lvsCf({ serial: 2, virtuals }));
  assert.match(quoted, /^serial_no = "2"$/m);
  assert.match(quoted, /^ {9}weight = "5"$/m);
  // `address = "VIP lo"` would be one word to the daemons, and a quoted word must end its line:
  // the two words of `address` are written `VIP "lo"`.
  const text = quoted.replace(/^( {5}address = )"([\d.]+) lo"$/m, '$1$2 "lo"');
  assert.match(text, /^ {5}address = [\d.]+ "lo"$/m);
  await writeLvsCf(root, text);
  assert.deepEqual(await client.call('reload', {}), { serial: 2, operations: 0 });
  assert.deepEqual(await snapshot(), before);
  const st = await client.call('status', {});
  assert.equal(st.lastReloadError, null);
});

test('a real server port the daemons read but that cannot be served is left out, with a problem', async () => {
  const text = lvsCf({ serial: 3, virtuals }).replace(`port = ${virtuals[0]!.servers[1]!.port}`, 'port = 70000');
  await writeLvsCf(root, text);
  const r = await client.call('reload', {});
  assert.equal(r.serial, 3);
  const table = await snapshot();
  assert.ok(!table.some((l) => l.includes(':70000')), table.join('\n'));
  const st = await client.call('status', {});
  assert.ok(st.problems.some((p) => /r1.*port 70000/.test(p.message)), JSON.stringify(st.problems));
});
