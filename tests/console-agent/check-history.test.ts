// The check history in the console over HTTP, from the real agent: its own page (linked from
// CONTROL/MONITORING), the fragment htmx refreshes, and the REAL SERVER panel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { observeBench, pageText, type ObserveBench } from '../../testing/observe.ts';
import { waitFor } from '../../testing/wait.ts';

let b: ObserveBench;
before(async () => {
  b = await observeBench();
});
after(() => b?.close());

test('CONTROL/MONITORING links each checked real server to its check history', async () => {
  const html = await b.text('/secure/control');
  assert.match(html, /href="\/secure\/control\/checks\?virtual=web&amp;server=ok">history<\/a>/);
  assert.match(html, /href="\/secure\/control\/checks\?virtual=web&amp;server=dead">history<\/a>/);
});

test('the check history page: what is sent and received, verdicts, latency, flaps and the last change', async () => {
  const res = await b.get('/secure/control/checks?virtual=web&server=ok');
  assert.equal(res.status, 200);
  const html = await res.text();
  const text = pageText(html);
  assert.match(text, /CHECKS OF ok IN web/);
  assert.match(text, new RegExp(`Real server ${b.ok.host.replace(/\./g, '\\.')}:${b.ok.port}`));
  assert.match(text, /Sends GET \/ HTTP\/1\.0\\r\\n\\r\\n/);
  assert.match(text, /Expects HTTP\/1\.0 200/);
  assert.match(text, /State up Last change \S+: first check passed Flaps 0/);
  assert.match(text, /Time Verdict Latency Received Exit Error \S+Z up \d+\.\d{3} ms HTTP\/1\.0 200/);
  // JavaScript off: the page refreshes itself; on: htmx swaps the fragment.
  assert.match(html, /<noscript><meta http-equiv="refresh" content="5"><\/noscript>/);
  assert.match(html, /hx-get="\/secure\/control\/checks\/live\?virtual=web&amp;server=ok" hx-trigger="every 5s"/);
  const dead = pageText(await b.text('/secure/control/checks?virtual=web&server=dead'));
  assert.match(dead, /State down Last change \S+: connect ECONNREFUSED/);
  assert.match(dead, /down \d+\.\d{3} ms\s+connect ECONNREFUSED/);
});

test('the fragment grows as checks run', async () => {
  const count = async () => (await b.text('/secure/control/checks/live?virtual=web&server=ok')).match(/class="verdict-up"/g)?.length ?? 0;
  const first = await count();
  await waitFor(async () => (await count()) > first, { message: 'a new result in the fragment' });
  const fragment = await b.text('/secure/control/checks/live?virtual=web&server=ok');
  assert.match(fragment, /^<section id="check-history"/);
});

test('the REAL SERVER panel shows the server\'s checks', async () => {
  const text = pageText(await b.text('/secure/virtual/0/real/1/edit'));
  assert.match(text, /EDIT REAL SERVER/);
  assert.match(text, /CHECKS OF dead IN web/);
  assert.match(text, /State down/);
});

test('unknown names: 404 with the agent\'s reason; missing names: 400', async () => {
  const res = await b.get('/secure/control/checks?virtual=web&server=nope');
  assert.equal(res.status, 404);
  assert.match(pageText(await res.text()), /virtual server web has no real server named nope/);
  assert.equal((await b.get('/secure/control/checks?virtual=web')).status, 400);
});
