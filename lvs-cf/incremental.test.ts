// The incremental edit gives exactly what edit() on the whole file gives: verdict, bytes, patch,
// model and diagnostics, over random sequences of the console's edits (fields of real and virtual
// servers, adds and deletes, (de)activation, global settings, invalid values, renames onto an
// existing name) on small files with comments, warnings and shared firewall marks, and on a large
// generated one. Each step's file is also compared with a fresh parse of the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { edit, parse } from './index.ts';
import type { Edit } from './api-types.ts';
import { IncrementalDoc } from './incremental.ts';
import { generate } from '../bench/lvs-cf/run.ts';

const SMALL = `serial_no = 7
primary = 10.0.0.1
service = lvs
network = direct
keepalive = 2
deadtime = 10
# the web farm
virtual web {
     active = 1
     address = 192.168.1.100 eth0:1
     port = 80
     fwmark = 5
     scheduler = wlc
     timeout = 6
     server a {
         address = 10.0.1.1
         active = 1
         weight = 1
     }
     server a {
         address = 10.0.1.2
         active = 1
         weight = 70000
     }
}

virtual mail {
     active = 0
     address = 192.168.1.101 eth0:2
     port = 25
     fwmark = 5
     timeout = 6
     server m1 {
         address = 10.0.2.1
         active = 1
     }
}
# dns below
virtual dns {
     active = 1
     address = 192.168.1.102 eth0:3
     port = 53
     protocol = udp
     timeout = 6
     scheduler = rr
     scheduler = wrr
     server d1 {
         address = 10.0.3.1
         active = 1
         weight = 2
     }
}
# end
`;

/** One console-like edit of a file with `n` virtual servers of up to `m` real servers each. */
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

/** Runs `steps` saves (each with the serial bump, as the console saves) both ways and compares. */
function run(start: string, steps: Edit[][]): { fast: number; slow: number } {
  let text = start;
  let doc = IncrementalDoc.parse(text);
  let fast = 0;
  let slow = 0;
  for (const [i, es] of steps.entries()) {
    const edits: Edit[] = [...es, { op: 'set', target: { scope: 'global' }, key: 'serial_no', value: 100 + i }];
    const full = edit(text, edits);
    const inc = doc.edit(edits);
    if (inc.kind === 'fast') {
      fast++;
      assert.ok(full.ok, `the fast path accepted what the whole file refuses: ${JSON.stringify(edits)}`);
      assert.equal(inc.result.text, full.text);
      assert.deepEqual(inc.result.patch, full.patch);
      assert.deepEqual(inc.result.model, full.model);
      assert.deepEqual(inc.result.diagnostics, full.diagnostics);
      const fresh = parse(full.text);
      assert.deepEqual(inc.next.result, fresh);
      doc = inc.next;
      text = full.text;
    } else {
      slow++;
      if (full.ok) {
        text = full.text;
        doc = IncrementalDoc.parse(text);
      }
    }
  }
  return { fast, slow };
}

test('small files: the fast path and the whole file agree on every random edit sequence', () => {
  let fast = 0;
  let all = 0;
  fc.assert(
    fc.property(fc.constantFrom(SMALL, generate(3), SMALL.replace('network = direct', 'network = nat\nnat_router = 10.0.0.254 eth1:1')), fc.array(fc.array(editArb(3, 3), { minLength: 0, maxLength: 2 }), { minLength: 1, maxLength: 12 }), (start, steps) => {
      const r = run(start, steps);
      fast += r.fast;
      all += r.fast + r.slow;
    }),
    { numRuns: 200 },
  );
  // The comparison must have happened (many random edits are refused or shared, and go the whole way).
  assert.ok(fast > all / 10, `${fast} of ${all} saves took the fast path`);
});

test('a large generated file: the fast path and the whole file agree', () => {
  const big = generate(150);
  let fast = 0;
  fc.assert(
    fc.property(fc.array(fc.array(editArb(150, 20), { minLength: 1, maxLength: 1 }), { minLength: 1, maxLength: 4 }), (steps) => {
      fast += run(big, steps).fast;
    }),
    { numRuns: 10 },
  );
  assert.ok(fast > 5, `${fast} saves took the fast path`);
});

test('what the fast path does not cut: a file with errors, carriage returns or failover blocks', () => {
  assert.notEqual(IncrementalDoc.parse(SMALL.replace(/\n/g, '\r\n')).uncut, null);
  assert.match(IncrementalDoc.parse(SMALL.replace('timeout = 6', 'timeout = 0')).uncut ?? '', /errors/);
  assert.match(IncrementalDoc.parse(SMALL + 'failover f {\n     active = 0\n     address = 192.168.1.9 eth0:9\n}\n').uncut ?? '', /failover/);
  assert.equal(IncrementalDoc.parse(SMALL).uncut, null);
});
