// The steering machine under a fake clock: when the agent directs and when its checkers run, for a
// standalone agent and for one router of a pair, and what START and STOP do in each state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkersRun, initialSteering, startAction, steer, stopAction, type Steering, type SteeringEvent } from './steering.ts';

/** Feeds events one per millisecond; returns the last state and what each event changed. */
function run(events: SteeringEvent[], from: Steering = initialSteering(0)) {
  let s = from;
  const changes: string[] = [];
  events.forEach((e, i) => {
    const r = steer(s, e, i + 1);
    s = r.state;
    changes.push([e.type, r.directing ?? '-', r.roleChanged ? s.role : '-'].join(' '));
  });
  return { s, changes };
}

test('standalone: directs between start and stop; checks only while directing; since marks each change', () => {
  const s0 = initialSteering(0);
  assert.equal(s0.directing, false);
  assert.equal(checkersRun(s0), false);
  assert.equal(startAction(s0), 'serve');
  assert.equal(stopAction(s0), 'none');
  const { s, changes } = run([{ type: 'start' }, { type: 'start' }]);
  assert.deepEqual(changes, ['start began -', 'start - -']);
  assert.equal(s.directing, true);
  assert.equal(s.since, 1, 'a start while directing changes nothing');
  assert.equal(checkersRun(s), true);
  assert.equal(startAction(s), 'none');
  assert.equal(stopAction(s), 'withdraw');
  const stopped = run([{ type: 'stop' }], s).s;
  assert.equal(stopped.directing, false);
  assert.equal(checkersRun(stopped), false);
  assert.equal(startAction(stopped), 'serve');
});

test('standalone: events of the pair change nothing', () => {
  const { s, changes } = run([{ type: 'start' }, { type: 'activate' }, { type: 'deactivate' }, { type: 'joined' }, { type: 'left' }]);
  assert.deepEqual(changes, ['start began -', 'activate - -', 'deactivate - -', 'joined - -', 'left - -']);
  assert.equal(s.directing, true);
  assert.equal(s.role, 'standalone');
});

test('pair: standby until the role machine activates; a joined standby keeps checking', () => {
  const { s, changes } = run([{ type: 'pair' }, { type: 'joined' }]);
  assert.deepEqual(changes, ['pair - standby', 'joined - -']);
  assert.equal(s.directing, false);
  assert.equal(checkersRun(s), true, 'standby in the pair: checks run so a failover knows at once which servers are up');
  assert.equal(startAction(s), 'none', 'START while in the pair does nothing');
  assert.equal(stopAction(s), 'leave');

  const active = run([{ type: 'role', role: 'active' }, { type: 'activate' }], s);
  assert.deepEqual(active.changes, ['role - active', 'activate began -']);
  assert.equal(active.s.directing, true);
  assert.equal(active.s.since, 2);

  const back = run([{ type: 'role', role: 'standby' }, { type: 'deactivate' }], active.s);
  assert.deepEqual(back.changes, ['role - standby', 'deactivate ceased -']);
  assert.equal(checkersRun(back.s), true);
});

test('pair: a router activated before its join completes serves (the role machine may activate during join)', () => {
  const { s, changes } = run([{ type: 'pair' }, { type: 'activate' }, { type: 'joined' }]);
  assert.deepEqual(changes, ['pair - standby', 'activate began -', 'joined - -']);
  assert.equal(s.directing, true);
});

test('pair: leaving stops serving and checking; START then rejoins', () => {
  const { s, changes } = run([{ type: 'pair' }, { type: 'joined' }, { type: 'activate' }, { type: 'left' }]);
  assert.deepEqual(changes.slice(2), ['activate began -', 'left ceased -']);
  assert.equal(s.directing, false);
  assert.equal(checkersRun(s), false);
  assert.equal(startAction(s), 'rejoin');
  assert.equal(stopAction(s), 'none');
  const rejoined = run([{ type: 'joined' }], s).s;
  assert.equal(rejoined.directing, false, 'rejoining does not serve: the role machine decides');
  assert.equal(checkersRun(rejoined), true);
});

test('shutdown: nothing directs or checks afterwards, whatever arrives', () => {
  const { s, changes } = run([{ type: 'start' }, { type: 'shutdown' }, { type: 'start' }]);
  assert.deepEqual(changes, ['start began -', 'shutdown ceased -', 'start - -']);
  assert.equal(checkersRun(s), false);
  assert.equal(startAction(s), 'none');
  const pair = run([{ type: 'pair' }, { type: 'joined' }, { type: 'shutdown' }, { type: 'activate' }]);
  assert.equal(pair.s.directing, false);
  assert.equal(checkersRun(pair.s), false);
});

test('steer does not change the state it is given', () => {
  const s0 = run([{ type: 'pair' }]).s;
  const copy = structuredClone(s0);
  steer(s0, { type: 'joined' }, 5);
  steer(s0, { type: 'activate' }, 6);
  assert.deepEqual(s0, copy);
});
