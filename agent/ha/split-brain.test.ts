import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SplitBrainWatch, findDuplicate, replyMac } from './split-brain.ts';
import type { FloatingAddress } from './vip.ts';
import type { RunResult } from '../run-program.ts';

const addr = (address: string, device = 'eth0'): FloatingAddress => ({ address, prefix: 32, device, label: null, owner: 'virtual server web' });
const REPLY = 'ARPING 192.0.2.50 from 0.0.0.0 eth0\nUnicast reply from 192.0.2.50 [9E:78:C7:21:CD:26]  0.712ms\nSent 1 probes (1 broadcast(s))\nReceived 1 response(s)\n';

test("arping -D's reply names the other holder's MAC; no reply, none", () => {
  assert.equal(replyMac(REPLY), '9e:78:c7:21:cd:26');
  assert.equal(replyMac('ARPING 192.0.2.50 from 0.0.0.0 eth0\nSent 1 probes (1 broadcast(s))\nReceived 0 response(s)\n'), null);
});

test('findDuplicate asks for each held address with duplicate address detection and stops at the first answered', async () => {
  const calls: string[] = [];
  const run = async (file: string, args: string[]): Promise<RunResult> => {
    calls.push([file, ...args].join(' '));
    return args.at(-1) === '192.0.2.1' ? { code: 1, stdout: REPLY.replaceAll('192.0.2.50', '192.0.2.1'), stderr: '' } : { code: 0, stdout: 'Received 0 response(s)\n', stderr: '' };
  };
  assert.deepEqual(await findDuplicate(run, 'arping', [addr('203.0.113.50'), addr('192.0.2.1', 'eth1'), addr('192.0.2.9')]), { address: '192.0.2.1', mac: '9e:78:c7:21:cd:26' });
  assert.deepEqual(calls, ['arping -D -c 1 -w 1 -I eth0 203.0.113.50', 'arping -D -c 1 -w 1 -I eth1 192.0.2.1']);
  // arping failing (no such device) is not a duplicate.
  assert.equal(await findDuplicate(async () => ({ code: 2, stdout: '', stderr: 'arping: unknown iface eth9' }), 'arping', [addr('192.0.2.9', 'eth9')]), null);
});

test('the watch keeps the time it first saw the duplicate, and clears', () => {
  const w = new SplitBrainWatch();
  assert.equal(w.update(null, 1000), false);
  assert.equal(w.update({ address: '192.0.2.50', mac: 'aa:bb:cc:dd:ee:ff' }, 1000), true);
  assert.equal(w.update({ address: '192.0.2.50', mac: 'aa:bb:cc:dd:ee:ff' }, 2000), false);
  assert.deepEqual(w.state, { since: new Date(1000).toISOString(), address: '192.0.2.50', mac: 'aa:bb:cc:dd:ee:ff' });
  assert.equal(w.update(null, 3000), true);
  assert.equal(w.state, null);
});
