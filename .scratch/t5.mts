import fs from 'node:fs';
import fc from 'fast-check';
import { edit, parse } from '/work/wt/store/lvs-cf/index.ts';
import type { Edit } from '/work/wt/store/lvs-cf/api-types.ts';
import { IncrementalDoc } from '/work/wt/store/lvs-cf/incremental.ts';
import { generate } from '/work/wt/store/bench/lvs-cf/run.ts';
import assert from 'node:assert/strict';
function editArb(n: number, m: number): fc.Arbitrary<Edit> {
  const v = fc.nat({ max: Math.max(0, n) }); // n itself: a virtual server that does not exist
  const s = fc.nat({ max: m });
  return fc.oneof(
    fc.record({ v, s, w: fc.integer({ min: -1, max: 70000 }) }).map(({ v, s, w }): Edit => ({ op: 'set', target: { scope: 'server', virtual: v, server: s }, key: 'weight', value: w })),
    fc.record({ v, s, a: fc.constantFrom('10.9.9.9', '0.0.0.0', 'host.example') }).map(({ v, s, a }): Edit => ({ op: 'set', target: { scope: 'server', virtual: v, server: s }, key: 'address', value: a })),
    fc.record({ v, s, on: fc.boolean() }).map(({ v, s, on }): Edit => ({ op: 'setActive', target: { scope: 'server', virtual: v, server: s }, active: on })),
    fc.record({ v, k: fc.constantFrom('timeout', 'port', 'reentry', 'fwmark', 'persistent'), x: fc.constantFrom(0, 5, 6, 7, 80, 300) }).map(({ v, k, x }): Edit => ({ op: 'set', target: { scope: 'virtual', virtual: v }, key: k, value: x })),
    fc.record({ v, x: fc.constantFrom('rr', 'wlc', 'sh') }).map(({ v, x }): Edit => ({ op: 'set', target: { scope: 'virtual', virtual: v }, key: 'scheduler', value: x })),
    fc.record({ v, on: fc.boolean() }).map(({ v, on }): Edit => ({ op: 'setActive', target: { scope: 'virtual', virtual: v }, active: on })),
    fc.record({ v, name: fc.constantFrom('web', 'new', 'mail', 'vs3', 'x1') }).map(({ v, name }): Edit => ({ op: 'renameVirtual', virtual: v, name })),
    fc.record({ v, name: fc.constantFrom('r9', 'a', 'x') }).map(({ v, name }): Edit => ({ op: 'addServer', virtual: v, name, fields: { address: '10.8.8.8', active: true } })),
    fc.record({ v, s }).map(({ v, s }): Edit => ({ op: 'removeServer', virtual: v, server: s })),
    v.map((v): Edit => ({ op: 'removeVirtual', virtual: v })),
    fc.constantFrom('www', 'web', 'vs1').map((name): Edit => ({ op: 'addVirtual', name, fields: { address: '192.168.9.9 eth0:9', active: true } })),
    fc.record({ k: fc.constantFrom('tcp_timeout', 'keepalive', 'deadtime', 'syncd_id'), x: fc.constantFrom(0, 1, 3, 300, 900) }).map(({ k, x }): Edit => ({ op: 'set', target: { scope: 'global' }, key: k, value: x })),
    fc.constantFrom('nat', 'direct').map((x): Edit => ({ op: 'set', target: { scope: 'global' }, key: 'network', value: x })),
  );
}
const SM = fs.readFileSync('/work/wt/store/lvs-cf/incremental.test.ts','utf8').split('const SMALL = `')[1].split('`;')[0];
const starts = [SM, generate(3), SM.replace('network = direct', 'network = nat\nnat_router = 10.0.0.254 eth1:1')];
let found = 0;
for (let r = 0; r < 20000 && !found; r++) {
  const [start, steps] = fc.sample(fc.tuple(fc.constantFrom(...starts), fc.array(fc.array(editArb(3, 3), { minLength: 0, maxLength: 2 }), { minLength: 1, maxLength: 6 })), 1)[0];
  let text = start; let doc = IncrementalDoc.parse(text);
  for (const [i, es] of steps.entries()) {
    const edits: Edit[] = [...es, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 100 + i }];
    const full = edit(text, edits); const inc = doc.edit(edits);
    if (inc.kind === 'fast') {
      try {
        assert.ok(full.ok, 'full refuses');
        assert.equal(inc.result.text, full.text, 'text');
        assert.deepEqual(inc.result.patch, full.patch, 'patch');
        assert.deepEqual(inc.result.model, full.model, 'model');
        assert.deepEqual(inc.result.diagnostics, full.diagnostics, 'diags');
        assert.deepEqual(inc.next.result, parse(full.text), 'next');
      } catch (e) { console.log('start', starts.indexOf(start), 'prev steps', JSON.stringify(steps.slice(0,i)), '\nedits', JSON.stringify(edits)); console.log(String(e.message).slice(0, 2500)); found = 1; break; }
      doc = inc.next; text = full.text;
    } else if (full.ok) { text = full.text; doc = IncrementalDoc.parse(text); }
  }
}
