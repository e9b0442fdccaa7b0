// What the agent says about itself: status from its parts' problems, and the line it logs when it
// begins directing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Notes, runningLine, statusReport, type StatusParts } from './status-report.ts';
import { NO_CONFIGURATION } from './config-state.ts';
import { initialSteering, steer } from './steering.ts';

const T0 = Date.UTC(2026, 11, 5, 1, 0, 0);

test('notes are set, replaced and cleared by key; setting the same note again changes nothing', () => {
  const n = new Notes();
  assert.equal(n.set('redundancy', 'no backup'), true);
  assert.equal(n.set('redundancy', 'no backup'), false);
  assert.equal(n.set('restart', 'restart to apply'), true);
  assert.deepEqual(n.problems(), [{ service: 'redundancy', message: 'no backup' }, { service: 'restart', message: 'restart to apply' }]);
  assert.equal(n.set('redundancy', null), true);
  assert.equal(n.set('redundancy', null), false);
  assert.deepEqual(n.problems(), [{ service: 'restart', message: 'restart to apply' }]);
});

function parts(over: Partial<StatusParts> = {}): StatusParts {
  const notes = new Notes();
  notes.set('redundancy', 'standalone: no backup in lvs.cf');
  return {
    config: { ...NO_CONFIGURATION, note: 'no configuration at /etc/sysconfig/ha/lvs.cf' },
    configPath: '/etc/sysconfig/ha/lvs.cf',
    lastReloadError: null,
    notes,
    steering: initialSteering(T0),
    dataplane: 'userspace',
    pid: 42,
    startedAt: new Date(T0),
    refused: [{ service: 'tcp|10.0.0.1|80', message: 'refused: EADDRINUSE' }],
    kernel: [{ service: 'kernel', message: 'ip_forward is 0' }],
    dataplaneProblems: [{ service: 'tcp|10.0.0.1|81', message: 'not listening' }],
    ...over,
  };
}

test('a stopped agent: the file note, the notes, refused operations and the kernel, not the dataplane', () => {
  const s = statusReport(parts());
  assert.deepEqual(s, {
    running: false,
    role: 'standalone',
    since: new Date(T0).toISOString(),
    serial: null,
    configPath: '/etc/sysconfig/ha/lvs.cf',
    dataplane: 'userspace',
    pid: 42,
    startedAt: new Date(T0).toISOString(),
    lastReloadError: null,
    problems: [
      { service: 'lvs.cf', message: 'no configuration at /etc/sysconfig/ha/lvs.cf' },
      { service: 'redundancy', message: 'standalone: no backup in lvs.cf' },
      { service: 'tcp|10.0.0.1|80', message: 'refused: EADDRINUSE' },
      { service: 'kernel', message: 'ip_forward is 0' },
    ],
  });
});

test('a directing agent also shows the dataplane problems, and its serial and last refusal', () => {
  const steering = steer(initialSteering(T0), { type: 'start' }, T0 + 5).state;
  const s = statusReport(parts({ steering, lastReloadError: 'lvs.cf:3:1: bad', config: { ...NO_CONFIGURATION, model: { serial_no: 7 } as never } }));
  assert.equal(s.running, true);
  assert.equal(s.serial, 7);
  assert.equal(s.lastReloadError, 'lvs.cf:3:1: bad');
  assert.deepEqual(s.problems.map((p) => p.service), ['redundancy', 'tcp|10.0.0.1|80', 'kernel', 'tcp|10.0.0.1|81']);
});

test('the running line counts services and real servers, and checks when they are shared', () => {
  const checks = (n: number) => new Map(Array.from({ length: n }, (_, i) => [String(i), {}])) as never;
  assert.equal(runningLine({ services: [{}] as never, targetCount: 1, checks: checks(1) }, 3), 'running: 1 service, 1 real server checked (3 operations)');
  assert.equal(runningLine({ services: [{}, {}] as never, targetCount: 4, checks: checks(1) }, 6), 'running: 2 services, 4 real servers checked by 1 check (6 operations)');
  assert.equal(runningLine({ services: [] as never, targetCount: 0, checks: checks(0) }, 0), 'running: 0 services, 0 real servers checked (0 operations)');
});
