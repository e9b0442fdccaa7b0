// lvs.cf's connection timeouts and ipvsadm path reach the dataplane the agent starts, as lvsd
// applied them (ipvsadm --set) when it started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrThrow } from '../lvs-cf/index.ts';
import { dataplaneOptions, parseCli } from './main.ts';

test('timeouts and the ipvsadm path from lvs.cf become dataplane options; 0 keeps the defaults', () => {
  const model = parseOrThrow('network = direct\ntcp_timeout = 900\ntcpfin_timeout = 120\nudp_timeout = 60\nipvsadm = /usr/local/sbin/ipvsadm\n');
  assert.deepEqual(dataplaneOptions(model), {
    userspace: { tcpIdleTimeout: 900, udpTimeout: 60 },
    ipvs: { timeouts: { tcp: 900, tcpfin: 120, udp: 60 }, ipvsadm: '/usr/local/sbin/ipvsadm' },
  });
  assert.deepEqual(dataplaneOptions(parseOrThrow('network = direct\n')), { userspace: {}, ipvs: {} });
  assert.deepEqual(dataplaneOptions(null), {});
});

test('--sample-interval: 10 s by default, 1 to 60 whole seconds', () => {
  const ok = parseCli([]);
  assert.ok(ok.ok && ok.options['sample-interval'] === 10);
  const two = parseCli(['--sample-interval', '2']);
  assert.ok(two.ok && two.options['sample-interval'] === 2);
  for (const bad of ['0', '61', '1.5', 'x']) {
    const r = parseCli(['--sample-interval', bad]);
    assert.ok(!r.ok && r.code === 2 && /--sample-interval: must be/.test(r.text), bad);
  }
});
