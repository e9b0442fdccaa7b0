// The agent accepts the files the original daemons run: the same configuration written with every
// value quoted (the daemons strip quotes from every word) reloads into the same table, with no
// operation; a value the daemons run but that cannot be served is left out with a problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lvsCf, writeLvsCf } from '../testing/lvs-cf.ts';
import { directorTable, loopbackVirtual, useAgent } from '../testing/web-service.ts';

const agent = useAgent(async (cleanup) => [await loopbackVirtual('web', { count: 2, weight: 5, scheduler: 'wrr', backendPrefix: 'q' }, cleanup)], 3, 'one service with two reals');
const snapshot = () => directorTable(agent.client);

/** Every value of a `key = value` line put in double quotes (send/expect already are). */
function quoteValues(text: string): string {
  return text.replace(/^(\s*)(\w+) = ([^"\n]+)$/gm, '$1$2 = "$3"');
}

test('the same file with quoted values reloads into the same table', async () => {
  const before = await snapshot();
  const quoted = quoteValues(lvsCf({ serial: 2, virtuals: agent.virtuals }));
  assert.match(quoted, /^serial_no = "2"$/m);
  assert.match(quoted, /^ {9}weight = "5"$/m);
  // `address = "VIP lo"` would be one word to the daemons, and a quoted word must end its line:
  // the two words of `address` are written `VIP "lo"`.
  const text = quoted.replace(/^( {5}address = )"([\d.]+) lo"$/m, '$1$2 "lo"');
  assert.match(text, /^ {5}address = [\d.]+ "lo"$/m);
  await writeLvsCf(agent.root, text);
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 2, operations: 0 });
  assert.deepEqual(await snapshot(), before);
  const st = await agent.client.call('status', {});
  assert.equal(st.lastReloadError, null);
});

test('a real server port the daemons read but that cannot be served is left out, with a problem', async () => {
  const text = lvsCf({ serial: 3, virtuals: agent.virtuals }).replace(`port = ${agent.virtuals[0]!.servers[1]!.port}`, 'port = 70000');
  await writeLvsCf(agent.root, text);
  const r = await agent.client.call('reload', {});
  assert.equal(r.serial, 3);
  const table = await snapshot();
  assert.ok(!table.some((l) => l.includes(':70000')), table.join('\n'));
  const st = await agent.client.call('status', {});
  assert.ok(st.problems.some((p) => /r1.*port 70000/.test(p.message)), JSON.stringify(st.problems));
});
