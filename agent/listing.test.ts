// Which rows `table` and `checkers` answer with (given the agent's services and checks, produces):
// filters by virtual server, address, state and text; the orders; pages and totals; the byte
// budget. The streaming orders (file, state) are held against a plain sort of every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplyBudget, selectCheckers, selectServices, type ServiceEntry } from './listing.ts';
import { plan, targetsOf, type PlannedService } from './service-plan.ts';
import type { CheckerStateName, CheckersParams } from './protocol/index.ts';
import type { TableService } from './director.ts';
import { cfg, rs, vs } from '../testing/model.ts';

const model = cfg([
  vs('web', '192.168.1.10', 80, [rs('a', '10.0.0.2', 80), rs('b', '10.0.0.3', 80)]),
  vs('mail', '192.168.1.9', 25, [rs('m1', '10.0.0.2', 25), rs('m2', '10.0.0.10', 25)]),
  vs('api', '192.168.1.11', 443, [rs('x', '10.0.0.4', 443)]),
]);
const p = plan(model).plan;
const targets = [...targetsOf(p)];

/** Check states by real server name. */
function states(byServer: Record<string, CheckerStateName | undefined>): (check: string) => CheckerStateName | undefined {
  const m = new Map(targets.map((t) => [t.check, t.server in byServer ? byServer[t.server] : 'up']));
  return (check) => m.get(check);
}

const rows = (params: CheckersParams, st = states({})) => selectCheckers(p.services, st, params);
const names = (r: ReturnType<typeof rows>) => r.rows.map((t) => `${t.virtual}/${t.server}`);

test('checkers: every started check in file order; checks not started yet are left out', () => {
  assert.deepEqual(names(rows({})), ['web/a', 'web/b', 'mail/m1', 'mail/m2', 'api/x']);
  assert.deepEqual(names(rows({}, states({ b: undefined }))), ['web/a', 'mail/m1', 'mail/m2', 'api/x']);
});

test('checkers: filters by virtual server, address (real or VIP), state and text', () => {
  assert.deepEqual(names(rows({ virtual: 'mail' })), ['mail/m1', 'mail/m2']);
  assert.deepEqual(names(rows({ address: '10.0.0.2' })), ['web/a', 'mail/m1'], 'a host behind two VIPs');
  assert.deepEqual(names(rows({ address: '192.168.1.11' })), ['api/x'], 'the VIP');
  assert.deepEqual(names(rows({ state: 'down' }, states({ m2: 'down', x: 'pending' }))), ['mail/m2']);
  assert.deepEqual(names(rows({ search: 'M2' })), ['mail/m2'], 'case-insensitive');
  assert.deepEqual(names(rows({ search: '10.0.0.1' })), ['mail/m2'], 'part of an address');
  assert.deepEqual(names(rows({ search: '192.168.1.9:25' })), ['mail/m1', 'mail/m2'], 'VIP:PORT');
  assert.deepEqual(names(rows({ search: 'nothing' })), []);
  assert.equal(rows({ search: '.*' }).total, 0, 'the text is text, not a pattern');
});

test('checkers: problems first (down, pending, up), names, addresses', () => {
  const st = states({ x: 'down', b: 'pending', m1: 'down' });
  assert.deepEqual(names(rows({ sort: 'state' }, st)), ['mail/m1', 'api/x', 'web/b', 'web/a', 'mail/m2']);
  assert.deepEqual(names(rows({ sort: 'name' })), ['api/x', 'mail/m1', 'mail/m2', 'web/a', 'web/b']);
  assert.deepEqual(names(rows({ sort: 'address' })), ['web/a', 'mail/m1', 'web/b', 'api/x', 'mail/m2'], 'numeric: 10.0.0.10 after 10.0.0.4');
});

test('checkers: pages and the total of every page', () => {
  const st = states({ x: 'down' });
  const page = rows({ sort: 'state', offset: 1, limit: 2 }, st);
  assert.deepEqual(names(page), ['web/a', 'web/b']);
  assert.equal(page.total, 5);
  assert.equal(page.offset, 1);
  assert.deepEqual(names(rows({ limit: 0 })), [], 'a summary alone');
  assert.equal(rows({ limit: 0 }).total, 5);
  const past = rows({ offset: 50, limit: 10 });
  assert.deepEqual([past.rows.length, past.total, past.offset], [0, 5, 5]);
});

test('checkers: the streaming orders are a stable sort of every matching row (random states, filters, pages)', () => {
  const stateArb = fc.constantFrom<CheckerStateName | undefined>('up', 'down', 'pending', undefined);
  fc.assert(
    fc.property(
      fc.array(stateArb, { minLength: targets.length, maxLength: targets.length }),
      fc.constantFrom<CheckersParams['sort']>('file', 'state', undefined),
      fc.constantFrom(undefined, 'down', 'up'),
      fc.nat(6),
      fc.option(fc.nat(6), { nil: undefined }),
      (assigned, sort, state, offset, limit) => {
        const m = new Map(targets.map((t, i) => [t.check, assigned[i]]));
        const st = (k: string) => m.get(k);
        const got = selectCheckers(p.services, st, { sort, state: state as CheckerStateName | undefined, offset, limit });
        const rank = { down: 0, pending: 1, up: 2 };
        const all = targets.filter((t) => st(t.check) !== undefined && (state === undefined || st(t.check) === state));
        const sorted = sort === 'state' ? [...all].sort((a, b) => rank[st(a.check)!] - rank[st(b.check)!]) : all;
        assert.deepEqual(got.rows, sorted.slice(offset, limit === undefined ? undefined : offset + limit));
        assert.equal(got.total, all.length);
        // Knowing how many are in each state beforehand finds the same page without the full pass.
        const counts = { up: 0, down: 0, pending: 0 };
        for (const t of targets) if (st(t.check)) counts[st(t.check)!]++;
        const counted = selectCheckers(p.services, st, { sort, state: state as CheckerStateName | undefined, offset, limit }, counts);
        assert.deepEqual(counted, { ...got, offset: Math.min(offset, all.length) });
      },
    ),
  );
});

function entries(problems: string[] = []): ServiceEntry[] {
  return p.services.map((ps: PlannedService) => {
    const applied: TableService = { spec: ps.spec, reals: new Map(ps.targets.map((t) => [t.realKey, { address: t.address, port: t.port, weight: 1, method: 'm' as const }])) };
    return { key: ps.spec.key, applied, planned: ps, order: ps.virtualIndex, problem: problems.includes(ps.spec.name) };
  });
}
const services = (r: ReturnType<typeof selectServices>) => r.rows.map((e) => e.applied.spec.name);

test('table: filters, orders and pages of the services', () => {
  assert.deepEqual(services(selectServices(entries(), {})), ['web', 'mail', 'api']);
  assert.deepEqual(services(selectServices(entries(), { virtual: 'api' })), ['api']);
  assert.deepEqual(services(selectServices(entries(), { address: '10.0.0.2' })), ['web', 'mail'], 'a real server address');
  assert.deepEqual(services(selectServices(entries(), { address: '192.168.1.9' })), ['mail'], 'the VIP');
  assert.deepEqual(services(selectServices(entries(), { search: 'm1' })), ['mail'], 'a real server name');
  assert.deepEqual(services(selectServices(entries(['api']), { state: 'problem' })), ['api']);
  assert.deepEqual(services(selectServices(entries(['api']), { state: 'ok' })), ['web', 'mail']);
  assert.deepEqual(services(selectServices(entries(['api']), { sort: 'problem' })), ['api', 'web', 'mail']);
  assert.deepEqual(services(selectServices(entries(), { sort: 'name' })), ['api', 'mail', 'web']);
  assert.deepEqual(services(selectServices(entries(), { sort: 'address' })), ['mail', 'web', 'api'], '192.168.1.9 < .10 < .11');
  const page = selectServices(entries(), { offset: 1, limit: 1 });
  assert.deepEqual([services(page), page.total, page.offset], [['mail'], 3, 1]);
});

test('a reply budget takes rows while they fit, then none', () => {
  const row = { a: 'x'.repeat(20) };
  const size = Buffer.byteLength(JSON.stringify(row)) + 1;
  const budget = new ReplyBudget(size * 2 + 1);
  assert.deepEqual([budget.take(row), budget.take(row), budget.take({ b: 1 }), budget.truncated], [true, true, false, true]);
  assert.equal(budget.take({}), false, 'nothing after the first row that did not fit');
});
