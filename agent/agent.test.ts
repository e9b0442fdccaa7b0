// The agent's core without spawning the process: a real ConfigState on a temp folder, a checker
// pool whose checks are scripted and whose timers the test fires, an in-memory dataplane and a
// stand-in for the pair's redundancy controller. Start/stop/reload, the checkers driving the table,
// refusals retried, the pair's steering, and the core failing with domain errors (never RpcError).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, type PairMember } from './agent.ts';
import { ConfigState } from './config-state.ts';
import { CheckerPool, type PoolTimers } from './checkers/pool.ts';
import type { StartCheck } from './checkers/check.ts';
import { ConfigInvalidError, NotFoundError, PairError, StartupError } from './errors.ts';
import { RpcError } from './socket-server.ts';
import { record, type Table } from './director.ts';
import type { ApplyResult, Dataplane, DataplaneOp, ServiceProblem, ServiceStats } from './dataplane/types.ts';
import type { AgentEvent } from './protocol/index.ts';
import type { HaStatus } from './ha/index.ts';
import type { LvsConfig } from '../lvs-cf/model.ts';
import { Logger } from './log.ts';
import { lvsCf, writeLvsCf, type TestVirtual } from '../testing/lvs-cf.ts';
import { tempRoot } from '../testing/temp.ts';
import { waitFor } from '../testing/wait.ts';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

/** A dataplane in memory that works on copies of what it is given, as a validating one does; `refuse` says no. */
class MemoryDataplane implements Dataplane {
  readonly kind = 'userspace' as const;
  readonly table_: Table = new Map();
  readonly batches: DataplaneOp[][] = [];
  refuse: (op: DataplaneOp) => string | null = () => null;
  stopped = false;
  async start(): Promise<void> {}
  async apply(ops: DataplaneOp[]): Promise<ApplyResult> {
    this.batches.push(ops);
    const failures: ApplyResult['failures'] = [];
    ops.map((op) => structuredClone(op)).forEach((op, index) => {
      const message = this.refuse(op);
      if (message !== null) failures.push({ index, message });
      else record(this.table_, op);
    });
    return { failures };
  }
  async problems(): Promise<ServiceProblem[]> {
    return [];
  }
  async table(only?: ReadonlySet<string>): Promise<ServiceStats[]> {
    return [...this.table_.values()].filter((s) => !only || only.has(s.spec.key)).map((s) => ({
      ...s.spec,
      problem: null,
      reals: [...s.reals.values()].map((r) => ({ ...r, activeConns: 0, inactiveConns: 0, connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 })),
    }));
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  /** `ADDRESS:PORT w=N` of each real server of each service, sorted. */
  shape(): string[] {
    return [...this.table_.values()].flatMap((s) => [...s.reals.values()].map((r) => `${s.spec.key} > ${r.address}:${r.port} w=${r.weight}`)).sort();
  }
}

/** Timers the test fires: every pending check runs when fire() is called. */
class ManualTimers implements PoolTimers {
  private pending = new Map<number, () => void>();
  private seq = 0;
  set(fn: () => void): unknown {
    this.pending.set(++this.seq, fn);
    return this.seq;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fire(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const fn of due) fn();
  }
}

const web: TestVirtual = {
  name: 'web', vip: '192.168.1.250', port: 80, reentry: 0,
  servers: [{ name: 'a', address: '10.0.0.2', port: 80, weight: 1 }, { name: 'b', address: '10.0.0.3', port: 80, weight: 2 }],
};

async function setUp(virtuals: TestVirtual[] = [web], opts: { write?: boolean } = {}) {
  const t = await tempRoot('piranha-core-');
  cleanup.push(t.remove);
  if (opts.write !== false) await writeLvsCf(t.root, lvsCf({ serial: 1, virtuals }));
  const lines: string[] = [];
  const logger = new Logger({ write: (line) => lines.push(line), journal: false });
  const config = new ConfigState(t.root, (m) => logger.log(m));
  const dp = new MemoryDataplane();
  const timers = new ManualTimers();
  /** Addresses whose checks succeed. */
  const alive = new Set(['10.0.0.2', '10.0.0.3']);
  const start: StartCheck = (spec, done) => {
    setImmediate(() => done(alive.has(spec.address), alive.has(spec.address) ? null : 'connect ECONNREFUSED'));
    return { cancel() {} };
  };
  const pool = new CheckerPool({ start, timers, jitter: false });
  const agent = new Agent({ config, dataplane: dp, logger, pool });
  const events: AgentEvent[] = [];
  agent.onEvent((e) => events.push(e));
  cleanup.push(() => agent.shutdown());
  await agent.init(await config.read());
  return { agent, dp, timers, alive, root: t.root, lines, events, config };
}

const shapeIs = (dp: MemoryDataplane, want: string[]) => waitFor(() => JSON.stringify(dp.shape()) === JSON.stringify(want), { message: `table ${JSON.stringify(want)}` });

test('standalone: serve, the checkers drive the table, stop removes it, start serves again', async () => {
  const { agent, dp, timers, alive, events, lines } = await setUp();
  assert.equal((await agent.status()).running, false, 'not directing before serve()');
  await agent.serve();
  const st = await agent.status();
  assert.equal(st.running, true);
  assert.equal(st.role, 'standalone');
  assert.equal(st.serial, 1);
  assert.deepEqual(dp.shape(), [], 'no real server is in the table before its first check');
  timers.fire();
  await shapeIs(dp, ['tcp|192.168.1.250|80 > 10.0.0.2:80 w=1', 'tcp|192.168.1.250|80 > 10.0.0.3:80 w=2']);
  assert.deepEqual((await agent.checkers()).checkers.map((c) => `${c.server} ${c.state} w${c.weight}`), ['a up w1', 'b up w2']);

  alive.delete('10.0.0.3');
  timers.fire();
  await shapeIs(dp, ['tcp|192.168.1.250|80 > 10.0.0.2:80 w=1']);
  assert.ok(events.some((e) => e.event === 'checker' && e.data.server === 'b' && e.data.state === 'down' && e.data.lastError === 'connect ECONNREFUSED'));
  assert.ok(lines.some((l) => l.endsWith('real server b (10.0.0.3:80) of web is down: connect ECONNREFUSED\n')));

  const stopped = await agent.stop();
  assert.equal(stopped.running, false);
  assert.deepEqual([...dp.table_.keys()], []);
  assert.deepEqual((await agent.checkers()).checkers, [], 'checkers stopped');
  assert.equal((await agent.stop()).running, false, 'stop when stopped is a no-op');

  const started = await agent.start();
  assert.equal(started.running, true);
  assert.deepEqual([...dp.table_.keys()], ['tcp|192.168.1.250|80']);
  assert.ok(events.some((e) => e.event === 'state' && e.data.running === false));
});

test('serve: every service is in the dataplane before the checks are set up (a large file opens its VIPs first)', async () => {
  const t = await tempRoot('piranha-core-');
  cleanup.push(t.remove);
  await writeLvsCf(t.root, lvsCf({ serial: 1, virtuals: [web, { ...web, name: 'mail', port: 25 }] }));
  const logger = new Logger({ write: () => {}, journal: false });
  const config = new ConfigState(t.root, (m) => logger.log(m));
  const dp = new MemoryDataplane();
  /** The services in the dataplane each time the pool was given checks to run. */
  const servicesWhenChecked: number[] = [];
  class WatchedPool extends CheckerPool {
    override update(specs: Parameters<CheckerPool['update']>[0]): void {
      if (specs.length > 0) servicesWhenChecked.push(dp.table_.size);
      super.update(specs);
    }
  }
  const pool = new WatchedPool({ start: () => ({ cancel() {} }), timers: new ManualTimers(), jitter: false });
  const agent = new Agent({ config, dataplane: dp, logger, pool });
  cleanup.push(() => agent.shutdown());
  await agent.init(await config.read());
  await agent.serve();
  assert.deepEqual(servicesWhenChecked, [2], 'the checks were set up once, with both services already in the dataplane');
  assert.equal((await agent.checkers()).checkers.length, 4, 'and every real server is checked');
});

test('reload: one changed weight is one operation; an invalid file is a ConfigInvalidError and changes nothing', async () => {
  const { agent, dp, timers, root, events } = await setUp();
  await agent.serve();
  timers.fire();
  await shapeIs(dp, ['tcp|192.168.1.250|80 > 10.0.0.2:80 w=1', 'tcp|192.168.1.250|80 > 10.0.0.3:80 w=2']);

  await writeLvsCf(root, lvsCf({ serial: 2, virtuals: [{ ...web, servers: [web.servers[0]!, { ...web.servers[1]!, weight: 5 }] }] }));
  const batches = dp.batches.length;
  assert.deepEqual(await agent.reload(), { serial: 2, operations: 1 });
  assert.deepEqual(dp.batches.slice(batches), [[{ op: 'editReal', key: 'tcp|192.168.1.250|80', real: { address: '10.0.0.3', port: 80, weight: 5, method: 'g' } }]]);
  assert.ok(events.some((e) => e.event === 'reload' && e.data.serial === 2));

  await writeLvsCf(root, lvsCf({ serial: 3, virtuals: [web] }).replace('scheduler = wlc', 'scheduler = fastest'));
  const err = await agent.reload().then(() => null, (e: unknown) => e);
  assert.ok(err instanceof ConfigInvalidError);
  assert.ok(!(err instanceof RpcError), 'the core does not speak the transport');
  assert.match(err.message, /error\[[\s\S]*fastest/);
  const st = await agent.status();
  assert.equal(st.serial, 2);
  assert.equal(st.lastReloadError, err.message);
  assert.deepEqual(dp.shape(), ['tcp|192.168.1.250|80 > 10.0.0.2:80 w=1', 'tcp|192.168.1.250|80 > 10.0.0.3:80 w=5']);
});

test('a refused operation is shown in status and retried at the next evaluation', async () => {
  const { agent, dp, timers } = await setUp();
  dp.refuse = (op) => (op.op === 'addReal' && op.real.address === '10.0.0.3' ? 'Destination refused' : null);
  await agent.serve();
  timers.fire();
  await shapeIs(dp, ['tcp|192.168.1.250|80 > 10.0.0.2:80 w=1']);
  await waitFor(async () => (await agent.status()).problems.some((p) => p.message === 'add real server 10.0.0.3:80 to tcp|192.168.1.250|80 weight 2 failed: Destination refused'));
  dp.refuse = () => null;
  timers.fire(); // the next checks (no state change) do not evaluate; a reload does
  assert.equal((await agent.reload()).operations, 1);
  assert.deepEqual(dp.shape(), ['tcp|192.168.1.250|80 > 10.0.0.2:80 w=1', 'tcp|192.168.1.250|80 > 10.0.0.3:80 w=2']);
  assert.deepEqual((await agent.status()).problems, []);
});

test('checkNow names what is missing with a NotFoundError; a missing lvs.cf is a note in status', async () => {
  const { agent } = await setUp([web], { write: false });
  await agent.serve();
  const st = await agent.status();
  assert.equal(st.serial, null);
  assert.match(st.problems[0]!.message, /^no configuration at .*lvs\.cf; running with an empty one/);
  await assert.rejects(agent.checkNow('web', 'a'), (e: unknown) => e instanceof NotFoundError && !(e instanceof RpcError));
});

test('init refuses an invalid lvs.cf with a StartupError', async () => {
  const t = await tempRoot('piranha-core-');
  cleanup.push(t.remove);
  await writeLvsCf(t.root, lvsCf({ virtuals: [web] }).replace('scheduler = wlc', 'scheduler = fastest'));
  const config = new ConfigState(t.root, () => {});
  const agent = new Agent({ config, dataplane: new MemoryDataplane(), logger: new Logger({ write: () => {} }), pool: new CheckerPool({ timers: new ManualTimers() }) });
  await assert.rejects(agent.init(await config.read()), (e: unknown) => e instanceof StartupError && /fastest/.test((e as Error).message));
});

/** Stands in for ha/controller.ts's Redundancy: records calls, can refuse to join. */
class FakePair implements PairMember {
  readonly node = 'primary' as const;
  calls: string[] = [];
  joinError: Error | null = null;
  async join(config: LvsConfig): Promise<void> {
    this.calls.push(`join ${config.serial_no}`);
    if (this.joinError) throw this.joinError;
  }
  async leave(): Promise<void> {
    this.calls.push('leave');
  }
  status(): HaStatus | null {
    return null;
  }
  async configChanged(config: LvsConfig): Promise<void> {
    this.calls.push(`configChanged ${config.serial_no}`);
  }
}

test('pair: standby and checking after joining, serving while active, STOP leaves and START rejoins', async () => {
  const { agent, dp, timers, root, lines } = await setUp();
  const pair = new FakePair();
  await agent.joinPair(pair);
  let st = await agent.status();
  assert.equal(st.role, 'standby');
  assert.equal(st.running, false);
  timers.fire();
  await waitFor(async () => (await agent.checkers()).checkers.every((c) => c.state === 'up'), { message: 'a standby router checks its servers' });
  assert.deepEqual([...dp.table_.keys()], [], 'standby: nothing in the dataplane');

  agent.setRole('active');
  await agent.activate();
  st = await agent.status();
  assert.equal(st.role, 'active');
  assert.equal(st.running, true);
  assert.deepEqual(dp.shape(), ['tcp|192.168.1.250|80 > 10.0.0.2:80 w=1', 'tcp|192.168.1.250|80 > 10.0.0.3:80 w=2'], 'servers known up at once');

  await writeLvsCf(root, lvsCf({ serial: 2, virtuals: [web] }));
  await agent.reload();
  assert.deepEqual(pair.calls, ['join 1', 'configChanged 2']);

  // STOP: the redundancy module deactivates this router while it leaves.
  pair.leave = async () => {
    pair.calls.push('leave');
    agent.setRole('standby');
    await agent.deactivate();
  };
  st = await agent.stop();
  assert.equal(st.running, false);
  assert.deepEqual([...dp.table_.keys()], []);
  assert.deepEqual((await agent.checkers()).checkers, [], 'out of the pair nothing is checked');
  assert.ok(lines.some((l) => l.endsWith('left the pair: the partner serves until START\n')));

  pair.joinError = new Error('address in use');
  await assert.rejects(agent.start(), (e: unknown) => e instanceof PairError && (e as Error).message === 'cannot rejoin the pair: address in use');
  pair.joinError = null;
  st = await agent.start();
  assert.equal(st.running, false, 'rejoined: the role machine decides when to serve');
  assert.deepEqual(pair.calls.slice(-2), ['join 2', 'join 2']);
  assert.ok(lines.some((l) => l.endsWith('rejoined the pair as the primary\n')));
  assert.equal((await agent.checkers()).checkers.length, 2, 'checking again');
  await agent.start();
  assert.deepEqual(pair.calls.slice(-1), ['join 2'], 'START while in the pair does nothing');
});

test('shutdown removes the services, stops the dataplane, and nothing serves afterwards', async () => {
  const { agent, dp, timers } = await setUp();
  await agent.serve();
  timers.fire();
  await shapeIs(dp, ['tcp|192.168.1.250|80 > 10.0.0.2:80 w=1', 'tcp|192.168.1.250|80 > 10.0.0.3:80 w=2']);
  await agent.shutdown();
  assert.deepEqual([...dp.table_.keys()], []);
  assert.equal(dp.stopped, true);
  await agent.activate();
  assert.equal((await agent.status()).running, false);
});
