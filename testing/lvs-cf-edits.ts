// What the property tests of lvs-cf/incremental.ts, lvs-cf/reparse.ts and lvs-cf/chunked-parse.ts
// share: a small file with comments, warnings and a shared firewall mark, the small files they start
// from, random edits the way the console makes them, and the count of steps that took the fast path.
import fc from 'fast-check';
import type { Edit } from '../lvs-cf/api-types.ts';
import { generate } from './generated-lvs-cf.ts';

export const SMALL = `serial_no = 7
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
export function editArb(n: number, m: number): fc.Arbitrary<Edit> {
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


/** The small files the fast paths are tried on: SMALL, a generated one, and SMALL with NAT. */
export function smallStarts(): fc.Arbitrary<string> {
  return fc.constantFrom(SMALL, generate(3), SMALL.replace('network = direct', 'network = nat\nnat_router = 10.0.0.254 eth1:1'));
}

/**
 * Checks a property whose every run tells how many of its steps took the fast path (and compared
 * it with the whole way) out of how many; returns the totals over all runs, for the test to ask that
 * a share of them did, or the comparison may never have happened.
 */
export function fastPathTally<T>(arb: fc.Arbitrary<T>, run: (value: T) => { fast: number; all: number }, numRuns: number): { fast: number; all: number } {
  const total = { fast: 0, all: 0 };
  fc.assert(
    fc.property(arb, (value) => {
      const r = run(value);
      total.fast += r.fast;
      total.all += r.all;
    }),
    { numRuns },
  );
  return total;
}
