// Redundancy wired into the real agent, on loopback (no root, no namespaces): two agent processes
// on one machine are the two routers, each on its own 127.0.0.x address, heartbeating over UDP.
// The VIP is a fresh 127.x address (every 127/8 address is local, so the userspace dataplane can
// bind it) on a device that does not exist here: `ip addr add` fails — it must be reported in
// haStatus.problems and must not stop the router from serving. (Real VIP takeover, gratuitous ARP
// and the client's view are tested in tests/netns/, as root.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnAgent, type SpawnedAgent } from '../testing/agent.ts';
import { lvsCf, PAIR_TIMING, pairCf, writeLvsCf } from '../testing/lvs-cf.ts';
import { freePort, heartbeatPort, loopback } from '../testing/net.ts';
import { tempRoot } from '../testing/temp.ts';
import { startTcpBackend, tcpAsk } from '../testing/traffic.ts';
import { waitFor } from '../testing/wait.ts';
import type { AgentEvent, HaStatus } from './protocol/index.ts';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

/** One call on a fresh connection to the agent. */
async function callOnce<T>(agent: SpawnedAgent, call: (c: Awaited<ReturnType<SpawnedAgent['client']>>) => Promise<T>): Promise<T> {
  const c = await agent.client();
  try {
    return await call(c);
  } finally {
    c.close();
  }
}

const haStatus = (agent: SpawnedAgent): Promise<HaStatus | null> => callOnce(agent, (c) => c.call('haStatus', {}));
const status = (agent: SpawnedAgent) => callOnce(agent, (c) => c.call('status', {}));

/** Checks that the agent runs standalone, with no redundancy status, and gives its status. */
async function assertStandalone(agent: SpawnedAgent) {
  assert.equal(await haStatus(agent), null);
  const st = await status(agent);
  assert.equal(st.role, 'standalone');
  assert.equal(st.running, true);
  return st;
}

test('standalone: haStatus is null and the agent serves at once', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  const host = loopback();
  const backend = await startTcpBackend('solo', host);
  cleanup.push(() => backend.close());
  const vip = loopback();
  const vport = await freePort(vip);
  // testing's lvs.cf has primary = 127.0.0.1 and backup_active = 0: a lone router, no pair.
  await writeLvsCf(t.root, lvsCf({ virtuals: [{ name: 'web', vip, port: vport, servers: [{ name: 's', address: host, port: backend.port }] }] }));
  const agent = await spawnAgent({ root: t.root, socket: t.socket });
  cleanup.push(() => agent.stop());
  const st = await assertStandalone(agent);
  assert.deepEqual(st.problems, []);
  assert.equal(await waitFor(() => tcpAsk(vip, vport).catch(() => null), { message: 'the VIP to answer' }), 'solo');
});

test('primary set to an address of another machine, no --node: standalone, said in status.problems', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  // 127.x addresses other than 127.0.0.1 are on no interface's address list: "another machine",
  // and were anything sent to them by mistake it would stay on loopback.
  const [other1, other2] = [loopback(), loopback()];
  const text = lvsCf({ primary: other1, backup: other2, virtuals: [] });
  await writeLvsCf(t.root, text);
  const agent = await spawnAgent({ root: t.root, socket: t.socket });
  cleanup.push(() => agent.stop());
  const st = await assertStandalone(agent);
  assert.deepEqual(st.problems, [
    { service: 'redundancy', message: `this machine is neither the primary (${other1}) nor the backup (${other2}): running standalone` },
  ]);
});

test('--node without a pair in lvs.cf, and a bad key file: refusing to start, exit 1', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  await writeLvsCf(t.root, lvsCf({ virtuals: [] }).replace('primary = 127.0.0.1\n', ''));
  const a = await spawnAgent({ root: t.root, socket: t.socket, args: ['--node', 'backup'], waitReady: false });
  assert.equal((await a.exited).code, 1);
  assert.match(a.stderr(), /--node backup was given but lvs\.cf sets no primary address/);

  const b = loopback();
  await writeLvsCf(t.root, pairCf({ serial: 1, primary: '127.0.0.1', backup: b, port: await heartbeatPort('127.0.0.1', b), vip: loopback(), vport: 80, reals: [], reentry: 1 }));
  await mkdir(join(t.root, 'conf'), { recursive: true });
  await writeFile(join(t.root, 'conf/heartbeat.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o644 });
  const c = await spawnAgent({ root: t.root, socket: t.socket, waitReady: false });
  assert.equal((await c.exited).code, 1);
  assert.match(c.stderr(), /redundancy cannot start: .*heartbeat\.key is readable by group or others/);
});

test('syncdaemon = 1 on the userspace dataplane: the router says connection sync is not available there', async () => {
  const t = await tempRoot();
  cleanup.push(t.remove);
  const b = loopback();
  const text = pairCf({ serial: 1, primary: '127.0.0.1', backup: b, port: await heartbeatPort('127.0.0.1', b), vip: loopback(), vport: 80, reals: [], reentry: 1 });
  await writeLvsCf(t.root, text.replace('virtual ', 'syncdaemon = 1\nsyncd_iface = lo\nsyncd_id = 3\nvirtual '));
  const agent = await spawnAgent({ root: t.root, socket: t.socket });
  cleanup.push(() => agent.stop('SIGKILL'));
  const ha = await haStatus(agent);
  assert.ok(ha, 'a router of a pair');
  assert.ok(
    ha.warnings.some((w) => /syncdaemon = 1 has no effect on the userspace dataplane/.test(w) && /--dataplane ipvs/.test(w)),
    JSON.stringify(ha.warnings),
  );
  await waitFor(() => /syncdaemon = 1 has no effect on the userspace dataplane/.test(agent.stderr()), { message: 'the log line saying so' });
});

test('a pair on loopback: roles, the ha event, failover when the active agent is killed, no preemption, sync, clean handover', async () => {
  const primaryAddr = '127.0.0.1';
  const backupAddr = loopback();
  const port = await heartbeatPort(primaryAddr, backupAddr);
  const vip = loopback();
  const vport = await freePort(vip);
  const rsHost = loopback();
  const rs1 = await startTcpBackend('rs1', rsHost);
  const rs2 = await startTcpBackend('rs2', rsHost);
  cleanup.push(() => rs1.close(), () => rs2.close());
  const key = `${randomBytes(32).toString('hex')}\n`;
  const text1 = pairCf({
    serial: 1,
    primary: primaryAddr,
    backup: backupAddr,
    port,
    vip,
    vport,
    reals: [{ name: 'rs1', address: rsHost, port: rs1.port }],
    reentry: 1,
  });
  const roots = { p: await tempRoot('piranha-ha-p-'), b: await tempRoot('piranha-ha-b-') };
  for (const r of Object.values(roots)) {
    cleanup.push(r.remove);
    await writeLvsCf(r.root, text1);
    await mkdir(join(r.root, 'conf'), { recursive: true });
    await writeFile(join(r.root, 'conf/heartbeat.key'), key, { mode: 0o600 });
  }
  // The primary finds its role from its address (127.0.0.1 is on lo); the backup's 127.x address is
  // not listed on any interface, so it is told.
  const startPrimary = () => spawnAgent({ root: roots.p.root, socket: roots.p.socket });
  const startBackup = () => spawnAgent({ root: roots.b.root, socket: roots.b.socket, args: ['--node', 'backup'] });
  let primary = await startPrimary();
  cleanup.push(() => primary.stop('SIGKILL'));
  const backup = await startBackup();
  cleanup.push(() => backup.stop('SIGKILL'));

  const events: AgentEvent[] = [];
  const watcher = await backup.client();
  cleanup.push(async () => watcher.close());
  await watcher.subscribe((e) => events.push(e));

  const settled = async (active: SpawnedAgent, standby: SpawnedAgent) =>
    waitFor(
      async () => {
        const [a, s] = await Promise.all([haStatus(active), haStatus(standby)]);
        return a?.state === 'active' && s?.state === 'standby' && s.partner?.state === 'active' && a.partner?.state === 'standby';
      },
      { timeoutMs: 20_000, message: 'the pair to settle' },
    );
  const statusOf = async (a: SpawnedAgent) => {
    const c = await a.client();
    try {
      return await c.call('status', {});
    } finally {
      c.close();
    }
  };

  // 1. The primary activates, the backup stays standby; the VIP is served through the primary.
  await settled(primary, backup);
  const p1 = (await haStatus(primary))!;
  assert.equal(p1.role, 'primary');
  assert.equal(p1.keyConfigured, true);
  assert.deepEqual(p1.warnings, []);
  // The VIP is added after the role change is reported, so its failure shows a moment later.
  await waitFor(
    async () => (await haStatus(primary))?.problems.some((x) => x.message.includes(vip) && /virtual server web/.test(x.message)),
    { message: 'the failed ip addr add to be reported' },
  );
  const [ps, bs] = await Promise.all([statusOf(primary), statusOf(backup)]);
  assert.equal(ps.role, 'active');
  assert.equal(ps.running, true);
  assert.equal(bs.role, 'standby');
  assert.equal(bs.running, false);
  assert.equal(await waitFor(() => tcpAsk(vip, vport).catch(() => null), { message: 'the VIP to answer through the primary' }), 'rs1');
  // The standby checks the real servers too, so it can serve the moment it takes over.
  await waitFor(
    async () => {
      const c = await backup.client();
      try {
        return (await c.call('checkers', {})).checkers.some((x) => x.server === 'rs1' && x.state === 'up');
      } finally {
        c.close();
      }
    },
    { message: "the standby's checker of rs1 to be up" },
  );

  // 2. Kill the active agent: the backup takes over and serves the VIP.
  const killedAt = Date.now();
  await primary.stop('SIGKILL');
  await waitFor(async () => (await haStatus(backup))?.state === 'active', { timeoutMs: 15_000, message: 'the backup to activate' });
  const tookMs = Date.now() - killedAt;
  assert.equal(await waitFor(() => tcpAsk(vip, vport).catch(() => null), { message: 'the VIP to answer through the backup' }), 'rs1');
  const b2 = (await haStatus(backup))!;
  assert.match(b2.history.at(-1)!.reason, /partner dead/);
  assert.equal((await statusOf(backup)).role, 'active');
  assert.ok(
    events.some((e) => e.event === 'ha' && e.data.state === 'active'),
    'subscribers got an ha event for the transition',
  );
  assert.ok(events.some((e) => e.event === 'state' && e.data.role === 'active'));
  console.log(`loopback failover: backup active ${tookMs} ms after the kill (deadtime ${PAIR_TIMING.deadtime} s)`);

  // 3. The primary returns and stays standby: no preemption.
  primary = await startPrimary();
  await settled(backup, primary);
  assert.equal((await statusOf(primary)).running, false);

  // 4. A save on the active router (the backup now) reaches the primary and is applied there.
  const text2 = pairCf({
    serial: 2,
    primary: primaryAddr,
    backup: backupAddr,
    port,
    vip,
    vport,
    reals: [{ name: 'rs2', address: rsHost, port: rs2.port }],
    reentry: 1,
  });
  await writeLvsCf(roots.b.root, text2);
  const rc = await backup.client();
  const reloaded = await rc.call('reload', {});
  rc.close();
  assert.equal(reloaded.serial, 2);
  await waitFor(async () => (await statusOf(primary)).serial === 2, { message: 'the primary to run serial 2' }).catch((err: Error) => {
    throw new Error(`${err.message}\n--- backup log:\n${backup.stderr()}\n--- primary log:\n${primary.stderr()}`);
  });
  assert.equal(await readFile(join(roots.p.root, 'lvs.cf'), 'utf8'), text2);
  const synced = (await haStatus(backup))!.sync;
  assert.equal(synced.lastSync?.direction, 'sent');
  assert.equal(synced.lastSync?.serial, 2);
  await waitFor(() => tcpAsk(vip, vport).then((who) => who === 'rs2').catch(() => false), { message: 'the new real server to serve the VIP' });

  // 5. SIGTERM on the active router: it says "stopping" and the primary takes over without waiting.
  const { code } = await backup.stop('SIGTERM');
  assert.equal(code, 0);
  await waitFor(async () => (await haStatus(primary))?.state === 'active', { timeoutMs: 10_000, message: 'the primary to take over' });
  assert.match((await haStatus(primary))!.history.at(-1)!.reason, /partner stopping/);
  assert.equal(await waitFor(() => tcpAsk(vip, vport).catch(() => null), { message: 'the VIP to answer through the primary again' }), 'rs2');
});
