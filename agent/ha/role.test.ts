import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RoleMachine, type RoleAction } from './role.ts';

const DEAD = 3000;
const types = (a: RoleAction[]) => a.map((x) => x.type);

function machine(node: 'primary' | 'backup', backupActive = true) {
  const m = new RoleMachine({ node, deadtimeMs: DEAD, backupActive });
  m.handle({ type: 'start', now: 0 });
  return m;
}

test('the backup activates when the primary is silent for deadtime, not before', () => {
  const m = machine('backup');
  m.handle({ type: 'heartbeat', now: 1000, state: 'active', serial: 1 });
  assert.deepEqual(m.handle({ type: 'tick', now: 3999 }), []);
  const a = m.handle({ type: 'tick', now: 4000 });
  assert.deepEqual(types(a), ['activate', 'sendHeartbeat']);
  assert.match((a[0] as { reason: string }).reason, /partner dead: no heartbeat for 3 s/);
  const s = m.snapshot();
  assert.equal(s.state, 'active');
  assert.equal(s.partner?.state, 'dead');
  assert.deepEqual(s.history.map((h) => [h.from, h.to]), [['standby', 'active']]);
});

test('a returning primary stays standby while the backup serves (no preemption)', () => {
  const m = machine('primary');
  assert.deepEqual(m.handle({ type: 'heartbeat', now: 500, state: 'active', serial: 7 }), []);
  for (let t = 1000; t < 20000; t += 1000) {
    assert.deepEqual(m.handle({ type: 'heartbeat', now: t, state: 'active', serial: 7 }), []);
    assert.deepEqual(m.handle({ type: 'tick', now: t + 500 }), []);
  }
  assert.equal(m.snapshot().state, 'standby');
  assert.equal(m.snapshot().partner?.serial, 7);
});

test('both active: the backup yields and the primary reannounces, on the first heartbeat each receives', () => {
  const p = machine('primary');
  const b = machine('backup');
  p.handle({ type: 'tick', now: 3000 });
  b.handle({ type: 'tick', now: 3000 });
  assert.equal(p.snapshot().state, 'active');
  assert.equal(b.snapshot().state, 'active');
  assert.deepEqual(types(b.handle({ type: 'heartbeat', now: 3100, state: 'active', serial: 1 })), ['deactivate', 'sendHeartbeat']);
  assert.deepEqual(types(p.handle({ type: 'heartbeat', now: 3100, state: 'active', serial: 1 })), ['reannounce']);
  // The heartbeat still in flight does not make the primary announce twice.
  assert.deepEqual(p.handle({ type: 'heartbeat', now: 3150, state: 'active', serial: 1 }), []);
  // The backup's first heartbeat as standby: it no longer answers for the VIPs, the primary announces once more.
  assert.deepEqual(types(p.handle({ type: 'heartbeat', now: 4100, state: 'standby', serial: 1 })), ['announce']);
  assert.deepEqual(p.handle({ type: 'heartbeat', now: 5100, state: 'standby', serial: 1 }), []);
  assert.equal(b.snapshot().state, 'standby');
  assert.equal(p.snapshot().state, 'active');
  assert.match(p.snapshot().history.at(-1)!.reason, /both routers active/);
  assert.match(b.snapshot().history.at(-1)!.reason, /both routers active/);
});

test('a heal where the backup yields before the primary hears it active: the primary still announces its VIPs again', () => {
  const p = machine('primary');
  p.handle({ type: 'heartbeat', now: 100, state: 'standby', serial: 1 });
  assert.equal(p.snapshot().state, 'active');
  p.handle({ type: 'tick', now: 3200 }); // the path was cut: partner dead (it took over meanwhile)
  assert.equal(p.snapshot().partner?.state, 'dead');
  // Its first heartbeat after the heal already says standby (it heard us first and yielded).
  const a = p.handle({ type: 'heartbeat', now: 5000, state: 'standby', serial: 1 });
  assert.deepEqual(types(a), ['reannounce']);
  assert.deepEqual(p.handle({ type: 'heartbeat', now: 6000, state: 'standby', serial: 1 }), []);
  assert.equal(p.snapshot().state, 'active');
});

test('both standby at start: the primary activates at once, the backup never joins it', () => {
  const p = machine('primary');
  const b = machine('backup');
  assert.deepEqual(types(p.handle({ type: 'heartbeat', now: 100, state: 'standby', serial: 1 })), ['activate', 'sendHeartbeat']);
  assert.deepEqual(b.handle({ type: 'heartbeat', now: 100, state: 'standby', serial: 1 }), []);
  assert.deepEqual(b.handle({ type: 'heartbeat', now: 200, state: 'active', serial: 1 }), []);
  assert.equal(b.snapshot().state, 'standby');
});

test('a primary that stays standby (it cannot activate) is replaced by the backup after deadtime', () => {
  const b = machine('backup');
  for (let t = 0; t < 3000; t += 1000) assert.deepEqual(b.handle({ type: 'heartbeat', now: t, state: 'standby', serial: 1 }), []);
  assert.deepEqual(types(b.handle({ type: 'heartbeat', now: 3000, state: 'standby', serial: 1 })), ['activate', 'sendHeartbeat']);
});

test('a stopping partner is replaced at once', () => {
  const b = machine('backup');
  b.handle({ type: 'heartbeat', now: 100, state: 'active', serial: 1 });
  assert.deepEqual(types(b.handle({ type: 'heartbeat', now: 200, state: 'stopping', serial: 1 })), ['activate', 'sendHeartbeat']);
});

test('backup_active = 0: the primary runs alone after deadtime like pulse; a backup never activates', () => {
  const p = machine('primary', false);
  assert.deepEqual(p.handle({ type: 'tick', now: 2999 }), []);
  const a = p.handle({ type: 'tick', now: 3000 });
  assert.match((a[0] as { reason: string }).reason, /backup_active = 0/);
  assert.equal(p.snapshot().partner, null);
  const b = machine('backup', false);
  assert.deepEqual(b.handle({ type: 'tick', now: 100000 }), []);
});

test('monitor_links: a link down deactivates and blocks activation; link up waits a full deadtime', () => {
  const b = machine('backup');
  b.handle({ type: 'tick', now: 3000 });
  assert.equal(b.snapshot().state, 'active');
  assert.deepEqual(types(b.handle({ type: 'link', now: 3500, up: false, detail: 'eth0 operstate down' })), ['deactivate', 'sendHeartbeat']);
  assert.deepEqual(b.handle({ type: 'tick', now: 10000 }), []);
  b.handle({ type: 'link', now: 10000, up: true, detail: 'eth0 up' });
  assert.deepEqual(b.handle({ type: 'tick', now: 12999 }), []);
  assert.deepEqual(types(b.handle({ type: 'tick', now: 13000 })), ['activate', 'sendHeartbeat']);
});

test('a failed activation goes back to standby and holds off for deadtime', () => {
  const b = machine('backup');
  b.handle({ type: 'tick', now: 3000 });
  assert.deepEqual(types(b.handle({ type: 'activationFailed', now: 3100, error: 'ip: RTNETLINK answers: Operation not permitted' })), ['deactivate', 'sendHeartbeat']);
  assert.deepEqual(b.handle({ type: 'tick', now: 5000 }), []);
  assert.deepEqual(types(b.handle({ type: 'tick', now: 6100 })), ['activate', 'sendHeartbeat']);
});

test('stop deactivates an active router and then ignores everything', () => {
  const p = machine('primary');
  p.handle({ type: 'tick', now: 3000 });
  assert.deepEqual(types(p.handle({ type: 'stop', now: 3100 })), ['deactivate']);
  assert.deepEqual(p.handle({ type: 'tick', now: 99999 }), []);
});

// Two machines exchanging heartbeats over a lossy link, under a fake clock: as long as no run of
// losses lasts a deadtime, exactly one router is active once the pair has settled, and every
// transition has a reason.
test('property: with intermittent loss shorter than deadtime, never two active routers after settling', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 60, maxLength: 200 }), fc.integer({ min: 0, max: 999 }), (lossPattern, offset) => {
      const KEEP = 1000;
      const p = new RoleMachine({ node: 'primary', deadtimeMs: DEAD, backupActive: true });
      const b = new RoleMachine({ node: 'backup', deadtimeMs: DEAD, backupActive: true });
      p.handle({ type: 'start', now: 0 });
      b.handle({ type: 'start', now: offset });
      let run = 0;
      for (let i = 0; i < lossPattern.length; i++) {
        const t = (i + 1) * KEEP;
        // Losses never last a whole deadtime (2 in a row at most with deadtime = 3 × keepalive).
        const lost = lossPattern[i] && run < 2;
        run = lost ? run + 1 : 0;
        if (!lost) {
          b.handle({ type: 'heartbeat', now: t, state: p.snapshot().state, serial: 1 });
          p.handle({ type: 'heartbeat', now: t + offset, state: b.snapshot().state, serial: 1 });
        }
        p.handle({ type: 'tick', now: t + 500 });
        b.handle({ type: 'tick', now: t + 500 });
        if (i > 5) assert.equal([p, b].filter((m) => m.snapshot().state === 'active').length, 1, `at step ${i}`);
      }
      for (const h of [...p.snapshot().history, ...b.snapshot().history]) assert.ok(h.reason.length > 0);
      assert.ok(b.snapshot().history.length === 0, 'the backup never took over while the primary lived');
    }),
    { numRuns: 300 },
  );
});
