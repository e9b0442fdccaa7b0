// Reloads against the real agent process: one changed weight is exactly one changed entry (lvsd
// ignored it), scheduler/persistence changes are applied in place, and an invalid file keeps the
// old table running with the library's positioned message in status and in the reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lvsCf, type TestVirtual, writeLvsCf } from '../testing/lvs-cf.ts';
import { directorTable, loopbackVirtual, useAgent } from '../testing/web-service.ts';
import { AgentError } from './client.ts';

const agent = useAgent(async (cleanup) => {
  const virtuals: TestVirtual[] = [];
  for (const name of ['one', 'two']) virtuals.push(await loopbackVirtual(name, { count: 3, weight: 10, scheduler: 'wlc' }, cleanup));
  return virtuals;
}, 8, 'two services with three reals each');
const snapshot = () => directorTable(agent.client);
function changed(a: string[], b: string[]): string[] {
  return [...a.filter((x) => !b.includes(x)).map((x) => `- ${x}`), ...b.filter((x) => !a.includes(x)).map((x) => `+ ${x}`)];
}

test('a reload that changes one weight changes exactly one entry, with one operation', async () => {
  const before = await snapshot();
  agent.virtuals[1].servers[2].weight = 25;
  await writeLvsCf(agent.root, lvsCf({ serial: 2, virtuals: agent.virtuals }));
  const r = await agent.client.call('reload', {});
  assert.deepEqual(r, { serial: 2, operations: 1 });
  const diff = changed(before, await snapshot());
  assert.equal(diff.length, 2);
  assert.match(diff[0], /^- tcp\|.* > .* w=10 g$/);
  assert.match(diff[1], /^\+ tcp\|.* > .* w=25 g$/);
});

test('scheduler and persistence changes are applied in place (lvsd ignored them)', async () => {
  const before = await snapshot();
  agent.virtuals[0].scheduler = 'rr';
  agent.virtuals[0].persistent = 120;
  agent.virtuals[0].pmask = '255.255.255.0';
  await writeLvsCf(agent.root, lvsCf({ serial: 3, virtuals: agent.virtuals }));
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 3, operations: 1 });
  const diff = changed(before, await snapshot());
  assert.deepEqual(diff.map((d) => d.replace(/tcp\|\S+/, 'K')), ['- K wlc p=0 m=null', '+ K rr p=120 m=255.255.255.0']);
});

test('an invalid reload keeps the old table and reports the positioned error', async () => {
  const before = await snapshot();
  const text = lvsCf({ serial: 4, virtuals: agent.virtuals }).replace('scheduler = wlc', 'scheduler = fastest');
  await writeLvsCf(agent.root, text);
  const line = text.split('\n').findIndex((l) => l.includes('fastest')) + 1;
  const err = await agent.client.call('reload', {}).then(() => null, (e: AgentError) => e);
  assert.ok(err instanceof AgentError);
  assert.equal(err.code, 'E_CONFIG_INVALID');
  assert.match(err.message, new RegExp(`lvs\\.cf:${line}:\\d+: error\\[`));
  assert.match(err.message, /fastest/);
  const st = await agent.client.call('status', {});
  assert.equal(st.serial, 3);
  assert.equal(st.running, true);
  assert.equal(st.lastReloadError, err.message);
  assert.deepEqual(await snapshot(), before);
  // start while running is a no-op; the old table is still served.
  assert.equal((await agent.client.call('start', {})).serial, 3);

  await writeLvsCf(agent.root, lvsCf({ serial: 5, virtuals: agent.virtuals }));
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 5, operations: 0 });
  assert.equal((await agent.client.call('status', {})).lastReloadError, null);
});

test('removing a virtual server and deactivating a real server: one operation each', async () => {
  const before = await snapshot();
  agent.virtuals[1].servers[0].active = false;
  await writeLvsCf(agent.root, lvsCf({ serial: 6, virtuals: agent.virtuals }));
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 6, operations: 1 });
  assert.equal(changed(before, await snapshot()).length, 1);
  await writeLvsCf(agent.root, lvsCf({ serial: 7, virtuals: [agent.virtuals[1]] }));
  assert.deepEqual(await agent.client.call('reload', {}), { serial: 7, operations: 1 });
  assert.equal((await agent.client.call('table', {})).services.length, 1);
});
