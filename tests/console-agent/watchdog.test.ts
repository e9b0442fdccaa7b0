// The watchdog over HTTP with the real console and agent: a killed agent, and an agent stopped
// with SIGSTOP (its socket still accepts, nothing answers), are said on every page with the time
// they fell silent, no page hangs on them, and the notice goes once the agent answers again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { observeBench, pageText } from '../../testing/observe.ts';
import { waitFor } from '../../testing/wait.ts';
import { AUTH } from '../../testing/console.ts';

/** Generous: a page that hangs on the agent would never answer at all. A new signal per request: one made once would have fired for every request after the first 30 s of the file. */
const noHang = () => ({ signal: AbortSignal.timeout(30_000) });
const PAGES = ['/secure/control', '/secure/global', '/secure/redundancy', '/secure/virtual', '/secure/virtual/0/real/0/edit', '/secure/control/checks?virtual=web&server=ok'];

test('a killed agent: every page says since when it is silent; CONTROL says it too', { timeout: 120_000 }, async (t) => {
  const b = await observeBench();
  t.after(() => b.close());
  for (const p of PAGES) assert.doesNotMatch(pageText(await b.text(p)), /has not answered since/, `${p} before`);
  await b.agent.stop('SIGKILL');
  await waitFor(async () => /has not answered since/.test(pageText(await b.text('/secure/global'))), { message: 'GLOBAL SETTINGS says the agent is silent' });
  for (const p of PAGES) {
    const text = pageText(await (await b.get(p)).text());
    assert.match(text, new RegExp(`The agent at ${b.socket.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has not answered since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC \\(\\d+ s\\)`), p);
  }
  const control = pageText(await b.text('/secure/control'));
  assert.match(control, /The agent is not reachable at .*No answer since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ s\)\. Last answer at /);
  const live = pageText(await b.text('/secure/control/live?auto_update=1&rate=2'));
  assert.match(live, /No answer since/);
});

test('an agent stopped with SIGSTOP: pages answer without it, say so, and recover after SIGCONT', { timeout: 120_000 }, async (t) => {
  const b = await observeBench();
  t.after(async () => {
    b.agent.child.kill('SIGCONT');
    await b.close();
  });
  b.agent.child.kill('SIGSTOP');
  for (const p of PAGES) {
    const res = await b.get(p, {});
    assert.ok(res.status === 200, `${p}: ${res.status}`);
  }
  const text = await waitFor(async () => {
    const t2 = pageText(await (await fetch(b.gui.url + '/secure/control', { headers: { authorization: AUTH }, ...noHang() })).text());
    return /No answer since/.test(t2) ? t2 : null;
  }, { message: 'CONTROL says the agent is silent' });
  assert.match(text, /has not answered since .*(no answer from the agent within 2000 ms|did not answer)/);
  const check = pageText(await b.text('/secure/control/checks?virtual=web&server=ok'));
  assert.match(check, /The agent did not give this real server's checks .*(no answer from the agent within 2000 ms|did not answer)/);
  const status = (await (await b.get('/status.json')).json()) as { agent: { answering: boolean; silentSince: string | null } };
  assert.equal(status.agent.answering, false);
  assert.ok(status.agent.silentSince);
  b.agent.child.kill('SIGCONT');
  await waitFor(async () => !/has not answered since/.test(pageText(await b.text('/secure/global'))), { message: 'the notice goes once the agent answers' });
  assert.match(pageText(await b.text('/secure/control')), /CURRENT LVS ROUTING TABLE/);
});
