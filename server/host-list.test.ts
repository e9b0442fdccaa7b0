// One host everywhere (given a model, produces): every entry at an address, the edits that take it
// out of (or back into) all of them, touching only what must change, and the audit log's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostActionText, hostChange, hostEntries, hostServes } from './host-list.ts';
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
