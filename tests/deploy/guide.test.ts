// docs/deploy.md, run: every ```sh block, in order, after the settings block, on the machine its
// first line names (tests/deploy/lib/guide-blocks.ts). The build machine (also the administrator's
// and the real servers'), the primary and the backup are throwaway booted systems with systemd as
// PID 1, on one Ethernet segment of their own (tests/deploy/lib/machines.ts); the primary starts as
// a site of the original Piranha. Around the blocks, the test checks what each one promises: the
// files installed, the units running, the pair serving, a reload applied or refused, a failover.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../testing/paths.ts';
import { SAMPLE } from '../../testing/lvs-cf.ts';
import { missingTool } from '../../testing/requirements.ts';
import { tempRoot } from '../../testing/temp.ts';
import { waitFor } from '../../testing/wait.ts';
import { AgentClient } from '../../agent/client.ts';
import type { Methods, MethodName } from '../../agent/protocol/methods.ts';
import { guideBlocks, type GuideBlock, type Machine } from './lib/guide-blocks.ts';
import { Machines, machinesUnavailable, type RunResult } from './lib/machines.ts';

const GUIDE = join(REPO_ROOT, 'docs', 'deploy.md');
const skip = machinesUnavailable() ?? missingTool('nft') ?? missingTool('systemd-sysusers') ?? missingTool('systemd-tmpfiles') ?? missingTool('systemctl') ?? missingTool('curl') ?? false;
const PASSWORD = 'a console password';
// The original's files: its lvs.cf for this pair, and a password file with a DES htpasswd hash.
// Its virtual server 192.168.1.100:80 has r1 (192.168.1.11:80, weight 1) and r2 (192.168.1.12:8080, weight 2).
const ORIGINAL_LVS_CF = SAMPLE.replace('backup_active = 0', 'backup_active = 1').replace('backup = 0.0.0.0', 'backup = 10.0.0.2');
const ORIGINAL_PASSWD = 'piranha:rqXexS6ZhobKA\n';
const VIP = '192.168.1.100';
const REALS = [{ name: 'r1', address: '192.168.1.11', port: 80 }, { name: 'r2', address: '192.168.1.12', port: 8080 }];
const ROUTERS = ['primary', 'backup'] as const;
const SOCKET = '/run/piranha/agent.sock';
// This machine's kernel has no IPVS (the kernel suite, tests/kernel/, runs the agent on one that
// has): on the test's routers the unit runs the userspace dataplane, by a drop-in that changes
// nothing else of it.
const DATAPLANE_DROP_IN = `[Service]\nExecStart=\n${/^ExecStart=.*$/m.exec(readFileSync(join(REPO_ROOT, 'deploy/systemd/piranha-agent.service'), 'utf8'))![0].replace('--dataplane ipvs', '--dataplane userspace')}\n`;

let machines: Machines;
const cleanup: (() => Promise<unknown>)[] = [];
before(async () => {
  if (skip) return;
  const t = await tempRoot('piranha-guide-');
  cleanup.push(t.remove);
  machines = new Machines(t.root);
  cleanup.push(() => machines.destroy());
  await machines.add('build', null);
  await machines.add('primary', '10.0.0.1');
  await machines.add('backup', '10.0.0.2');
  // One segment: the routers, the administrator (ADMIN_NET) and the real servers beside the VIP's
  // subnet, which a router reaches through the VIP's prefix while it holds it.
  machines.segment('build', {
    build: { addresses: ['192.168.100.10/24', ...REALS.map((r) => `${r.address}/24`)], routes: ['10.0.0.0/24'] },
    primary: { addresses: ['10.0.0.1/24'], routes: ['192.168.100.0/24'] },
    backup: { addresses: ['10.0.0.2/24'], routes: ['192.168.100.0/24'] },
  });
  for (const r of REALS) {
    const started = await machines.run('build', `systemd-run --unit=real-server-${r.name} --working-directory=${REPO_ROOT} -- ${process.execPath} --import tsx tests/netns/real-server.ts ${r.name} ${r.address} ${r.port}`);
    assert.equal(started.status, 0, started.stderr);
  }
  for (const router of ROUTERS) {
    const r = await machines.run(router, `mkdir -p /etc/systemd/system/piranha-agent.service.d\ncat > /etc/systemd/system/piranha-agent.service.d/userspace-dataplane.conf <<'EOF'\n${DATAPLANE_DROP_IN}EOF\n`);
    assert.equal(r.status, 0, r.stderr);
  }
  const original = await machines.run('primary', `mkdir -p /etc/sysconfig/ha/conf\ncat > /etc/sysconfig/ha/lvs.cf <<'EOF'\n${ORIGINAL_LVS_CF}EOF\nprintf '%s' '${ORIGINAL_PASSWD}' > /etc/sysconfig/ha/conf/piranha.passwd\nchmod 600 /etc/sysconfig/ha/conf/piranha.passwd\n`);
  assert.equal(original.status, 0, original.stderr);
});
after(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

test('the guide names where each block runs, and starts with its settings', () => {
  const blocks = guideBlocks(readFileSync(GUIDE, 'utf8'));
  assert.equal(blocks[0]?.machines, 'settings');
  assert.ok(blocks.slice(1).every((b) => b.machines !== 'settings'));
  assert.ok(blocks.length >= 10);
});

/** One call to a router's agent, over its socket. */
async function agent<M extends MethodName>(router: string, method: M, params?: Methods[M]['params']): Promise<Methods[M]['result']> {
  const client = await AgentClient.connect(machines.path(router, SOCKET));
  try {
    return await client.call(method, params);
  } finally {
    client.close();
  }
}

/** Waits until the weights of r1 and r2 in a router's table are `expected` (e.g. '1,2'). */
async function weightsReach(router: string, expected: string): Promise<void> {
  await waitFor(
    async () => {
      const table = await agent(router, 'table', {});
      const reals = table.services.flatMap((s) => s.reals);
      if (REALS.map((r) => reals.find((x) => x.address === r.address && x.port === r.port)?.weight ?? '').join(',') === expected) return true;
      throw new Error(JSON.stringify(table.services.map((s) => ({ reals: s.reals.map((r) => `${r.address}:${r.port} ${r.weight}`), problem: s.problem }))));
    },
    // A real server back up is taken in after the check's reentry time (15 s here).
    { timeoutMs: 60_000, intervalMs: 500, message: `weights ${expected} in the ${router}'s table` },
  );
}

async function sh(machine: string, script: string): Promise<string> {
  const r = await machines.run(machine, script);
  assert.equal(r.status, 0, `on the ${machine}: ${script}\n${r.stderr}`);
  return r.stdout;
}

/** Waits until the pair is `active` on one router and `standby` on the other, each hearing the other. */
async function pairSettled(active: string, standby: string): Promise<void> {
  await waitFor(
    async () => {
      const [a, s] = [await agent(active, 'haStatus'), await agent(standby, 'haStatus')];
      if (a?.state === 'active' && a.partner?.state === 'standby' && s?.state === 'standby' && s.partner?.state === 'active') return true;
      throw new Error(`${active} ${a?.state} hearing ${a?.partner?.state}, ${standby} ${s?.state} hearing ${s?.partner?.state}`);
    },
    { timeoutMs: 90_000, intervalMs: 500, message: `the ${active} active and the ${standby} standby, hearing each other` },
  );
}

/** Waits until r1 and r2 are both in a router's table, whatever their weights: a real server back up ramps up to its weight, as nanny did. */
async function realsIn(router: string): Promise<void> {
  await waitFor(
    async () => {
      const reals = (await agent(router, 'table', {})).services.flatMap((s) => s.reals);
      return REALS.every((r) => reals.some((x) => x.address === r.address && x.port === r.port && x.weight > 0));
    },
    { timeoutMs: 60_000, intervalMs: 500, message: `r1 and r2 in the ${router}'s table` },
  );
}

/** A client on the segment asks the VIP: a real server answers through the active router. */
async function served(): Promise<void> {
  const page = await sh('build', `curl -fsS --max-time 10 http://${VIP}/`);
  assert.match(page, /^r[12] via /);
}

/** The install's result on a router: users, folders, files, units, firewall, program. */
async function installed(router: string): Promise<void> {
  const out = await sh(router, [
    'getent passwd piranha piranha-agent | cut -d: -f1,4',
    'getent group piranha | cut -d: -f1,3',
    'stat -c "%n %U:%G %a" /etc/sysconfig/ha /etc/sysconfig/ha/history /etc/sysconfig/ha/conf /etc/sysconfig/ha/conf/piranha.passwd /etc/sysconfig/ha/conf/heartbeat.key /etc/sysconfig/ha/lvs.cf',
    'cut -c1-15 /etc/sysconfig/ha/conf/piranha.passwd',
    'systemctl is-enabled piranha-agent.service piranha-gui.service',
    'nft list table inet piranha',
    '/usr/local/bin/piranha-agent --version',
  ].join('\n'));
  const gid = /^piranha:(\d+)$/m.exec(out)?.[1];
  assert.ok(gid, out);
  assert.match(out, new RegExp(`^piranha:${gid}\\npiranha-agent:${gid}$`, 'm'), 'both users in the group piranha');
  assert.match(out, /^\/etc\/sysconfig\/ha root:piranha 2770$/m);
  assert.match(out, /^\/etc\/sysconfig\/ha\/history root:piranha 2770$/m);
  assert.match(out, /^\/etc\/sysconfig\/ha\/conf piranha:piranha 2770$/m);
  assert.match(out, /^\/etc\/sysconfig\/ha\/conf\/piranha\.passwd piranha:piranha 600$/m);
  assert.match(out, /^\/etc\/sysconfig\/ha\/conf\/heartbeat\.key piranha-agent:piranha 600$/m);
  assert.match(out, /^\/etc\/sysconfig\/ha\/lvs\.cf root:piranha 644$/m);
  assert.match(out, /^piranha:\$2b\$12\$$/m, 'a bcrypt password');
  assert.match(out, /^enabled\nenabled$/m);
  assert.match(out, /udp dport 539 ip saddr != @routers drop/);
  assert.match(out, /iifname "eth1" ip daddr 224\.0\.0\.81 udp dport 8848 ip saddr != @routers drop/);
  assert.match(out, /^piranha-agent 0\.1\.0$/m);
}

const hashes = async (machine: string) => sh(machine, 'sha256sum /etc/sysconfig/ha/conf/heartbeat.key /etc/sysconfig/ha/lvs.cf');

/**
 * What the test checks around a block: before or after it runs on `machine`, for the block that
 * contains `command`. Each must meet its block: a command dropped from the guide fails the test.
 */
interface Check {
  command: string;
  machine: Machine;
  before?: () => Promise<void>;
  after?: (result: RunResult, block: GuideBlock, settings: string) => Promise<void>;
}

const CHECKS: Check[] = [
  {
    command: 'systemctl start piranha-agent.service piranha-gui.service',
    machine: 'backup',
    after: async () => {
      for (const router of ROUTERS) await installed(router);
      for (const router of ROUTERS) assert.equal(await sh(router, 'systemctl is-active piranha-agent.service piranha-gui.service'), 'active\nactive\n');
      // The primary activates on hearing the backup, takes the VIP and checks the real servers.
      await pairSettled('primary', 'backup');
      await weightsReach('primary', '1,2');
      await served();
    },
  },
  {
    command: 'journalctl -u piranha-agent -b\n',
    machine: 'primary',
    after: async (r) => {
      assert.match(r.stdout, /piranha-agent\[\d+\]: piranha-agent 0\.1\.0 pid \d+ listening on \/run\/piranha\/agent\.sock \(primary of a pair/);
      assert.match(r.stdout, /piranha-agent\[\d+\]: activating: partner standby: the primary activates$/m);
    },
  },
  {
    command: 'curl -fsS -u "piranha:$PIRANHA_PASSWORD"',
    machine: 'build',
    after: async (r) => {
      assert.match(r.stdout, /^10\.0\.0\.1: primary, ACTIVE$/m);
      assert.match(r.stdout, /^10\.0\.0\.2: backup, standby \(/m);
    },
  },
  {
    command: 'systemctl reload piranha-agent.service',
    machine: 'primary',
    // An administrator's edit by hand: r1's weight 1 → 4, a new serial.
    before: async () => {
      await sh('primary', "sed -i -e 's/^serial_no = 7$/serial_no = 8/' -e '/server r1 {/,/}/s/weight = 1$/weight = 4/' /etc/sysconfig/ha/lvs.cf");
    },
    after: async (_r, block, settings) => {
      await weightsReach('primary', '4,2');
      // The active router pushed the file to its partner.
      await waitFor(async () => (await hashes('backup')) === (await hashes('primary')), { timeoutMs: 30_000, message: 'the edited lvs.cf on the backup too' });
      // The same block on a file that does not parse: refused, with a line at priority err, and
      // the table and the service as they were.
      await sh('primary', "cp -p /etc/sysconfig/ha/lvs.cf /root/lvs.cf.good && sed -i 's/scheduler = wlc/scheduler = fastest/' /etc/sysconfig/ha/lvs.cf");
      const refusal = /reload refused, keeping the configuration in use \(serial 8\): .*lvs\.cf:\d+:\d+: error.*"fastest"/;
      await waitFor(async () => {
        const again = await machines.run('primary', settings + block.script);
        if (again.status === 0 && refusal.test(again.stdout)) return true;
        throw new Error(`exit ${again.status}\n${again.stdout}${again.stderr}`);
      }, { timeoutMs: 30_000, intervalMs: 1000, message: 'the refusal in journalctl -p err' });
      await weightsReach('primary', '4,2');
      assert.equal(await sh('primary', 'systemctl is-active piranha-agent.service'), 'active\n');
      await sh('primary', 'mv /root/lvs.cf.good /etc/sysconfig/ha/lvs.cf && systemctl reload piranha-agent.service');
    },
  },
  {
    command: 'systemctl restart piranha-agent.service piranha-gui.service',
    machine: 'backup',
    // The administrator waits for the upgraded backup to hear the primary again.
    after: async () => {
      assert.match(await sh('backup', 'piranha-agent --version'), /^piranha-agent 0\.1\.0$/m);
      await pairSettled('primary', 'backup');
    },
  },
  {
    command: 'systemctl stop piranha-agent.service',
    machine: 'primary',
    after: async () => {
      assert.equal((await machines.run('primary', 'systemctl is-active piranha-agent.service')).stdout, 'inactive\n');
      // At once: on the primary's leaving, not after deadtime without heartbeats.
      const ha = await waitFor(async () => {
        const s = await agent('backup', 'haStatus');
        return s?.state === 'active' ? s : null;
      }, { timeoutMs: 60_000, intervalMs: 500, message: 'the backup active' });
      assert.equal(ha.history.at(-1)?.reason, 'partner stopping: taking over');
      assert.ok(ha.vips.some((v) => v.address === VIP), JSON.stringify(ha.vips));
      assert.match(await sh('backup', 'journalctl -u piranha-agent -b -o cat'), /^activating: partner stopping: taking over$/m);
      assert.match(await sh('backup', 'ip -br address show dev eth0'), new RegExp(`\\b${VIP.replaceAll('.', '\\.')}/24\\b`));
      // The primary gave the VIP up as it left.
      assert.doesNotMatch(await sh('primary', 'ip -br address show dev eth0'), new RegExp(VIP.replaceAll('.', '\\.')), await sh('primary', 'journalctl -u piranha-agent -b -o cat | tail -n 20'));
      await realsIn('backup');
      await served();
    },
  },
  {
    command: 'systemctl start piranha-agent.service\n',
    machine: 'primary',
    // The upgraded primary joins as the standby; the backup keeps serving.
    after: async () => {
      await pairSettled('backup', 'primary');
      for (const router of ROUTERS) assert.equal(await sh(router, 'systemctl is-active piranha-agent.service piranha-gui.service'), 'active\nactive\n');
      await served();
    },
  },
];

test('every sh block of docs/deploy.md runs, in order, on its machines, and does what the guide says', { skip, timeout: 1_200_000 }, async () => {
  const [settings, ...blocks] = guideBlocks(readFileSync(GUIDE, 'utf8'));
  const met = new Set<Check>();
  for (const block of blocks) {
    for (const machine of block.machines as Machine[]) {
      const checks = CHECKS.filter((c) => c.machine === machine && block.script.includes(c.command));
      for (const c of checks) await c.before?.();
      const r = await machines.run(machine, settings!.script + block.script, { cwd: machine === 'build' ? REPO_ROOT : '/root', input: `${PASSWORD}\n` });
      assert.equal(r.status, 0, `docs/deploy.md line ${block.line}, on the ${machine}: exit ${r.status}\n${r.stderr}\n${r.stdout}`);
      for (const c of checks) {
        await c.after?.(r, block, settings!.script);
        met.add(c);
      }
    }
  }
  assert.deepEqual(CHECKS.filter((c) => !met.has(c)).map((c) => c.command), [], 'every check met its block');

  assert.equal(await hashes('backup'), await hashes('primary'), 'the same key and lvs.cf on both routers');
  const kept = await machines.run('primary', 'cat /etc/sysconfig/ha/conf/piranha.passwd.original');
  assert.equal(kept.stdout, ORIGINAL_PASSWD, "the original's password file is kept aside");
});
