// What the checkers report: a CheckerInfo per checked server with its weight in the dataplane, a
// log line and an event on a state change, an event when only the weight changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckerReports } from './checker-reports.ts';
import { CheckerPool, type RealState } from './checkers/pool.ts';
import { proposalOf } from './config-state.ts';
import { parseConfigText } from './config.ts';
import type { AgentEvent } from './protocol/index.ts';
import { lvsCf } from '../testing/lvs-cf.ts';

const p = proposalOf(parseConfigText(lvsCf({ virtuals: [{ name: 'web', vip: '192.168.1.250', port: 80, servers: [{ name: 'a', address: '10.0.0.2', port: 80, weight: 4 }] }] }), 'lvs.cf'), 'lvs.cf');
assert.ok(p.ok);
const config = p.config;
const key = config.plan.targets[0]!.key;

function reports(weights: Map<string, number>) {
  const pool = new CheckerPool({ timers: { set: () => 0, clear: () => {} }, jitter: false });
  pool.update(config.plan.targets.map((t) => t.spec));
  const events: AgentEvent[] = [];
  const log: string[] = [];
  const r = new CheckerReports({ pool, config: () => config, weights: () => weights, emit: (e) => events.push(e), listening: () => true, log: (m) => log.push(m) });
  return { r, events, log, pool };
}

test('list: one entry per checked server, with the weight it has in the dataplane', () => {
  const { r, pool } = reports(new Map([[key, 1]]));
  const [info] = r.list();
  assert.equal(info!.server, 'a');
  assert.equal(info!.state, 'pending');
  assert.equal(info!.weight, 1);
  assert.equal(info!.check, 'HTTP GET / (default)');
  pool.stop();
});

test('a state change is one log line and one event; an unconfigured server is ignored', () => {
  const { r, events, log, pool } = reports(new Map());
  const st: RealState = { key, state: 'down', since: 0, lastResult: 'fail', lastCheck: 0, lastError: 'connect ECONNREFUSED', upSince: null, reentered: false, wasUp: true, flaps: 0, reason: null, lastLatencyMs: null };
  assert.equal(r.stateChanged(st), true);
  assert.deepEqual(log, ['real server a (10.0.0.2:80) of web is down: connect ECONNREFUSED']);
  assert.equal(events.length, 1);
  assert.equal(r.stateChanged({ ...st, key: 'tcp|1.1.1.1|1>2.2.2.2:2' }), false);
  assert.equal(events.length, 1);
  pool.stop();
});

test('weights: an event only for a server whose weight changed', () => {
  const { r, events, pool } = reports(new Map([[key, 2]]));
  r.weightsChanged(new Map([[key, 2]]), new Map([[key, 2]]));
  assert.equal(events.length, 0);
  r.weightsChanged(new Map([[key, 2]]), new Map([[key, 1]]));
  assert.deepEqual(events.map((e) => e.event === 'checker' && e.data.weight), [2]);
  pool.stop();
});
