// HISTORY against the real console (HTTP) and the real agent process: saves listed newest first with
// serial, who, address and what changed; the diff of any version against the current file; REVERT as
// a new save that the agent applies and the history and audit log record; a revert refused with 409
// when lvs.cf changed since the page was shown (a save or a hand edit); paging of a long list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startConsole } from '../../testing/console.ts';
import { hiddenFields, httpConsole, pageText, type HttpConsole } from '../../testing/http.ts';
import { writeLvsCf } from '../../testing/lvs-cf.ts';
import { waitFor } from '../../testing/wait.ts';
import { agentRunningWeb, webOfTwo, weightOf } from '../../testing/web-service.ts';

async function setUp(t: import('node:test').TestContext, history?: { keep: number; maxAgeDays: number }) {
  const { backends, lvs } = await webOfTwo(t, { weight: () => 2 });
  const h = await startConsole({ agentInRoot: true, prepare: (root) => writeLvsCf(root, lvs), ...(history ? { history } : {}) });
  t.after(() => h.close());
  const { client } = await agentRunningWeb(t, h.root);
  const weight = (host: string) => weightOf(client, host);
  const http = httpConsole(h.url);
  const setWeight = async (w: number) => {
    const a = backends[0]!;
    const res = await http.submit('/secure/virtual/0/real/0/edit', '/secure/virtual/0/real/0/edit', { name: 'a', address: a.host, port: String(a.port), weight: String(w) });
    assert.equal(res.status, 303, res.body.slice(0, 400));
  };
  return { h, lvs, backends, weight, http, setWeight };
}

/** The rows of the HISTORY list as text, newest first. */
function rows(html: string): string[] {
  return [...html.matchAll(/<tr id="v-[^"]+">([\s\S]*?)<\/tr>/g)].map((m) => pageText(m[1]!).trim());
}

function row(html: string, serial: number): RegExpExecArray {
  const found = [...html.matchAll(/<tr id="v-([^"]+)">([\s\S]*?)<\/tr>/g)].find((m) => pageText(m[2]!).trim().startsWith(`${serial} `));
  assert.ok(found, `a row for serial ${serial}`);
  return found as RegExpExecArray;
}

/** The REVERT form of the row of `serial`. */
function revertFields(html: string, serial: number): Record<string, string> {
  const row_ = row(html, serial);
  const form = /<form method="post" action="\/secure\/history\/revert"[^>]*>([\s\S]*?)<\/form>/.exec(row_[2]!);
  assert.ok(form, `serial ${serial} has a REVERT button`);
  return { ...hiddenFields(form[1]!), id: /name="id" value="([^"]+)"/.exec(form[1]!)![1]! };
}

async function list(http: HttpConsole, page = 1) {
  const res = await http.get(`/secure/history${page > 1 ? `?page=${page}` : ''}`);
  assert.equal(res.status, 200);
  return res.body;
}

test('saves are listed with serial, who, address and what changed; DIFF shows the lines; REVERT is a new save the agent applies', async (t) => {
  const { h, lvs, backends, weight, http, setWeight } = await setUp(t);
  assert.match(pageText(await list(http)), /No versions yet/);
  await setWeight(5);
  await setWeight(7);
  await waitFor(async () => (await weight(backends[0]!.host)) === 7, { message: 'the agent applied weight 7' });

  const page = await list(http);
  const r = rows(page);
  assert.equal(r.length, 3, r.join('\n'));
  assert.match(r[0]!, /^5 \(current\) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d piranha 127\.0\.0\.1 edit real server a of web \(\+2 −2 lines\) DIFF$/);
  assert.match(r[1]!, /^4 .* piranha 127\.0\.0\.1 edit real server a of web \(\+2 −2 lines\) DIFF REVERT$/);
  assert.match(r[2]!, /^3 .* - - lvs\.cf as found \(a full copy\) DIFF REVERT$/);

  // The diff of serial 3 against the current file: the serial line and the weight.
  const id = row(page, 3)[1]!;
  const diff = await http.get(`/secure/history/diff?id=${id}`);
  assert.equal(diff.status, 200);
  assert.match(diff.body, /<span class="removed">-\s+\d+ {2}serial_no = 3<\/span>\n<span class="added">\+\s+\d+ {2}serial_no = 5<\/span>/);
  assert.match(diff.body, /<span class="removed">-\s+\d+ {2}\s+weight = 2<\/span>\n<span class="added">\+\s+\d+ {2}\s+weight = 7<\/span>/);

  // REVERT to serial 3: saved as serial 6 with serial 3's settings, applied by the agent.
  const res = await http.post('/secure/history/revert', revertFields(page, 3));
  assert.equal(res.status, 303, res.body.slice(0, 400));
  const after = await http.follow(res);
  assert.match(pageText(after.body), /Reverted to serial 3 of .*: saved as lvs\.cf serial 6\./);
  assert.match(pageText(after.body), /The agent reloaded lvs\.cf \(serial 6/);
  assert.equal(await h.lvs(), lvs.replace('serial_no = 3', 'serial_no = 6'));
  await waitFor(async () => (await weight(backends[0]!.host)) === 2, { message: 'the agent applied the reverted weight' });
  const now = rows(after.body);
  assert.equal(now.length, 4);
  assert.match(now[0]!, /^6 \(current\) .* piranha 127\.0\.0\.1 revert to serial 3 of .* \(\+2 −2 lines\) DIFF$/);
  // The audit log says who reverted to what.
  const audit = (await readFile(join(h.root, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const revert = audit.find((e) => String(e.action).startsWith('revert to serial 3'));
  assert.ok(revert);
  assert.equal(revert.client, '127.0.0.1');
  assert.deepEqual(revert.serial, [5, 6]);
  assert.equal(revert.revert.serial, 3);
});

test('a revert is refused with 409 when lvs.cf changed since the page was shown: a save, or a hand edit', async (t) => {
  const { h, http, setWeight } = await setUp(t);
  await setWeight(5);
  const page = await list(http);
  await setWeight(6);
  const stale = await http.post('/secure/history/revert', revertFields(page, 3));
  assert.equal(stale.status, 409);
  assert.match(pageText(stale.body), /Nothing was reverted: lvs\.cf changed since this page was shown \(a save from the console, or a hand edit\)/);
  assert.match(await h.lvs(), /serial_no = 5/);

  const fresh = await list(http);
  const handEdited = (await h.lvs()).replace('serial_no = 5', 'serial_no = 5\n# edited by hand');
  await writeFile(h.lvsPath, handEdited);
  const again = await http.post('/secure/history/revert', revertFields(fresh, 3));
  assert.equal(again.status, 409);
  assert.equal(await h.lvs(), handEdited, 'the hand edit is kept');
  // The list says the file changed outside the console; the next save keeps that version too.
  assert.match(pageText(await list(http)), /lvs\.cf was changed outside the console since its last save/);
  await setWeight(8);
  const r = rows(await list(http));
  assert.match(r[0]!, /^6 \(current\) .* edit real server a of web/);
  assert.match(r[1]!, /^5 .* - - lvs\.cf as found before a save \(\+1 −0 line\) DIFF REVERT$/);
});

test('a long history is paged, and the oldest versions are pruned past --history-keep', async (t) => {
  const { http, setWeight } = await setUp(t, { keep: 30, maxAgeDays: 0 });
  for (let i = 0; i < 32; i++) await setWeight(10 + i);
  // 33 versions: the file as found and 32 saves; with keep 30 the oldest go once there are 33.
  const first = await list(http);
  assert.match(pageText(first), /page 1 of 2 \(30 versions\)/);
  assert.equal(rows(first).length, 25);
  assert.match(rows(first)[0]!, /^35 \(current\)/);
  assert.match(first, /<a href="\/secure\/history\?page=2" rel="next">OLDER/);
  const second = await list(http, 2);
  const r = rows(second);
  assert.equal(r.length, 5);
  assert.match(r[4]!, /^6 /, 'the oldest kept version is serial 6');
  assert.match(second, /<a href="\/secure\/history\?page=1" rel="prev">/);
  // The oldest kept version still differs from the current file by its lines.
  const id = row(second, 6)[1]!;
  const diff = await http.get(`/secure/history/diff?id=${id}`);
  assert.match(diff.body, /<span class="removed">-\s+\d+ {2}serial_no = 6<\/span>/);
  assert.match(diff.body, /<span class="added">\+\s+\d+ {2}\s+weight = 41<\/span>/);
});
