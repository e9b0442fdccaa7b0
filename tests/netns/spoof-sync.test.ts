// Issue 5: heartbeats forged from a third namespace (from its own address, from the primary's
// address without the key or with a wrong key, and a captured genuine heartbeat replayed) change
// nothing and are counted; a save pushed by the primary reaches the backup and is applied there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HEARTBEAT_PORT, pairConfig } from '../../testing/netns.ts';
import { usePair } from '../../testing/netns-pair.ts';
import { REPO_ROOT } from '../../testing/paths.ts';
import { sleep, waitFor } from '../../testing/wait.ts';

const net = usePair(43, { keepalive: 1, deadtime: 3 }, ['attacker']);

function spoofer(args: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', net.bench.ns('attacker'), process.execPath, '--import', 'tsx', 'tests/netns/spoofer.ts', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`spoofer ${args[0]} failed: ${r.stderr}`);
  return r.stdout.trim();
}

async function dropped(reason: string, atLeast: number): Promise<void> {
  await waitFor(async () => (await net.pair.status('r2')).dropped[reason as 'replay'] >= atLeast, { timeoutMs: 5000, message: `backup to count ${atLeast} ${reason} drop(s)` });
}

test('forged and replayed heartbeats change nothing and are counted', { skip: net.skip ?? false }, async () => {
  await net.pair.settled('r1', 'r2');
  const historyBefore = (await net.pair.status('r2')).history.length;
  const forge = (state: string, key?: string) => spoofer(['forge', '--to', net.bench.ip('r2'), '--port', String(HEARTBEAT_PORT), '--state', state, ...(key ? ['--key', key] : [])]);

  // 1. From the attacker's own address: "the primary is stopping, take over".
  forge('stopping');
  await dropped('wrong-sender', 1);

  // 2. From the primary's address (SNAT in the attacker's namespace), no key, then a wrong key.
  net.bench.nft('attacker', `table ip spoof {
  chain post { type nat hook postrouting priority 100; ip daddr ${net.bench.ip('r2')} udp dport ${HEARTBEAT_PORT} snat to ${net.bench.ip('r1')}; }
  chain pre { type nat hook prerouting priority -100; udp dport ${HEARTBEAT_PORT} dnat to ${net.bench.ip('attacker')}; }
}
`);
  forge('stopping');
  await dropped('unauthenticated', 1);
  forge('stopping', randomBytes(32).toString('hex'));
  await dropped('bad-tag', 1);

  // 3. Capture a genuine heartbeat of the primary (duplicated to the attacker by the backup's
  //    netfilter), then replay it from the primary's address.
  net.bench.nft('r2', `table ip cap {
  chain pre { type filter hook prerouting priority 0; ip saddr ${net.bench.ip('r1')} udp dport ${HEARTBEAT_PORT} dup to ${net.bench.ip('attacker')}; }
}
`);
  const captured = spoofer(['capture', '--bind', net.bench.ip('attacker'), '--port', String(HEARTBEAT_PORT)]);
  net.bench.sh('r2', ['nft', 'delete', 'table', 'ip', 'cap']);
  assert.match(captured, /^50484231/, 'captured a piranha heartbeat');
  spoofer(['replay', '--to', net.bench.ip('r2'), '--port', String(HEARTBEAT_PORT), '--hex', captured]);
  await dropped('replay', 1);

  // Nothing changed: still the primary serving, the backup standby, no transition recorded.
  await sleep(1500);
  const [p, b] = await Promise.all([net.pair.status('r1'), net.pair.status('r2')]);
  assert.equal(p.state, 'active');
  assert.equal(b.state, 'standby');
  assert.equal(b.partner?.state, 'active');
  assert.equal(b.history.length, historyBefore);
  assert.ok(net.bench.hasAddress('r1', net.bench.vip) && !net.bench.hasAddress('r2', net.bench.vip));
  assert.equal(b.keyConfigured, true);
  assert.deepEqual(b.warnings, []);
});

test('a save on the primary reaches the backup and is applied there', { skip: net.skip ?? false }, async () => {
  const oldText = readFileSync(join(net.pair.root('r2'), 'lvs.cf'), 'utf8');
  const second = `10.99.${net.bench.net}.101`;
  const newText = pairConfig(net.bench, {
    serial: 2,
    keepalive: 1,
    deadtime: 3,
    extra: `virtual api {
     active = 1
     address = ${second} eth0:2
     port = 8080
     scheduler = rr
     protocol = tcp
     server rs2 {
         address = ${net.bench.ip('rs2')}
         active = 1
         port = 80
         weight = 1
     }
}
`,
  });
  // The console's save: lvs.cf written on the primary, then `reload` over the agent's socket.
  net.pair.writeConfig('r1', newText);
  const reloaded = await net.pair.reload('r1');
  assert.equal(reloaded.serial, 2);
  // The active agent pushes in the background; its haStatus shows the partner's answer.
  const sent = await waitFor(async () => {
    const sync = (await net.pair.status('r1')).sync;
    return sync.lastSync?.direction === 'sent' && sync.lastSync.serial === 2 ? sync : sync.lastError ? sync : null;
  }, { timeoutMs: 10_000, message: 'the primary to report the push' });
  assert.equal(sent.lastError, null, `the push failed: ${JSON.stringify(sent.lastError)}\n${net.pair.tail()}`);

  // The backup's file is the pushed text, byte for byte; the replaced one is kept in history/.
  assert.equal(readFileSync(join(net.pair.root('r2'), 'lvs.cf'), 'utf8'), newText);
  const history = readdirSync(join(net.pair.root('r2'), 'history'));
  assert.equal(history.length, 1);
  assert.match(history[0], /^lvs\.cf\..*\.serial-1\./);
  assert.equal(readFileSync(join(net.pair.root('r2'), 'history', history[0]), 'utf8'), oldText);

  // Applied: the backup runs serial 2, the primary (active) now holds the new VIP too, and each
  // side sees the other's serial through the heartbeats.
  const b = await net.pair.status('r2');
  assert.equal(b.sync.localSerial, 2);
  assert.equal(b.sync.lastSync?.direction, 'received');
  assert.equal((await net.pair.agentStatus('r2')).serial, 2, 'the backup agent reloaded the pushed file');
  // The standby checks the new virtual server's real server too, ready for a failover.
  await waitFor(
    async () => (await net.pair.checkers('r2')).checkers.some((c) => c.virtual === 'api' && c.server === 'rs2' && c.state === 'up'),
    { timeoutMs: 15_000, message: 'the backup to check api/rs2' },
  );
  await waitFor(() => net.bench.hasAddress('r1', second), { timeoutMs: 5000, message: 'the primary to hold the new VIP' });
  await waitFor(async () => {
    const [p, q] = await Promise.all([net.pair.status('r1'), net.pair.status('r2')]);
    return p.sync.inSync === true && q.sync.inSync === true && p.partner?.serial === 2;
  }, { timeoutMs: 5000, message: 'both serials to agree' });
  assert.ok(net.pair.logs.some((l) => l.startsWith('[r2]') && /lvs\.cf \(serial 2\) received from/.test(l)));
  assert.ok(net.pair.logs.some((l) => l.startsWith('[r2]') && l.includes('reloaded serial 2')));
  // And the primary serves the new virtual server through its dataplane.
  const ask = `require('http').get('http://${second}:8080/', (r) => { let d = ''; r.on('data', (c) => (d += c)); r.on('end', () => console.log(d.trim())); }).on('error', () => {})`;
  const answer = await waitFor(() => net.bench.sh('client', [process.execPath, '-e', ask], { allowFail: true }).trim(), {
    timeoutMs: 15_000,
    message: 'the new VIP to answer through the primary',
  });
  assert.equal(answer, `rs2 via ${net.bench.ip('r1')}`);
});
