// "Check now": the pool's check while directing a checked server, a one-off check otherwise.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { checkNowOf } from './check-now.ts';
import { ConfigState, type Configuration } from './config-state.ts';
import { NotFoundError } from './errors.ts';
import type { CheckOutcome } from './checkers/check.ts';
import { lvsCf, writeLvsCf, type TestVirtual } from '../testing/lvs-cf.ts';
import { tempRootFor } from '../testing/temp.ts';

const web: TestVirtual = {
  name: 'web', vip: '192.168.1.250', port: 80,
  servers: [{ name: 'a', address: '10.0.0.2', port: 80 }, { name: 'off', address: '10.0.0.9', port: 80, active: false }],
};

async function configuration(t: TestContext): Promise<Configuration> {
  const { root } = await tempRootFor(t, 'piranha-check-now-');
  await writeLvsCf(root, lvsCf({ virtuals: [web] }));
  const state = new ConfigState(root, () => {});
  const p = await state.read();
  assert.ok(p.ok);
  state.adopt(p.config);
  return state.current;
}

const answer = (ok: boolean, by: string): CheckOutcome => ({ ok, sent: by, received: '', error: ok ? null : 'connect ECONNREFUSED', durationMs: 2, description: 'connect tcp' });

function rig(config: Configuration, directing: boolean) {
  const calls: string[] = [];
  const pool = { checkNow: async (key: string) => (calls.push(`pool ${key}`), answer(true, 'pool')) };
  const run = async (spec: { key: string }) => (calls.push(`one-off ${spec.key}`), answer(false, 'one-off'));
  return { deps: { config, pool, directing, run }, calls };
}

test('while directing, a checked real server is checked by the pool', async (t) => {
  const { deps, calls } = rig(await configuration(t), true);
  const r = await checkNowOf(deps, 'web', 'a');
  assert.deepEqual(r, { virtual: 'web', server: 'a', sent: 'pool', received: '', verdict: 'up', error: null, durationMs: 2 });
  assert.equal(calls.length, 1);
  assert.match(calls[0]!, /^pool /);
});

test('an inactive real server, or an agent not directing, gets a one-off check', async (t) => {
  const config = await configuration(t);
  const off = rig(config, true);
  const r = await checkNowOf(off.deps, 'web', 'off');
  assert.deepEqual([r.verdict, r.error, r.sent], ['down', 'connect ECONNREFUSED', 'one-off']);
  assert.match(off.calls[0]!, /^one-off .*10\.0\.0\.9/);
  const stopped = rig(config, false);
  await checkNowOf(stopped.deps, 'web', 'a');
  assert.match(stopped.calls[0]!, /^one-off /);
});

test('unknown names are not found', async (t) => {
  const { deps } = rig(await configuration(t), true);
  await assert.rejects(checkNowOf(deps, 'web', 'nope'), NotFoundError);
  await assert.rejects(checkNowOf(deps, 'nope', 'a'), NotFoundError);
});
