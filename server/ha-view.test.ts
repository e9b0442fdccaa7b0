// The wording of the redundancy status for every partner state, without an agent: the summary line
// CONTROL/MONITORING shows, "N s ago", the both-active resolution, and the serial warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HaStatus } from '../agent/protocol/index.ts';
import { ago, haSummary, haView, splitBrainAlert } from './ha-view.ts';

const NOW = Date.parse('2025-03-01T12:00:30Z');

function status(over: Partial<HaStatus> = {}): HaStatus {
  return {
    role: 'backup',
    state: 'standby',
    partner: { lastHeartbeat: '2025-03-01T12:00:27Z', state: 'active', serial: 7, addresses: ['10.0.0.1', '192.168.5.1'] },
    dropped: { 'wrong-sender': 0, malformed: 0, unauthenticated: 0, 'bad-tag': 2, replay: 1, 'wrong-node': 0 },
    history: [],
    keyConfigured: true,
    sync: { localSerial: 7, partnerSerial: 7, inSync: true, lastSync: null, lastError: null },
    vips: [],
    linkUp: true,
    problems: [],
    warnings: [],
    splitBrain: null,
    ...over,
  };
}

test('summary line: standalone, active, and a standby naming who serves', () => {
  assert.equal(haSummary(null).text, 'standalone (no backup router configured, or the backup is disabled)');
  assert.equal(haSummary(status({ role: 'primary', state: 'active', partner: { lastHeartbeat: null, state: 'standby', serial: 7, addresses: ['10.0.0.2'] } })).text, 'primary, ACTIVE');
  assert.equal(haSummary(status()).text, 'backup, standby (primary 10.0.0.1 is active)');
  const partner = (state: 'dead' | 'unknown' | 'standby' | 'stopping') => ({ lastHeartbeat: null, state, serial: null, addresses: ['10.0.0.1'] });
  assert.equal(haSummary(status({ partner: partner('dead') })).text, 'backup, standby (primary 10.0.0.1 is not answering (no heartbeat within deadtime); no router is serving)');
  assert.equal(haSummary(status({ partner: partner('unknown') })).text, 'backup, standby (primary 10.0.0.1 has not been heard from yet; no router is serving)');
  assert.equal(haSummary(status({ partner: partner('standby') })).text, 'backup, standby (primary 10.0.0.1 is standby; no router is serving)');
  assert.equal(haSummary(status({ partner: partner('dead') })).state, 'unserved');
  assert.equal(haSummary(status()).state, 'standby');
  assert.equal(haSummary(status({ role: 'primary', state: 'active', partner: { ...partner('standby'), state: 'active' } })).text, 'primary, ACTIVE (the backup 10.0.0.1 is active too: resolving)');
  assert.equal(haSummary(status({ role: 'primary', state: 'active', partner: null })).text, 'primary, ACTIVE (no backup router: this router serves alone)');
});

test('"N s ago" from the time the page is made', () => {
  assert.equal(ago('2025-03-01T12:00:30Z', NOW), 'just now');
  assert.equal(ago('2025-03-01T12:00:27Z', NOW), '3 s ago');
  assert.equal(ago('2025-03-01T11:58:00Z', NOW), '2 min ago');
  assert.equal(ago('2025-03-01T09:00:00Z', NOW), '3 h ago');
  assert.equal(ago('2025-03-01T12:05:00Z', NOW), 'in the future (clock skew)');
});

test('view: partner, serial warning, sync, drops, newest history first with the both-active resolution', () => {
  const v = haView(
    status({
      history: [
        { time: '2025-03-01T11:00:00Z', from: 'standby', to: 'active', reason: 'partner dead: no heartbeat for 18 s' },
        { time: '2025-03-01T12:00:00Z', from: 'active', to: 'standby', reason: 'both routers active: the primary keeps the VIPs' },
      ],
      sync: { localSerial: 7, partnerSerial: 8, inSync: false, lastSync: { time: '2025-03-01T12:00:20Z', direction: 'received', serial: 7 }, lastError: { time: '2025-03-01T12:00:25Z', message: 'connect ECONNREFUSED' } },
      keyConfigured: false,
      vips: [{ address: '10.0.0.100', prefix: 24, device: 'eth0', label: 'eth0:1' }],
      warnings: ['No heartbeat key: …', 'The routers run different configurations: …', 'something else'],
    }),
    NOW,
  );
  assert.equal(v.partner?.name, 'primary');
  assert.equal(v.partner?.addresses, '10.0.0.1, 192.168.5.1');
  assert.equal(v.partner?.lastHeartbeat, '2025-03-01 12:00:27 UTC (3 s ago)');
  assert.deepEqual(v.serials, { here: '7', partner: '8', differ: true });
  assert.equal(v.sync.last, '2025-03-01 12:00:20 UTC (10 s ago): received serial_no 7 from the partner');
  assert.equal(v.sync.error, '2025-03-01 12:00:25 UTC (5 s ago): connect ECONNREFUSED');
  assert.equal(v.droppedTotal, 3);
  assert.deepEqual(v.dropped.find((d) => d.reason === 'bad-tag'), { reason: 'bad-tag', label: 'with a wrong authentication tag (different key, or forged)', count: 2 });
  assert.equal(v.history[0].resolution, 'resolved: this router stepped down');
  assert.equal(v.history[0].bothActive, true);
  assert.equal(v.history[1].bothActive, false);
  assert.deepEqual(v.vips, ['10.0.0.100/24 on eth0:1']);
  assert.equal(v.noKey, true);
  assert.deepEqual(v.otherWarnings, ['something else']);
  const primary = haView(status({ role: 'primary', state: 'active', history: [{ time: '2025-03-01T12:00:00Z', from: 'active', to: 'active', reason: 'both routers active: the primary keeps the VIPs and announces them again' }] }), NOW);
  assert.equal(primary.history[0].resolution, 'resolved: this router kept the addresses');
  assert.equal(primary.serials.differ, false);
});

test('split brain: the CONTROL alert names the other holder and the address, and says what to do; none without', () => {
  assert.equal(splitBrainAlert(null), null);
  assert.equal(splitBrainAlert(status()), null);
  const alert = splitBrainAlert(status({ role: 'primary', state: 'active', splitBrain: { since: '2025-03-01T12:00:20Z', address: '203.0.113.50', mac: '9e:78:c7:21:cd:26' } }));
  assert.match(alert ?? '', /the primary\) is active and has not heard its partner for deadtime, yet 9e:78:c7:21:cd:26 also answers for 203\.0\.113\.50/);
  assert.match(alert ?? '', /both routers are active\. Restore the heartbeat path/);
});
