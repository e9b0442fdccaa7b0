// The TRAFFIC section of CONTROL/MONITORING over HTTP with the real agent sampling its userspace
// dataplane: sparklines as SVG in the page (JavaScript off), the current numbers beside them, the
// fragment htmx refreshes, and the numbers moving after real connections through the VIP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { askHttp, observeBench, pageText, type ObserveBench } from '../../testing/observe.ts';
import { waitFor } from '../../testing/wait.ts';

let b: ObserveBench;
before(async () => {
  b = await observeBench();
});
after(() => b?.close());

test('CONTROL/MONITORING shows a sparkline per virtual server with the numbers beside it; its real servers one link away', async () => {
  const html = await waitFor(async () => {
    const h = await b.text('/secure/control');
    return h.match(/class="now">\d+ active/g)?.length === 1 ? h : null;
  }, { message: 'a traffic sample of the service on CONTROL' });
  const text = pageText(html);
  assert.match(text, /TRAFFIC, LAST 10 MINUTES One sample every 1 s, newest at/);
  assert.match(text, new RegExp(`web \\(${b.vip.host.replace(/\./g, '\\.')}:${b.vip.port}\\) real servers`));
  const section = pageText(html.slice(html.indexOf('<section id="traffic"'), html.indexOf('</section>', html.indexOf('<section id="traffic"'))));
  assert.doesNotMatch(section, /->/, 'no real server rows in CONTROL\'s TRAFFIC');
  assert.equal(html.match(/<svg class="spark"/g)?.length, 3, 'three charts for the service');
  assert.match(html, /aria-label="new connections per second of web \([^)]*\), last 10 minutes"/);
  assert.match(html, /hx-get="\/secure\/control\/traffic\?v=web" hx-trigger="every 5s"/);
  assert.match(html, /<a href="\/secure\/control\/traffic\?v=web&amp;reals=1">real servers<\/a>/);

  // The link: a page of its own (JavaScript off) with the service and its real server.
  const reals = await waitFor(async () => {
    const h = await b.text('/secure/control/traffic?v=web&reals=1');
    return h.match(/class="now">\d+ active/g)?.length === 2 ? h : null;
  }, { message: 'a traffic sample of the service and its real server' });
  assert.match(reals, /<title>[^<]*TRAFFIC web/);
  assert.match(pageText(reals), new RegExp(`-> ${b.ok.host.replace(/\./g, '\\.')}:${b.ok.port}`));
  assert.equal(reals.match(/<svg class="spark"/g)?.length, 6, 'three charts for the service, three for its one real server');
});

test('the numbers and the charts move with real connections; the fragment refreshes them', async () => {
  for (let i = 0; i < 5; i++) assert.match(await askHttp(b.vip.host, b.vip.port), /200 OK/);
  const fragment = await waitFor(async () => {
    const f = await b.text('/secure/control/traffic?v=web');
    return /[1-9][\d.]* conn\/s/.test(pageText(f)) ? f : null;
  }, { message: 'new connections per second in the fragment' });
  assert.match(fragment, /^<section id="traffic"/);
  assert.match(pageText(fragment), /\d+ active, \d+ inactive, [\d.]+ conn\/s, [\d.]+ (k|M)?B\/s/);
  const maxes = [...fragment.matchAll(/data-max="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.ok(maxes.some((m) => m > 0), 'a chart with something drawn');
  assert.match(fragment, /<polyline points="[\d.,\s]+"\/>/);
});

test('an unknown virtual server has no rows; no name, no table', async () => {
  assert.match(pageText(await b.text('/secure/control/traffic?v=nope')), /No sample yet/);
  assert.match(pageText(await b.text('/secure/control/traffic')), /No virtual server is in the routing table/);
});

test('the agent answers series with the real servers, or the services alone when asked without them (CONTROL)', async () => {
  const client = await b.agent.client();
  try {
    const reals = (r: { virtuals: { services: { reals: unknown[] }[] }[] }) => r.virtuals.flatMap((v) => v.services.flatMap((s) => s.reals));
    const full = await waitFor(async () => {
      const r = await client.call('series', { virtuals: ['web'] });
      return reals(r).length ? r : null;
    }, { message: 'a sample of the real server' });
    assert.deepEqual(reals(full).map((x) => (x as { address: string }).address), [b.ok.host]);
    const alone = await client.call('series', { virtuals: ['web'], reals: false });
    assert.equal(alone.virtuals[0]!.services.length, 1, 'the service with its totals');
    assert.deepEqual(reals(alone), [], 'no real server');
    await assert.rejects(client.call('series', { virtuals: ['web'], reals: 'no' } as never), /reals/);
  } finally {
    client.close();
  }
});
