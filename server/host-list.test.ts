// One host everywhere (given a model, produces): every entry at an address, the edits that take it
// out of (or back into) all of them or drain them, touching only what must change, and the audit
// log's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostActionText, hostChange, hostEntries, hostNothingToDo, hostServes } from './host-list.ts';
import { edit, parse, printModel } from '../lvs-cf/index.ts';
import { cfg, rs, vs } from '../testing/model.ts';

const model = cfg([
  vs('web', '192.168.1.10', 80, [rs('a', '10.0.0.2', 80), rs('b', '10.0.0.3', 80)]),
  vs('mail', '192.168.1.11', 25, [rs('m', '10.0.0.2', 25, 1, { active: false })]),
  vs('api', '192.168.1.12', 443, [rs('x', '10.0.0.4', 443)]),
  vs('alt', '192.168.1.13', 8080, [rs('a1', '10.0.0.2', 8080), rs('a2', '10.0.0.2', 8081)]),
], { network: 'direct' });

test('every entry of an address, in file order, across virtual servers', () => {
  const e = hostEntries(model, '10.0.0.2');
  assert.deepEqual(e.map((x) => `${x.vname}/${x.name}:${x.port}:${x.active}`), ['web/a:80:true', 'mail/m:25:false', 'alt/a1:8080:true', 'alt/a2:8081:true']);
  assert.equal(hostServes(model, '10.0.0.2'), 3);
  assert.equal(hostServes(model, '10.0.0.9'), 0);
});

test('deactivate everywhere: one edit per active entry; activate: the others; nothing when nothing changes', () => {
  const off = hostChange(model, '10.0.0.2', 'deactivate');
  assert.deepEqual(off.edits, [
    { op: 'setActive', target: { scope: 'server', virtual: 0, server: 0 }, active: false },
    { op: 'setActive', target: { scope: 'server', virtual: 3, server: 0 }, active: false },
    { op: 'setActive', target: { scope: 'server', virtual: 3, server: 1 }, active: false },
  ]);
  assert.deepEqual(off.virtuals, ['web', 'alt'], 'each virtual server once');
  assert.equal(hostActionText('10.0.0.2', 'deactivate', off), 'deactivate real server 10.0.0.2 in 2 virtual servers (3 real server entries): web, alt');
  const on = hostChange(model, '10.0.0.2', 'activate');
  assert.deepEqual(on.virtuals, ['mail']);
  assert.equal(hostChange(model, '10.0.0.4', 'activate').entries, 0);
});

test('the edits applied to the file change exactly those lines', () => {
  const text = printModel(model);
  const out = edit(text, hostChange(parse(text).model!, '10.0.0.2', 'deactivate').edits);
  assert.ok(out.ok);
  const after = out.model;
  assert.deepEqual(after.virtuals.flatMap((v) => v.servers.map((s) => `${v.name}/${s.name}:${s.active}`)), ['web/a:false', 'web/b:true', 'mail/m:false', 'api/x:true', 'alt/a1:false', 'alt/a2:false']);
  assert.equal(out.patch.length, 3, 'three lines');
});

test('drain everywhere: weight 0 on the active entries of active virtual servers, with the weights to remember', () => {
  const m = cfg([
    vs('web', '192.168.1.10', 80, [rs('a', '10.0.0.2', 80, 5), rs('b', '10.0.0.3', 80)]),
    vs('mail', '192.168.1.11', 25, [rs('m', '10.0.0.2', 25, 1, { active: false })]),
    vs('off', '192.168.1.12', 443, [rs('x', '10.0.0.2', 443, 3)], { active: false }),
    vs('alt', '192.168.1.13', 8080, [rs('a1', '10.0.0.2', 8080, 0), rs('a2', '10.0.0.2', 8081, 2)]),
  ], { network: 'direct' });
  const d = hostChange(m, '10.0.0.2', 'drain');
  assert.deepEqual(d.edits, [
    { op: 'set', target: { scope: 'server', virtual: 0, server: 0 }, key: 'weight', value: 0 },
    { op: 'set', target: { scope: 'server', virtual: 3, server: 1 }, key: 'weight', value: 0 },
  ], 'not the inactive entry, not the inactive virtual server, not the entry at weight 0 already');
  assert.deepEqual(d.drains, [{ virtual: 'web', server: 'a', weight: 5 }, { virtual: 'alt', server: 'a2', weight: 2 }]);
  assert.equal(hostActionText('10.0.0.2', 'drain', d), 'drain real server 10.0.0.2 in 2 virtual servers (2 real server entries): web, alt');
  assert.equal(hostChange(m, '10.0.0.3', 'drain').entries, 1);
  assert.match(hostNothingToDo(m, '10.0.0.9', 'drain'), /No real server has the address 10\.0\.0\.9/);
});

test('after a drain: deactivate writes the recorded weights back in the same save; undrain only writes them back', () => {
  const text = printModel(model);
  const drained = edit(text, hostChange(parse(text).model!, '10.0.0.2', 'drain').edits);
  assert.ok(drained.ok);
  const after = drained.model;
  // As the console records them: one drain per entry, the weight it had.
  const records = new Map(hostChange(model, '10.0.0.2', 'drain').drains.map((d) => [`${d.virtual}/${d.server}`, { virtual: d.virtual, server: d.server, startedAt: '', deactivateAt: null, client: '', weights: { [d.server]: d.weight } }]));
  const drainOf = (v: string, s: string) => records.get(`${v}/${s}`);
  // Without the records nothing is known of the weights before: undrain does nothing.
  assert.equal(hostChange(after, '10.0.0.2', 'undrain').entries, 0);
  assert.match(hostNothingToDo(after, '10.0.0.2', 'undrain'), /No drain of 10\.0\.0\.2 started from this console holds any more: lvs\.cf was not written/);
  const undrain = hostChange(after, '10.0.0.2', 'undrain', drainOf);
  assert.equal(undrain.entries, 3);
  assert.deepEqual(undrain.edits.map((e) => (e.op === 'set' ? e.value : null)), [1, 1, 1]);
  const off = hostChange(after, '10.0.0.2', 'deactivate', drainOf);
  assert.equal(off.entries, 3, 'three entries, each one weight and one active line');
  assert.deepEqual(off.drains.map((d) => `${d.virtual}/${d.server}`), ['web/a', 'alt/a1', 'alt/a2'], 'the drains it ends');
  const out = edit(drained.text, off.edits);
  assert.ok(out.ok);
  assert.deepEqual(out.model.virtuals.flatMap((v) => v.servers.map((s) => `${v.name}/${s.name}:${s.active}:${s.weight}`)), ['web/a:false:1', 'web/b:true:1', 'mail/m:false:1', 'api/x:true:1', 'alt/a1:false:1', 'alt/a2:false:1']);
});
