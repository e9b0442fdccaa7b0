// PLAN beside ACCEPT, against the real agent process: the plan page shows the lines of lvs.cf and
// the agent's operations and saves nothing; its ACCEPT saves exactly that change (and the agent
// applies it); a file changed since is a conflict; with the agent gone the page says so and still
// shows the lines. Without an agent every panel's PLAN works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { follow, makeConsole, type Console } from '../../testing/console.ts';
import { GLOBAL_OK, REAL_OK, REDUNDANCY_OK, SCRIPTS_OK, VIRTUAL_OK } from '../../testing/forms.ts';
import { SAMPLE } from '../../testing/lvs-cf.ts';
import { waitFor } from '../../testing/wait.ts';
import { agentRunningWeb, webOfTwo } from '../../testing/web-service.ts';

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&rarr;/g, '→').replace(/\s+/g, ' ');
}

/** The hidden fields of the plan page's ACCEPT form, with the ACCEPT button. */
function planForm(html: string): Record<string, string> {
  const form = /<form method="post" action="[^"]*" class="panel plan-accept">([\s\S]*?)<\/form>/.exec(html)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  return { ...fields, action: 'accept' };
}

async function withAgent(t: import('node:test').TestContext) {
  const { backends, lvs } = await webOfTwo(t, { weight: (i) => 3 + i });
  const c = await makeConsole(t, { lvs, agentInRoot: true });
  const { agent, client } = await agentRunningWeb(t, c.root);
  // In the order of the backends (the table's order follows which check passed first).
  const weights = async () => {
    const reals = (await client.call('table', {})).services[0]?.reals ?? [];
    return backends.flatMap((b) => reals.filter((r) => r.address === b.host).map((r) => r.weight));
  };
  return { c, agent, client, weights, backends, lvs };
}

const realForm = (c: Console, fields: Record<string, string>) => c.submit('/secure/virtual/0/real/0/edit', '/secure/virtual/0/real/0/edit', fields);

test('PLAN shows the lines and the agent\'s operations and saves nothing; its ACCEPT saves exactly that change', async (t) => {
  const { c, weights, backends, lvs } = await withAgent(t);
  const a = backends[0]!;
  const plan = await realForm(c, { name: 'a', address: a.host, port: String(a.port), weight: '0', plan: '1' });
  assert.equal(plan.statusCode, 200, plan.body.slice(0, 500));
  const page = text(plan.body);
  assert.match(page, /PLAN What ACCEPT would do: edit real server a of web \. Nothing is saved yet\./);
  assert.match(page, /serial 3 → 4/);
  assert.match(plan.body, /<span class="removed">-\s+\d+ {2}serial_no = 3<\/span>\n<span class="added">\+\s+\d+ {2}serial_no = 4<\/span>/);
  assert.match(plan.body, /<span class="removed">-\s+\d+ {2}\s+weight = 3<\/span>\n<span class="added">\+\s+\d+ {2}\s+weight = 0<\/span>/);
  assert.match(page, new RegExp(`set real server a ${a.host.replace(/\./g, '\\.')}:${a.port} of web to weight 0 \\(from 3\\)`));
  assert.match(page, /from the virtual servers this change touches \(1 service compared\)/);
  assert.equal(await c.lvs(), lvs, 'nothing written');
  assert.deepEqual(await weights(), [3, 4], 'nothing applied');

  const saved = await c.post('/secure/virtual/0/real/0/edit', planForm(plan.body));
  const after = await follow(c, saved);
  assert.match(text(after.body), /Saved: edit real server a of web \(lvs\.cf serial 4\)/);
  assert.match(await c.lvs(), /serial_no = 4\n[\s\S]*weight = 0\n[\s\S]*weight = 4\n/);
  await waitFor(async () => (await weights())[0] === 0, { message: 'the agent applied the planned weight' });
});

test('ACCEPT from a plan whose lvs.cf changed since is a conflict; a plan that does not match is refused', async (t) => {
  const { c, backends } = await withAgent(t);
  const a = backends[0]!;
  const plan = await realForm(c, { name: 'a', address: a.host, port: String(a.port), weight: '7', plan: '1' });
  const fields = planForm(plan.body);
  // Someone else saves in between.
  const other = await c.submit('/secure/virtual/0/real/1/edit', '/secure/virtual/0/real/1/edit', { name: 'b', address: backends[1]!.host, port: String(backends[1]!.port), weight: '9' });
  assert.equal(other.statusCode, 303);
  const late = await c.post('/secure/virtual/0/real/0/edit', fields);
  assert.equal(late.statusCode, 409);
  assert.match(text(late.body), /lvs\.cf changed while you were editing/);
  assert.doesNotMatch(await c.lvs(), /weight = 7/);

  const fresh = await realForm(c, { name: 'a', address: a.host, port: String(a.port), weight: '7', plan: '1' });
  const tampered = { ...planForm(fresh.body), weight: '8' };
  const refused = await c.post('/secure/virtual/0/real/0/edit', tampered);
  assert.equal(refused.statusCode, 409);
  assert.match(text(refused.body), /this change is not the one the plan showed/);
  assert.doesNotMatch(await c.lvs(), /weight = [78]/);
});

test('with the agent stopped the plan page says so and still shows the lines', async (t) => {
  const { c, agent, backends } = await withAgent(t);
  await agent.stop();
  const a = backends[0]!;
  const plan = await realForm(c, { name: 'a', address: a.host, port: String(a.port), weight: '2', plan: '1' });
  assert.equal(plan.statusCode, 200);
  assert.match(text(plan.body), /The agent is not reachable at .*agent\.sock/);
  assert.match(text(plan.body), /The lines above are still exactly what ACCEPT saves/);
  assert.match(plan.body, /<span class="added">\+\s+\d+ {2}\s+weight = 2<\/span>/);
  const saved = await c.post('/secure/virtual/0/real/0/edit', planForm(plan.body));
  assert.equal(saved.statusCode, 303);
  assert.match(await c.lvs(), /weight = 2/);
});

test('every panel\'s PLAN: the lines of its change, nothing written; an unchanged form plans nothing', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const cases: [string, Record<string, string>, RegExp][] = [
    ['/secure/global', { ...GLOBAL_OK }, /\+\s+\d+ {2}primary = 10\.0\.0\.2/],
    ['/secure/redundancy?enable=1', { ...REDUNDANCY_OK, enable: '1' }, /\+\s+\d+ {2}backup_active = 1/],
    ['/secure/virtual/0/edit', { ...VIRTUAL_OK }, /\+\s+\d+ {2}\s+scheduler = sh/],
    ['/secure/virtual/0/real/1/edit', { ...REAL_OK }, /\+\s+\d+ {2}\s+weight = 5/],
    ['/secure/virtual/0/scripts', { ...SCRIPTS_OK }, /\+\s+\d+ {2}\s+expect = &quot;220&quot;/],
  ];
  for (const [url, fields, line] of cases) {
    const action = url.split('?')[0]!;
    const res = await c.submit(url, action, { ...fields, plan: '1' });
    assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`);
    assert.match(res.body, line, url);
    assert.match(text(res.body), /no agent socket was given/, url);
    assert.equal(await c.lvs(), SAMPLE, `${url} wrote nothing`);
  }
  const unchanged = await c.submit('/secure/virtual/0/real/0/edit', '/secure/virtual/0/real/0/edit', { name: 'r1', address: '192.168.1.11', port: '', weight: '1', plan: '1' });
  const back = await follow(c, unchanged);
  assert.match(text(back.body), /PLAN: nothing would change; ACCEPT would not write lvs\.cf/);
});
