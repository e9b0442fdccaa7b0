// The checker pool's schedule and state machine, driven by a fake clock and a scripted run(),
// plus checkNow against a real TCP server.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { checkSpec } from '../../testing/model.ts';
import { CheckerPool, defaultMaxInFlight, FIRST_CHECKS_PER_SECOND, type PoolSpec, type PoolTimers, type RealState } from './pool.ts';
import type { CheckOutcome, CheckSpec, StartCheck } from './check.ts';
import type { RunningProbe } from './tcp.ts';

/** A clock whose timers run only when the test advances it. */
class FakeClock implements PoolTimers {
  t = 1_700_000_000_000;
  private seq = 0;
  private pending = new Map<number, { at: number; fn: () => void; seq: number }>();
  /** Every delay ever requested, in order. */
  delays: number[] = [];
  now = (): number => this.t;
  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.delays.push(ms);
    this.pending.set(id, { at: this.t + ms, fn, seq: id });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get timerCount(): number {
    return this.pending.size;
  }
  /** Moves time forward, firing due timers in order and letting promise chains settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      let next: [number, { at: number; fn: () => void; seq: number }] | null = null;
      for (const e of this.pending) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq))) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await flush();
  }
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function outcome(ok: boolean, error: string | null = ok ? null : 'connect ECONNREFUSED'): CheckOutcome {
  return { ok, sent: '', received: '', error, durationMs: 1, description: 'connect tcp' };
}

/**
 * A scripted check written as a promise, as the pool's start(): the verdict goes to `done`, and the
 * pool's cancel() aborts the signal the script was given.
 */
function scripted(run: (s: CheckSpec, signal?: AbortSignal) => Promise<CheckOutcome>): StartCheck {
  return (s, done) => {
    const ac = new AbortController();
    run(s, ac.signal).then((o) => done(o.ok, o.error));
    return { cancel: () => ac.abort() };
  };
}

function spec(key: string, over: Partial<PoolSpec> = {}): PoolSpec {
  return { ...checkSpec(key, '127.0.0.43'), reentrySec: 3, ...over };
}

/** A pool on a fake clock whose run() answers from `health(key)` and counts calls. */
function rig(health: (key: string, t: number) => boolean, opts: { jitter?: boolean; random?: () => number } = {}) {
  const clock = new FakeClock();
  const calls: { key: string; at: number }[] = [];
  const run = async (s: CheckSpec): Promise<CheckOutcome> => {
    calls.push({ key: s.key, at: clock.t });
    return outcome(health(s.key, clock.t));
  };
  const pool = new CheckerPool({ now: clock.now, start: scripted(run), timers: clock, jitter: opts.jitter ?? false, random: opts.random });
  const changes: RealState[] = [];
  pool.on('change', (s: RealState) => changes.push(s));
  const state = (key: string) => pool.states().find((s) => s.key === key)!;
  return { clock, pool, calls, changes, state };
}

describe('state machine', () => {
  test('pending → up on the first success, at once (nanny starts its count at the threshold)', async () => {
    const { clock, pool, changes, state } = rig(() => true);
    pool.update([spec('a/1', { reentrySec: 180 })]);
    assert.equal(state('a/1').state, 'pending');
    await clock.advance(0);
    assert.equal(state('a/1').state, 'up');
    assert.equal(state('a/1').reentered, false);
    assert.equal(state('a/1').upSince, clock.t);
    assert.equal(state('a/1').wasUp, true);
    assert.deepEqual(changes.map((c) => c.state), ['up']);
    await clock.advance(10_000);
    assert.equal(changes.length, 1, "'change' fires only when the state changes");
    assert.equal(state('a/1').lastResult, 'ok');
    assert.equal(state('a/1').lastCheck, clock.t);
  });

  test('pending → down on a failure, with the error kept', async () => {
    const { clock, pool, state } = rig(() => false);
    pool.update([spec('a/1')]);
    await clock.advance(0);
    const s = state('a/1');
    assert.equal(s.state, 'down');
    assert.equal(s.lastError, 'connect ECONNREFUSED');
    assert.equal(s.wasUp, false);
  });

  test('up → down at the first failure', async () => {
    let healthy = true;
    const { clock, pool, state, changes } = rig(() => healthy);
    pool.update([spec('a/1')]);
    await clock.advance(2_000);
    healthy = false;
    await clock.advance(1_000);
    assert.equal(state('a/1').state, 'down');
    assert.equal(state('a/1').upSince, null);
    assert.deepEqual(changes.map((c) => c.state), ['up', 'down']);
  });

  test('down → up only after reentry seconds of continuous success; then reentered', async () => {
    const t0 = new FakeClock().t;
    // Down for the first 5 s, healthy afterwards; checks every second from t0.
    const { clock, pool, state, changes } = rig((_k, t) => t - t0 >= 5_000);
    pool.update([spec('a/1', { reentrySec: 3 })]);
    await clock.advance(5_000); // checks at 0..5 s: down, first success at 5 s
    assert.equal(state('a/1').state, 'down');
    await clock.advance(2_000); // successes at 6 s and 7 s: 2 s of success, not yet 3
    assert.equal(state('a/1').state, 'down');
    await clock.advance(1_000); // success at 8 s: 3 s since the first success at 5 s
    const s = state('a/1');
    assert.equal(s.state, 'up');
    assert.equal(s.reentered, true);
    assert.equal(s.upSince, t0 + 8_000);
    assert.equal(s.since, t0 + 8_000);
    assert.deepEqual(changes.map((c) => c.state), ['down', 'up']);
  });

  test('a failure inside the reentry window restarts it', async () => {
    const t0 = new FakeClock().t;
    // Fails at 0 s, succeeds from 1 s except one failure at 3 s.
    const { clock, pool, state } = rig((_k, t) => t - t0 >= 1_000 && t - t0 !== 3_000);
    pool.update([spec('a/1', { reentrySec: 3 })]);
    await clock.advance(6_000); // window began at 1 s, broken at 3 s, restarted at 4 s: 2 s at 6 s
    assert.equal(state('a/1').state, 'down');
    await clock.advance(1_000); // 7 s: 3 s of continuous success
    assert.equal(state('a/1').state, 'up');
    assert.equal(state('a/1').upSince, t0 + 7_000);
  });

  test('reentry 0 brings a failed server back at its first success', async () => {
    let healthy = false;
    const { clock, pool, state } = rig(() => healthy);
    pool.update([spec('a/1', { reentrySec: 0 })]);
    await clock.advance(0);
    assert.equal(state('a/1').state, 'down');
    healthy = true;
    await clock.advance(1_000);
    assert.equal(state('a/1').state, 'up');
    assert.equal(state('a/1').reentered, true);
  });
});

describe('schedule', () => {
  test('one check per interval (= timeout), and timeout 0 is treated as 1 s', async () => {
    const { clock, pool, calls } = rig(() => true);
    pool.update([spec('a/1', { timeoutSec: 2 }), spec('b/1', { timeoutSec: 0 })]);
    await clock.advance(10_000);
    assert.equal(calls.filter((c) => c.key === 'a/1').length, 6); // 0,2,4,6,8,10
    assert.equal(calls.filter((c) => c.key === 'b/1').length, 11); // 0..10
  });

  test('first checks are spread at FIRST_CHECKS_PER_SECOND, never beyond one interval', async () => {
    const clock = new FakeClock();
    const pool = new CheckerPool({ now: clock.now, timers: clock, start: scripted(async () => outcome(true)) });
    // 2,000 checks: all first checks within 2000 / 5000 s = 400 ms, spread over that window.
    pool.update(Array.from({ length: 2000 }, (_, i) => spec(`v/${i}`, { timeoutSec: 5 })));
    assert.equal(clock.delays.length, 2000);
    const window = (2000 * 1000) / FIRST_CHECKS_PER_SECOND;
    assert.ok(clock.delays.every((d) => d >= 0 && d < window), `every first delay within ${window} ms`);
    assert.ok(new Set(clock.delays).size > 200, 'the delays are spread, not all equal');
    // 30,000 checks of 5 s would need 6 s at that rate: capped at the interval.
    const big = new FakeClock();
    const p2 = new CheckerPool({ now: big.now, timers: big, start: scripted(async () => outcome(true)) });
    p2.update(Array.from({ length: 30_000 }, (_, i) => spec(`w/${i}`, { timeoutSec: 5 })));
    assert.ok(big.delays.every((d) => d >= 0 && d < 5_000));
    assert.ok(Math.max(...big.delays) > 4_000, 'spread over the whole interval');
    // One check added later starts at once.
    const one = new FakeClock();
    const p3 = new CheckerPool({ now: one.now, timers: one, start: scripted(async () => outcome(true)), random: () => 0.9999999 });
    p3.update([spec('x/1', { timeoutSec: 3 })]);
    assert.ok(one.delays[0]! < 1);
    pool.stop();
    p2.stop();
    p3.stop();
  });

  test('a check never overlaps itself: a slow check delays the next one', async () => {
    const clock = new FakeClock();
    let running = 0;
    let maxRunning = 0;
    let count = 0;
    const run = (): Promise<CheckOutcome> => {
      running++;
      count++;
      maxRunning = Math.max(maxRunning, running);
      // Finishes 2.5 intervals later, in fake time.
      return new Promise((res) => clock.set(() => { running--; res(outcome(true)); }, 2_500));
    };
    const pool = new CheckerPool({ now: clock.now, timers: clock, start: scripted(run), jitter: false });
    pool.update([spec('a/1')]);
    await clock.advance(10_000);
    assert.equal(maxRunning, 1);
    assert.equal(count, 5); // starts at 0, 2.5, 5, 7.5, 10 s (not every second)
    pool.stop();
  });

  test('at most maxInFlight checks run at once; the others wait for a slot instead of failing', async () => {
    const clock = new FakeClock();
    let running = 0;
    let maxRunning = 0;
    const perKey = new Map<string, number>();
    const run = (s: CheckSpec): Promise<CheckOutcome> => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      perKey.set(s.key, (perKey.get(s.key) ?? 0) + 1);
      return new Promise((res) => clock.set(() => { running--; res(outcome(true)); }, 100));
    };
    const pool = new CheckerPool({ now: clock.now, timers: clock, start: scripted(run), jitter: false, maxInFlight: 2 });
    pool.update(['a', 'b', 'c', 'd', 'e'].map((k) => spec(`${k}/1`)));
    await clock.advance(900);
    assert.equal(maxRunning, 2);
    assert.deepEqual([...perKey.values()], [1, 1, 1, 1, 1], 'every key got its check, two at a time');
    assert.ok(pool.states().every((s) => s.state === 'up'));
    pool.stop();
  });

  test('the default concurrency cap leaves half the open-file limit to the dataplane', () => {
    const soft = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
    assert.equal(defaultMaxInFlight(), Math.max(16, Math.floor((soft - 128) / 2)));
  });

  test('a start() that throws counts as a failure and the schedule goes on', async () => {
    const clock = new FakeClock();
    let n = 0;
    const start = (): RunningProbe => {
      n++;
      throw new Error('boom');
    };
    const pool = new CheckerPool({ now: clock.now, timers: clock, start, jitter: false });
    pool.update([spec('a/1')]);
    await clock.advance(3_000);
    assert.equal(n, 4);
    const s = pool.states()[0];
    assert.equal(s.state, 'down');
    assert.equal(s.lastError, 'check crashed: boom');
    pool.stop();
  });

  test('removing a key or stop() cancels its check in flight (no socket or program outlives it)', async () => {
    const clock = new FakeClock();
    const signals = new Map<string, AbortSignal>();
    const run = (s: CheckSpec, signal?: AbortSignal): Promise<CheckOutcome> => {
      signals.set(s.key, signal!);
      return new Promise((res) => signal!.addEventListener('abort', () => res(outcome(false, 'check cancelled')), { once: true }));
    };
    const pool = new CheckerPool({ now: clock.now, timers: clock, start: scripted(run), jitter: false });
    pool.update([spec('a/1'), spec('b/1')]);
    await clock.advance(0);
    assert.equal(signals.get('a/1')?.aborted, false);
    pool.update([spec('b/1')]);
    assert.equal(signals.get('a/1')?.aborted, true, 'the removed key’s check is cancelled');
    assert.equal(signals.get('b/1')?.aborted, false);
    pool.stop();
    assert.equal(signals.get('b/1')?.aborted, true, 'stop() cancels the rest');
    await clock.advance(0);
    assert.deepEqual(pool.states(), []);
  });

  test('stop() cancels every timer and no check runs afterwards', async () => {
    const { clock, pool, calls } = rig(() => true);
    pool.update([spec('a/1'), spec('b/1')]);
    await clock.advance(1_000);
    const before = calls.length;
    pool.stop();
    assert.equal(clock.timerCount, 0);
    await clock.advance(5_000);
    assert.equal(calls.length, before);
    assert.deepEqual(pool.states(), []);
  });
});

describe('update', () => {
  test('adds new keys, removes missing ones, keeps the state of unchanged ones', async () => {
    const { clock, pool, calls, state } = rig((k) => k !== 'b/1');
    pool.update([spec('a/1'), spec('b/1')]);
    await clock.advance(1_000);
    const aSince = state('a/1').since;
    pool.update([spec('a/1', { reentrySec: 99 }), spec('c/1')]);
    assert.deepEqual(pool.states().map((s) => s.key).sort(), ['a/1', 'c/1']);
    assert.equal(state('a/1').state, 'up');
    assert.equal(state('a/1').since, aSince);
    assert.equal(state('c/1').state, 'pending');
    assert.equal(pool.view('a/1')!.state, 'up', 'view: the state as the pool holds it');
    assert.equal(pool.view('b/1'), undefined);
    assert.equal(pool.size, 2);
    calls.length = 0;
    await clock.advance(3_000);
    assert.equal(calls.filter((c) => c.key === 'b/1').length, 0, 'a removed key is no longer checked');
    assert.equal(calls.filter((c) => c.key === 'a/1').length, 3, 'an unchanged key keeps its schedule');
  });

  test('a changed check restarts that key’s schedule but keeps its state, and drops the superseded answer', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    const run = (s: CheckSpec): Promise<CheckOutcome> => {
      seen.push(`${s.port}@${clock.t - 1_700_000_000_000}`);
      // Port 81 answers only after 500 ms; port 82 fails at once.
      if (s.port === 81) return new Promise((res) => clock.set(() => res(outcome(true)), 500));
      return Promise.resolve(outcome(s.port !== 82));
    };
    const pool = new CheckerPool({ now: clock.now, timers: clock, start: scripted(run), jitter: false });
    pool.update([spec('a/1', { port: 80 })]);
    await clock.advance(1_200); // up after the check at 0; check at 1 s
    assert.equal(pool.states()[0].state, 'up');
    pool.update([spec('a/1', { port: 81 })]); // restarts at once (jitter off)
    await clock.advance(100); // check on 81 in flight
    pool.update([spec('a/1', { port: 82 })]); // supersedes it: its late success must not count
    await clock.advance(0);
    assert.equal(pool.states()[0].state, 'down');
    await clock.advance(1_000);
    assert.equal(pool.states()[0].state, 'down');
    assert.deepEqual(seen.slice(0, 4), ['80@0', '80@1000', '81@1200', '82@1300']);
    pool.stop();
  });
});

describe('checkNow', () => {
  test('runs one real check at once, returns its transcript, records it and leaves the schedule alone', async (t) => {
    // resume(): a server that never reads would never see the checker's FIN and never close.
    const server = net.createServer((s) => s.resume().end('220 ready\r\n'));
    await new Promise<void>((res) => server.listen(0, '127.0.0.44', res));
    const port = (server.address() as net.AddressInfo).port;
    const clock = new FakeClock();
    const pool = new CheckerPool({ now: clock.now, timers: clock, jitter: true, random: () => 0.5 });
    pool.update([spec('ftp/1', { address: '127.0.0.44', port, virtualPort: 21, send: 'quit\\r\\n', expect: '220', timeoutSec: 10 })]);
    t.after(() => {
      pool.stop();
      server.close();
    });
    const timersBefore = clock.timerCount;
    const out = await pool.checkNow('ftp/1');
    assert.equal(out.ok, true, out.error ?? '');
    assert.equal(out.description, 'send/expect');
    assert.equal(out.sent, 'quit\\r\\n');
    assert.equal(out.received, '220 ready\\r\\n');
    assert.equal(clock.timerCount, timersBefore, 'no timer added or removed');
    assert.equal(pool.states()[0].state, 'up');
    await assert.rejects(pool.checkNow('nope/1'), /no health check for nope\/1/);
  });

  test('real timers: a pool checks a live server on its own and reports the change', async (t) => {
    const server = net.createServer((s) => s.resume().end('OK'));
    await new Promise<void>((res) => server.listen(0, '127.0.0.45', res));
    const port = (server.address() as net.AddressInfo).port;
    const pool = new CheckerPool({ jitter: false });
    t.after(() => {
      pool.stop();
      server.close();
    });
    const changed = new Promise<RealState>((res) => pool.once('change', res));
    pool.update([spec('live/1', { address: '127.0.0.45', port, expect: 'OK' })]);
    const s = await changed;
    assert.equal(s.key, 'live/1');
    assert.equal(s.state, 'up');
  });
});
