import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrThrow } from '../../lvs-cf/index.ts';
import { KernelConnectionSync, syncDaemonSteps, syncSettings } from './conn-sync.ts';
import type { RunResult } from '../run-program.ts';

const cf = (sync: string) => parseOrThrow(`serial_no = 1\nprimary = 192.0.2.2\nservice = lvs\nbackup_active = 1\nbackup = 192.0.2.3\nnetwork = direct\n${sync}`);
const ON = { iface: 'eth1', id: 7 };

test('lvs.cf: syncdaemon off → no daemon; on → its interface and id (eth0 / 0 by default, the id masked to 8 bits as pulse did)', () => {
  assert.equal(syncSettings(cf('syncdaemon = 0\nsyncd_iface = eth1\n')), null);
  assert.deepEqual(syncSettings(cf('syncdaemon = 1\n')), { iface: 'eth0', id: 0 });
  assert.deepEqual(syncSettings(cf('syncdaemon = 1\nsyncd_iface = eth1\nsyncd_id = 7\n')), ON);
});

test('the steps from one kernel state to another: stop what runs, start the wanted daemon; nothing when unchanged', () => {
  const start = (role: string, s = ON) => ['--start-daemon', role, '--mcast-interface', s.iface, '--syncid', String(s.id)];
  // Not known (a daemon may be left by an earlier agent): stop both first, as pulse did.
  assert.deepEqual(syncDaemonSteps('unknown', { role: 'backup', settings: ON }), [['--stop-daemon', 'master'], ['--stop-daemon', 'backup'], start('backup')]);
  assert.deepEqual(syncDaemonSteps({ role: 'backup', settings: ON }, { role: 'master', settings: ON }), [['--stop-daemon', 'backup'], start('master')]);
  assert.deepEqual(syncDaemonSteps({ role: 'master', settings: ON }, { role: 'master', settings: ON }), []);
  assert.deepEqual(syncDaemonSteps({ role: 'master', settings: ON }, { role: 'master', settings: { iface: 'eth2', id: 7 } }), [['--stop-daemon', 'master'], start('master', { iface: 'eth2', id: 7 })]);
  assert.deepEqual(syncDaemonSteps({ role: 'master', settings: ON }, null), [['--stop-daemon', 'master']]);
  assert.deepEqual(syncDaemonSteps(null, null), []);
});

test('KernelConnectionSync runs ipvsadm with argument arrays, one change at a time, and reports a refused start', async () => {
  const calls: string[] = [];
  let refuse = false;
  const run = async (file: string, args: string[]): Promise<RunResult> => {
    calls.push([file, ...args].join(' '));
    if (refuse && args[0] === '--start-daemon') return { code: 2, stdout: '', stderr: 'Invalid argument\n' };
    // Stopping a daemon that does not run fails in the kernel: not a problem.
    return args[0] === '--stop-daemon' ? { code: 2, stdout: '', stderr: 'No such process\n' } : { code: 0, stdout: '', stderr: '' };
  };
  const logs: string[] = [];
  const sync = new KernelConnectionSync({ ipvsadm: () => '/sbin/ipvsadm', run, log: (m) => logs.push(m) });
  const on = cf('syncdaemon = 1\nsyncd_iface = eth1\nsyncd_id = 7\n');
  const [a, b] = await Promise.all([sync.set(on, 'backup'), sync.set(on, 'master')]);
  assert.deepEqual([a, b], [[], []]);
  assert.deepEqual(calls, [
    '/sbin/ipvsadm --stop-daemon master',
    '/sbin/ipvsadm --stop-daemon backup',
    '/sbin/ipvsadm --start-daemon backup --mcast-interface eth1 --syncid 7',
    '/sbin/ipvsadm --stop-daemon backup',
    '/sbin/ipvsadm --start-daemon master --mcast-interface eth1 --syncid 7',
  ]);
  assert.deepEqual(sync.running, { role: 'master', settings: ON });
  calls.length = 0;
  assert.deepEqual(await sync.set(on, 'master'), []);
  assert.deepEqual(calls, []);
  // syncdaemon switched off in lvs.cf: the daemon stops.
  await sync.set(cf('syncdaemon = 0\n'), 'master');
  assert.deepEqual(calls, ['/sbin/ipvsadm --stop-daemon master']);
  assert.equal(sync.running, null);
  refuse = true;
  const problems = await sync.set(on, 'backup');
  assert.deepEqual(problems, ['connection sync: ipvsadm --start-daemon backup --mcast-interface eth1 --syncid 7 failed: Invalid argument']);
  assert.equal(sync.running, null);
  assert.ok(logs.includes(problems[0]!));
});
