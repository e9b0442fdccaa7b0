// The dataplane as the agent reports it: only its own services, problems read at most once a
// second (status is polled often) unless the table changed, a table that cannot be read is a problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneView } from './dataplane-view.ts';
import type { Dataplane, ServiceStats } from './dataplane/types.ts';

function svc(key: string, problem: string | null): ServiceStats {
  const [protocol, address, port] = key.split('|') as ['tcp', string, string];
  return { key, name: `n-${port}`, protocol, address, port: Number(port), fwmark: 0, scheduler: 'rr', persistent: 0, pmask: null, reals: [], problem };
}

function dataplane(services: ServiceStats[]) {
  let reads = 0;
  let fail: string | null = null;
  const dp: Dataplane = {
    kind: 'ipvs',
    start: async () => {},
    stop: async () => {},
    apply: async () => ({ failures: [] }),
    table: async (only) => services.filter((s) => !only || only.has(s.key)),
    problems: async () => {
      reads++;
      if (fail) throw new Error(fail);
      return services.filter((s) => s.problem !== null).map((s) => ({ key: s.key, name: s.name, problem: s.problem! }));
    },
  };
  return { dp, reads: () => reads, failWith: (m: string | null) => (fail = m) };
}

test('only owned services; their problems, cached for a second unless invalidated', async () => {
  const mine = svc('tcp|10.0.0.1|80', 'the VIP is not an address of this machine');
  const theirs = svc('tcp|10.0.0.1|443', 'not ours to report');
  const d = dataplane([mine, theirs]);
  let now = 1000;
  const view = new DataplaneView(d.dp, (k) => k === mine.key, () => now);
  assert.deepEqual(await view.services(), [mine]);
  assert.deepEqual(await view.services(new Set([theirs.key])), [], 'asked for theirs only: still not ours');
  assert.deepEqual([...(await view.problemKeys())], [mine.key]);
  const expected = [{ service: 'n-80', message: 'the VIP is not an address of this machine' }];
  assert.deepEqual(await view.problems(), expected);
  const reads = d.reads();
  now += 999;
  assert.deepEqual(await view.problems(), expected);
  assert.equal(d.reads(), reads, 'cached');
  view.invalidate();
  await view.problems();
  assert.equal(d.reads(), reads + 1, 'read again after a change');
  now += 1000;
  d.failWith('ipvsadm -Ln failed: Permission denied');
  assert.deepEqual(await view.problems(), [{ service: 'dataplane', message: 'cannot read the table: ipvsadm -Ln failed: Permission denied' }]);
});
