import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOrThrow } from '../../lvs-cf/index.ts';
import { VipManager, floatingAddresses, maskToPrefix, runTransitionCommand } from './vip.ts';
import type { Runner } from '../run-program.ts';
import { generateKey, loadKey } from './heartbeat-key.ts';

const cf = `serial_no = 3
primary = 10.0.0.1
service = lvs
backup_active = 1
backup = 10.0.0.2
network = nat
nat_router = 192.168.1.254 eth1:1
nat_nmask = 255.255.255.0
virtual web {
     active = 1
     address = 10.0.0.100 eth0:1
     vip_nmask = 255.255.255.0
     port = 80
}
virtual web443 {
     active = 1
     address = 10.0.0.100 eth0:1
     port = 443
}
virtual off {
     active = 0
     address = 10.0.0.101 eth0:2
     port = 80
}
`;

function recorder(fail: (file: string, args: string[]) => string | null = () => null) {
  const calls: string[][] = [];
  const run: Runner = async (file, args) => {
    calls.push([file, ...args]);
    const err = fail(file, args);
    return err ? { code: 2, stdout: '', stderr: err } : { code: 0, stdout: '', stderr: '' };
  };
  return { calls, run };
}

test('netmask to prefix; absent means /32 as pulse', () => {
  assert.equal(maskToPrefix(null), 32);
  assert.equal(maskToPrefix('255.255.254.0'), 23);
  assert.throws(() => maskToPrefix('255.0.255.0'), /not contiguous/);
});

test('activation: each unique active VIP once, the NAT router address, then gratuitous ARP, exact argv', async () => {
  const { calls, run } = recorder();
  const vip = new VipManager({ run });
  const { problems, announced } = await vip.activate(floatingAddresses(parseOrThrow(cf)));
  assert.deepEqual(problems, []);
  assert.deepEqual(await announced, []);
  assert.deepEqual(calls, [
    ['ip', 'addr', 'add', '10.0.0.100/24', 'dev', 'eth0', 'label', 'eth0:1'],
    ['ip', 'addr', 'add', '192.168.1.254/24', 'dev', 'eth1', 'label', 'eth1:1'],
    ...[1, 2, 3].flatMap(() => [
      ['arping', '-U', '-c', '1', '-I', 'eth0', '10.0.0.100'],
      ['arping', '-U', '-c', '1', '-I', 'eth1', '192.168.1.254'],
    ]),
  ]);
  calls.length = 0;
  assert.deepEqual(await vip.deactivate(), []);
  assert.deepEqual(calls, [
    ['ip', 'addr', 'del', '10.0.0.100/24', 'dev', 'eth0'],
    ['ip', 'addr', 'del', '192.168.1.254/24', 'dev', 'eth1'],
  ]);
  assert.deepEqual(vip.holding(), []);
});

test('an address given up while it is being announced gets no further ARP', async () => {
  // Each arping takes about a second: here each one waits until the test lets it finish.
  const calls: string[][] = [];
  const pending: (() => void)[] = [];
  const run: Runner = (file, args) => {
    calls.push([file, ...args]);
    if (file !== 'arping') return Promise.resolve({ code: 0, stdout: '', stderr: '' });
    return new Promise((resolve) => pending.push(() => resolve({ code: 0, stdout: '', stderr: '' })));
  };
  const vip = new VipManager({ run });
  const { announced } = await vip.activate(floatingAddresses(parseOrThrow(cf)).slice(0, 1));
  await vip.deactivate(); // during the first ARP
  pending.shift()!();
  assert.deepEqual(await announced, []);
  assert.deepEqual(calls.filter(([file]) => file === 'arping'), [['arping', '-U', '-c', '1', '-I', 'eth0', '10.0.0.100']]);
});

test('failures are reported with the command output; "File exists" is not a failure', async () => {
  const { run } = recorder((file, args) =>
    file === 'ip' && args[2].startsWith('10.') ? 'RTNETLINK answers: Operation not permitted' : file === 'ip' ? 'RTNETLINK answers: File exists' : null,
  );
  const vip = new VipManager({ run });
  const { problems } = await vip.activate(floatingAddresses(parseOrThrow(cf)));
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /virtual server web 10\.0\.0\.100: exit 2: RTNETLINK answers: Operation not permitted/);
  assert.deepEqual(vip.holding().map((h) => h.address), ['192.168.1.254']);
});

test('active_cmd is split on spaces and run without a shell; a relative path is refused', async () => {
  const { calls, run } = recorder();
  const logs: string[] = [];
  assert.equal(await runTransitionCommand('active_cmd', '/usr/local/bin/notify up; rm -rf /', run, (m) => logs.push(m)), null);
  assert.deepEqual(calls, [['/usr/local/bin/notify', 'up;', 'rm', '-rf', '/']]);
  const p = await runTransitionCommand('inactive_cmd', 'notify down', run, (m) => logs.push(m));
  assert.match(p!.message, /absolute path/);
});

test('piranha-heartbeat-key: 64 hex digits, mode 0600, no silent overwrite; loose modes are refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hbkey-'));
  const path = await generateKey(root);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.match(readFileSync(path, 'utf8'), /^[0-9a-f]{64}\n$/);
  assert.equal((await loadKey(path))!.length, 32);
  await assert.rejects(generateKey(root), /exists/);
  chmodSync(path, 0o644);
  await assert.rejects(loadKey(path), /chmod 600/);
  writeFileSync(path, 'short\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  await assert.rejects(loadKey(path), /64 hex digits/);
  assert.equal(await loadKey(join(root, 'missing')), null);
});
