// Drift, given the table the agent applied and the live one (as a dataplane reports it): produces
// one sentence per difference and the minimal operations that restore the applied table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDrift } from './drift.ts';
import type { RealSpec, ServiceSpec, ServiceStats } from './dataplane/types.ts';
import type { Table } from './director.ts';
import { realKey } from './service-plan.ts';

const web: ServiceSpec = { key: 'tcp|192.0.2.50|80', name: 'web', protocol: 'tcp', address: '192.0.2.50', port: 80, fwmark: 0, scheduler: 'wlc', persistent: 0, pmask: null };
const a: RealSpec = { address: '10.0.0.2', port: 80, weight: 1, method: 'm' };
const b: RealSpec = { address: '10.0.0.3', port: 80, weight: 2, method: 'm' };

function applied(...reals: RealSpec[]): Table {
  return new Map([[web.key, { spec: web, reals: new Map(reals.map((r) => [realKey(r.address, r.port), r])) }]]);
}

function live(spec: Partial<ServiceSpec>, reals: RealSpec[], problem: string | null = null): ServiceStats {
  const counters = { activeConns: 0, inactiveConns: 0, connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
  return { ...web, ...spec, reals: reals.map((r) => ({ ...r, ...counters })), problem };
}

test('a live table equal to the applied one has no drift', () => {
  assert.deepEqual(findDrift(applied(a, b), [live({}, [a, b])]), { entries: [], ops: [] });
});

test('a persistence mask of the whole address is no drift (ipvsadm does not print it)', () => {
  const sticky = { ...web, persistent: 300, pmask: '255.255.255.255' };
  const t: Table = new Map([[web.key, { spec: sticky, reals: new Map() }]]);
  assert.deepEqual(findDrift(t, [live({ persistent: 300, pmask: null }, [])]).ops, []);
});

test('a real server removed and a weight changed by hand: two entries, two operations', () => {
  const d = findDrift(applied(a, b), [live({}, [{ ...b, weight: 7 }])]);
  assert.deepEqual(d.entries.map((e) => e.kind), ['real-missing', 'real-changed']);
  assert.deepEqual(d.entries.map((e) => e.text), [
    'real server 10.0.0.2:80 of tcp|192.0.2.50|80 (web) is missing from the table (removed outside Piranha)',
    'real server 10.0.0.3:80 of tcp|192.0.2.50|80 (web) has weight 7 in the table, Piranha applied 2',
  ]);
  assert.deepEqual(d.ops, [
    { op: 'addReal', key: web.key, real: a },
    { op: 'editReal', key: web.key, real: b },
  ]);
});

test('a real server added by hand to an owned service is drift; the scheduler changed by hand too', () => {
  const extra = { address: '10.0.0.9', port: 80, weight: 1, method: 'm' as const };
  const d = findDrift(applied(a), [live({ scheduler: 'rr' }, [a, extra])]);
  assert.deepEqual(d.entries.map((e) => e.text), [
    'service tcp|192.0.2.50|80 (web) is scheduled "rr" in the table, Piranha applied "wlc"',
    'real server 10.0.0.9:80 of tcp|192.0.2.50|80 (web) was added outside Piranha',
  ]);
  assert.deepEqual(d.ops.map((o) => o.op), ['editService', 'deleteReal']);
});

test('a service deleted by hand: one entry, restored with its real servers', () => {
  const d = findDrift(applied(a, b), [live({}, [], 'missing from the kernel IPVS table (removed outside Piranha?)')]);
  assert.deepEqual(d.entries.map((e) => e.kind), ['service-missing']);
  assert.deepEqual(d.ops.map((o) => o.op), ['addService', 'addReal', 'addReal']);
});

test('services the agent did not apply are never compared', () => {
  const other = live({ key: 'tcp|192.0.2.60|80', address: '192.0.2.60', name: '' }, [a]);
  assert.deepEqual(findDrift(applied(a), [live({}, [a]), other]), { entries: [], ops: [] });
});
