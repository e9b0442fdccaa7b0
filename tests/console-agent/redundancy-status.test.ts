// The REDUNDANCY panel's "Router status" and the CONTROL/MONITORING summary line, through
// app.inject() against real agent processes: a pair on loopback (two agents, each with a console;
// see pairCf in testing/lvs-cf.ts), the VIP's failed `ip addr add` reported, a partition. Then a keyed pair
// where a save in the console reaches the backup, a standalone agent, and no agent at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { spawnAgent, type SpawnedAgent } from '../../testing/agent.ts';
import { type Console, follow, makeConsole } from '../../testing/console.ts';
import { lvsCf, pairCf, SAMPLE } from '../../testing/lvs-cf.ts';
import { heartbeatPort, loopback } from '../../testing/net.ts';
import { tempRoot } from '../../testing/temp.ts';
import { waitFor } from '../../testing/wait.ts';
import type { HaStatus } from '../../agent/protocol/index.ts';

function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&gt;/g, '>')
    .replace(/&rarr;/g, '→')
    .replace(/&middot;/g, '·')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function haOf(agent: SpawnedAgent): Promise<HaStatus | null> {
  const c = await agent.client();
  try {
    return await c.call('haStatus', {});
  } finally {
    c.close();
  }
}

/** Two agents, each with its own console: the primary's console owns the primary's root. */
async function startPair(t: Parameters<typeof makeConsole>[0], o: { primarySerial: number; backupSerial: number; key: boolean }) {
  const backupAddr = loopback();
  const port = await heartbeatPort('127.0.0.1', backupAddr);
  const vip = loopback();
  const broot = await tempRoot('piranha-gui-ha-b-');
  t.after(() => broot.remove());
  const primaryConsole = await makeConsole(t, { lvs: pairCf({ serial: o.primarySerial, backup: backupAddr, port, vip }), agentInRoot: true });
  await writeFile(join(broot.root, 'lvs.cf'), pairCf({ serial: o.backupSerial, backup: backupAddr, port, vip }));
  const backupConsole = await makeConsole(t, { lvs: pairCf({ serial: o.backupSerial, backup: backupAddr, port, vip }), agentSocket: broot.socket });
  if (o.key) {
    const key = `${randomBytes(32).toString('hex')}\n`;
    for (const root of [primaryConsole.root, broot.root]) {
      await mkdir(join(root, 'conf'), { recursive: true });
      await writeFile(join(root, 'conf', 'heartbeat.key'), key, { mode: 0o600 });
    }
  }
  const primary = await spawnAgent({ root: primaryConsole.root, socket: join(primaryConsole.root, 'agent.sock'), args: ['--node', 'primary'] });
  t.after(() => primary.stop('SIGKILL'));
  const backup = await spawnAgent({ root: broot.root, socket: broot.socket, args: ['--node', 'backup'] });
  t.after(() => backup.stop('SIGKILL'));
  await waitFor(
    async () => {
      const [p, b] = await Promise.all([haOf(primary), haOf(backup)]);
      return p?.state === 'active' && p.partner?.state === 'standby' && b?.state === 'standby' && b.partner?.state === 'active';
    },
    { timeoutMs: 20_000, message: 'the pair to settle (primary active, backup standby)' },
  );
  return { primary, backup, primaryConsole, backupConsole, backupAddr, port, vip, backupRoot: broot.root };
}

async function redundancyText(c: Console): Promise<string> {
  const page = await c.get('/secure/redundancy');
  assert.equal(page.statusCode, 200);
  return text(page.body);
}

test('a pair without a key: role, state, partner, heartbeat, serials, drops, history, problems, the no-key warning; both active resolved', async (t) => {
  const pair = await startPair(t, { primarySerial: 3, backupSerial: 2, key: false });
  const { primary, backup, primaryConsole: pc, backupConsole: bc, backupAddr, port, vip } = pair;

  // A heartbeat-sized datagram from an address that is not the partner: dropped and counted.
  const spoofer = createSocket('udp4');
  await new Promise<void>((r) => spoofer.bind(0, loopback(), () => r()));
  await new Promise<void>((r, j) => spoofer.send(randomBytes(76), port, '127.0.0.1', (err) => (err ? j(err) : r())));
  spoofer.close();
  await waitFor(async () => ((await haOf(primary))?.dropped['wrong-sender'] ?? 0) >= 1, { message: 'the spoofed packet to be counted' });
  await waitFor(async () => (await haOf(primary))?.partner?.serial === 2, { message: "the backup's serial to arrive by heartbeat" });

  const page = await pc.get('/secure/redundancy');
  assert.match(page.body, /<section id="ha-status"[^>]* hx-get="\/secure\/redundancy\/status" hx-trigger="every 5s" hx-swap="outerHTML"/);
  const p = text(page.body);
  assert.match(p, /Router status/);
  assert.match(p, /This router primary, ACTIVE Role primary State active/);
  assert.match(p, new RegExp(`Partner \\(backup\\) Addresses ${esc(backupAddr)} State standby Last heartbeat \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC \\((just now|\\d+ s ago)\\) serial_no 2`));
  assert.match(p, /serial_no on this router 3 serial_no on the backup 2 \(differs\)/);
  assert.match(p, /The routers run different configurations: serial_no 3 on this router, 2 on the backup\./);
  assert.match(p, /Last sync off: configuration sync needs the heartbeat key/);
  assert.match(p, /No heartbeat key: anyone on the network can force a failover\./);
  assert.match(p, new RegExp(`Create one with piranha-heartbeat-key --root ${esc(pc.root)} and copy it to the backup: scp -p ${esc(join(pc.root, 'conf', 'heartbeat.key'))} ${esc(backupAddr)}:`));
  assert.match(p, /Dropped heartbeat packets: [1-9]\d* /);
  assert.match(p, /wrong-sender: from an address that is not the partner [1-9]/);
  // Which reason depends on whether the backup was up within deadtime of the primary's start.
  assert.match(p, /Failover history Time Change Reason \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \((just now|\d+ s ago)\) standby → active (partner standby: the primary activates|partner dead: no heartbeat for 2 s)/);
  assert.match(p, new RegExp(`Problems during transitions .*virtual server web ${esc(vip)}: .*pirtest0`), 'the failed ip addr add is shown');

  // CONTROL/MONITORING on each router says which one is active.
  assert.match(text((await pc.get('/secure/control')).body), /This router: primary, ACTIVE/);
  assert.match(text((await bc.get('/secure/control')).body), /This router: backup, standby \(primary 127\.0\.0\.1 is active\)/);
  const bp = await redundancyText(bc);
  assert.match(bp, /This router backup, standby \(primary 127\.0\.0\.1 is active\) Role backup State standby/);
  assert.match(bp, /Partner \(primary\) Addresses 127\.0\.0\.1 State active/);
  assert.match(bp, /No change of state since the agent started/);
  assert.match(bp, /copy it to the primary: scp -p .* 127\.0\.0\.1:/);

  // The fragment htmx polls is the same section alone.
  const fragment = await pc.get('/secure/redundancy/status');
  assert.equal(fragment.statusCode, 200);
  assert.match(fragment.body, /^<section id="ha-status"/);
  assert.doesNotMatch(fragment.body, /<html/);
  assert.match(text(fragment.body), /This router primary, ACTIVE/);

  // A partition: the primary freezes, the backup takes over; the primary thaws still active, and
  // on the first heartbeats the backup steps down and the primary keeps the addresses.
  primary.child.kill('SIGSTOP');
  t.after(() => primary.child.kill('SIGCONT'));
  await waitFor(async () => (await haOf(backup))?.state === 'active', { timeoutMs: 15_000, message: 'the backup to take over' });
  assert.match(text((await bc.get('/secure/control')).body), /This router: backup, ACTIVE/);
  primary.child.kill('SIGCONT');
  await waitFor(
    async () => {
      const [a, b] = await Promise.all([haOf(primary), haOf(backup)]);
      return a?.state === 'active' && b?.state === 'standby' && a.history.some((h) => /both routers active/.test(h.reason));
    },
    { timeoutMs: 15_000, message: 'both-active to resolve to the primary' },
  );
  const after = await redundancyText(pc);
  assert.match(after, /active → active Both routers were active, resolved: this router kept the addresses\. both routers active/);
  const bafter = await redundancyText(bc);
  assert.match(bafter, /active → standby Both routers were active, resolved: this router stepped down\. both routers active/);
  assert.match(bafter, /standby → active partner dead: no heartbeat for 2 s/);
  // Newest first: the resolution is listed above the takeover.
  assert.ok(bafter.indexOf('stepped down') < bafter.indexOf('partner dead'));
});

test('a keyed pair: no key warning, a save in the console reaches the backup and both show the sync', async (t) => {
  const { primary, backup, primaryConsole: pc, backupConsole: bc, backupAddr, port } = await startPair(t, { primarySerial: 3, backupSerial: 3, key: true });
  const before = await redundancyText(pc);
  assert.doesNotMatch(before, /No heartbeat key/);
  assert.doesNotMatch(before, /different configurations/);
  assert.match(before, /Last sync none since the agent started/);

  const save = await pc.submit('/secure/redundancy', '/secure/redundancy', {
    action: 'accept', backup: backupAddr, backup_private: '', keepalive: '1', deadtime: '3', heartbeat_port: String(port), syncd_iface: '', syncd_id: '0',
  });
  assert.equal(save.statusCode, 303, text(save.body).replace(/^.*Settings/, "").slice(0, 1500));
  assert.match(text((await follow(pc, save)).body), /Saved/);
  await waitFor(
    async () => {
      const [a, b] = await Promise.all([haOf(primary), haOf(backup)]);
      return a?.sync.lastSync?.serial === 4 && a.partner?.serial === 4 && b?.sync.lastSync?.direction === 'received';
    },
    { timeoutMs: 15_000, message: 'serial 4 to reach the backup' },
  );
  const p = await redundancyText(pc);
  assert.match(p, /serial_no on this router 4 serial_no on the backup 4 Last sync \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \((just now|\d+ s ago)\): sent serial_no 4 to the partner Last sync error none/);
  assert.doesNotMatch(p, /differs|No heartbeat key/);
  const b = await redundancyText(bc);
  assert.match(b, /Last sync .*: received serial_no 4 from the partner/);
});

test('a standalone agent: "not running" on REDUNDANCY, "standalone" on CONTROL/MONITORING', async (t) => {
  const c = await makeConsole(t, { lvs: lvsCf({ virtuals: [] }), agentInRoot: true });
  const agent = await spawnAgent({ root: c.root, socket: join(c.root, 'agent.sock') });
  t.after(() => agent.stop());
  const p = await redundancyText(c);
  assert.match(p, /Redundancy is not running on this router \(no backup configured \/ backup disabled\)\./);
  assert.doesNotMatch(p, /No heartbeat key|Failover history/);
  assert.match(text((await c.get('/secure/control')).body), /This router: standalone \(no backup router configured, or the backup is disabled\)/);
});

test('no agent: the REDUNDANCY status says what CONTROL/MONITORING says, and the form still works', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE, agentSocket: '/nonexistent/piranha/agent.sock' });
  const control = text((await c.get('/secure/control')).body);
  const unreachable = /The agent is not reachable at \/nonexistent\/piranha\/agent\.sock: [^.]*\./.exec(control)?.[0];
  assert.ok(unreachable, control);
  const p = await redundancyText(c);
  assert.ok(p.includes(unreachable), p);
  assert.match(p, /The rest of the console works: you can still edit lvs\.cf/);
  assert.match(p, /Backup: (active|inactive)/);
  const fragment = await c.get('/secure/redundancy/status');
  assert.ok(text(fragment.body).includes(unreachable));
});
