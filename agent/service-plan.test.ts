// The plan of a configuration: which services and checked real servers an lvs.cf makes, the checks
// real servers share, and a reload planned against the previous plan (given a model, produces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LvsConfig } from '../lvs-cf/model.ts';
import { plan, targetsOf } from './service-plan.ts';
import { cfg, rs, vs } from '../testing/model.ts';

const targets = (m: LvsConfig) => [...targetsOf(plan(m).plan)];

test('one service per active virtual with an address, keyed like IPVS', () => {
  const m = cfg([
    vs('web', '192.168.1.10', 80, [rs('a', '10.0.0.2', 80, 3), rs('b', '10.0.0.3', 8080, 1)]),
    vs('dns', '192.168.1.10', 53, [rs('d', '10.0.0.4', 53)], { protocol: 'udp', scheduler: 'rr' }),
    vs('marked', '192.168.1.11', 443, [rs('m', '10.0.0.5', 443)], { fwmark: 7, persistent: 300, pmask: '255.255.255.0' }),
    vs('off', '192.168.1.12', 80, [rs('o', '10.0.0.6', 80)], { active: false }),
    vs('noaddr', '0.0.0.0', 80, []),
  ]);
  const { plan: p, changed } = plan(m);
  assert.equal(changed, 'all', 'planned from scratch');
  assert.deepEqual(p.services.map((s) => s.spec.key), ['tcp|192.168.1.10|80', 'udp|192.168.1.10|53', 'fwm|7']);
  assert.deepEqual(p.services[2]!.spec, {
    key: 'fwm|7', name: 'marked', protocol: 'tcp', address: '192.168.1.11', port: 443, fwmark: 7, scheduler: 'wlc', persistent: 300, pmask: '255.255.255.0',
  });
  assert.equal(p.services[0]!.spec.pmask, null);
  assert.match(p.problems.map((x) => x.message).join('\n'), /noaddr has no address/);
  assert.equal(p.targetCount, 4);
  assert.deepEqual(p.services[0]!.targets.map((t) => [t.server, t.realKey, t.weight]), [['a', '10.0.0.2:80', 3], ['b', '10.0.0.3:8080', 1]]);
});

test('two virtuals on the same key: the first wins, the second is a problem', () => {
  const m = cfg([vs('first', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80)]), vs('second', '1.1.1.1', 80, [rs('b', '3.3.3.3', 80)])]);
  const { plan: p } = plan(m);
  assert.equal(p.services.length, 1);
  assert.equal(p.services[0]!.spec.name, 'first');
  assert.deepEqual(p.problems, [{ service: 'second', message: 'virtual server second maps to the same service (tcp|1.1.1.1|80) as first; only first is served' }]);
  assert.deepEqual(targets(m).map((t) => t.server), ['a']);
});

test('inactive real servers and duplicates get no check', () => {
  const m = cfg([vs('v', '1.1.1.1', 80, [rs('a', '2.2.2.2', 80), rs('b', '2.2.2.3', 80, 1, { active: false }), rs('c', '2.2.2.2', 80)])]);
  const { plan: p } = plan(m);
  assert.deepEqual(targets(m).map((t) => t.server), ['a']);
  assert.match(p.problems[0]!.message, /c of v repeats 2\.2\.2\.2:80/);
  const [check] = p.checks.values();
  assert.equal(check!.spec.timeoutSec, 6);
  assert.equal(check!.spec.reentrySec, 15);
});

test('a host behind several VIPs checked the same way is one check shared by its real servers', () => {
  const host = (name: string) => rs(name, '10.0.0.2', 8080);
  const m = cfg([
    vs('a', '192.168.1.1', 80, [host('r1'), rs('other', '10.0.0.3', 8080)], { send: 'GET /', expect: 'OK' }),
    vs('b', '192.168.1.2', 80, [host('r2')], { send: 'GET /', expect: 'OK' }),
    vs('c', '192.168.1.3', 81, [host('r3')], { send: 'GET /', expect: 'OK' }),
    // The same host checked differently (another expected answer, another re-entry time) is another check.
    vs('d', '192.168.1.4', 80, [host('r4')], { send: 'GET /', expect: 'HTTP' }),
    vs('e', '192.168.1.5', 80, [host('r5')], { send: 'GET /', expect: 'OK', reentry: 60 }),
  ]);
  const { plan: p } = plan(m);
  assert.equal(p.targetCount, 6);
  assert.equal(p.checks.size, 4);
  const shared = [...p.checks.values()].find((c) => c.targets.length > 1)!;
  assert.deepEqual(shared.targets.map((t) => `${t.server} of ${t.virtual}`), ['r1 of a', 'r2 of b', 'r3 of c']);
  assert.equal(shared.spec.address, '10.0.0.2');
  assert.equal(shared.spec.port, 8080);
});

test('the virtual port separates checks only where it decides the default HTTP check', () => {
  const m = cfg([
    vs('web', '192.168.1.1', 80, [rs('r', '10.0.0.2', 8080)]),
    vs('alt', '192.168.1.2', 8000, [rs('r', '10.0.0.2', 8080)]),
    vs('alt2', '192.168.1.3', 8001, [rs('r', '10.0.0.2', 8080)]),
  ]);
  const checks = [...plan(m).plan.checks.values()].map((c) => c.targets.map((t) => t.virtual));
  assert.deepEqual(checks, [['web'], ['alt', 'alt2']], 'port 80 without send/expect is nanny\'s HTTP check; the others only connect');
});

test('a reload planned against the previous plan: unchanged services are kept, the changed ones named', () => {
  const v = (i: number, weight = 1) => vs(`v${i}`, `192.168.1.${i}`, 80, [rs('a', `10.0.1.${i}`, 80, weight), rs('b', `10.0.2.${i}`, 80)]);
  const before = plan(cfg([v(1), v(2), v(3)])).plan;
  // A fresh parse makes new objects for everything: equality is by content.
  const weight = plan(cfg([v(1), v(2, 7), v(3)]), before);
  assert.deepEqual(weight.changed, new Set(['tcp|192.168.1.2|80']));
  assert.equal(weight.plan.byKey.get('tcp|192.168.1.1|80')!.targets, before.byKey.get('tcp|192.168.1.1|80')!.targets, 'kept as planned');
  assert.equal(weight.plan.byKey.get('tcp|192.168.1.2|80')!.targets[0]!.weight, 7);

  const removed = plan(cfg([v(1), v(3)]), before);
  assert.deepEqual(removed.changed, new Set(['tcp|192.168.1.2|80']));
  assert.equal(removed.plan.byKey.get('tcp|192.168.1.3|80')!.virtualIndex, 1, 'the index follows the file');

  const added = plan(cfg([v(1), v(2), v(3), v(4)]), before);
  assert.deepEqual(added.changed, new Set(['tcp|192.168.1.4|80']));

  const deactivated = plan(cfg([v(1), { ...v(2), servers: [rs('a', '10.0.1.2', 80), rs('b', '10.0.2.2', 80, 1, { active: false })] }, v(3)]), before);
  assert.deepEqual(deactivated.changed, new Set(['tcp|192.168.1.2|80']));
  assert.deepEqual(deactivated.plan.byKey.get('tcp|192.168.1.2|80')!.targets.map((t) => t.server), ['a']);

  assert.equal(plan(cfg([v(1), v(2), v(3)], { network: 'direct' }), before).changed, 'all', 'the forwarding method of every real server changed');
  assert.deepEqual(plan(cfg([v(1), v(2), v(3)]), before).changed, new Set(), 'the same file: nothing to look at');
});
