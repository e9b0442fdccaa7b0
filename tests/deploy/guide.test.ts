// docs/deploy.md, run: every ```sh block, in order, after the settings block, on the machine its
// first line names (tests/deploy/lib/guide-blocks.ts). The build machine, the primary and the
// backup are throwaway roots with their own network (tests/deploy/lib/machines.ts); the primary
// starts as a site of the original Piranha. Then the result is checked on both routers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../testing/paths.ts';
import { SAMPLE } from '../../testing/lvs-cf.ts';
import { missingTool } from '../../testing/requirements.ts';
import { tempRoot } from '../../testing/temp.ts';
import { guideBlocks } from './lib/guide-blocks.ts';
import { Machines, machinesUnavailable } from './lib/machines.ts';

const GUIDE = join(REPO_ROOT, 'docs', 'deploy.md');
const skip = machinesUnavailable() ?? missingTool('nft') ?? missingTool('systemd-sysusers') ?? missingTool('systemd-tmpfiles') ?? missingTool('systemctl') ?? false;
const PASSWORD = 'a console password';
// The original's files: its lvs.cf for this pair, and a password file with a DES htpasswd hash.
const ORIGINAL_LVS_CF = SAMPLE.replace('backup_active = 0', 'backup_active = 1').replace('backup = 0.0.0.0', 'backup = 10.0.0.2');
const ORIGINAL_PASSWD = 'piranha:rqXexS6ZhobKA\n';

let machines: Machines;
const cleanup: (() => Promise<unknown>)[] = [];
before(async () => {
  if (skip) return;
  const t = await tempRoot('piranha-guide-');
  cleanup.push(t.remove);
  machines = new Machines(t.root);
  cleanup.push(async () => machines.destroy());
  await machines.add('build', null);
  await machines.add('primary', '10.0.0.1');
  await machines.add('backup', '10.0.0.2');
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

test('every sh block of docs/deploy.md runs, in order, on its machines', { skip, timeout: 900_000 }, async () => {
  const [settings, ...blocks] = guideBlocks(readFileSync(GUIDE, 'utf8'));
  for (const block of blocks) {
    for (const machine of block.machines as string[]) {
      const r = await machines.run(machine, settings!.script + block.script, { cwd: machine === 'build' ? REPO_ROOT : '/root', input: `${PASSWORD}\n` });
      assert.equal(r.status, 0, `docs/deploy.md line ${block.line}, on the ${machine}: exit ${r.status}\n${r.stderr}\n${r.stdout}`);
    }
  }

  const state = async (machine: string) => {
    const r = await machines.run(machine, [
      'getent passwd piranha piranha-agent | cut -d: -f1,4',
      'getent group piranha | cut -d: -f1,3',
      'stat -c "%n %U:%G %a" /etc/sysconfig/ha /etc/sysconfig/ha/history /etc/sysconfig/ha/conf /etc/sysconfig/ha/conf/piranha.passwd /etc/sysconfig/ha/conf/heartbeat.key /etc/sysconfig/ha/lvs.cf',
      'sha256sum < /etc/sysconfig/ha/conf/heartbeat.key',
      'cut -c1-15 /etc/sysconfig/ha/conf/piranha.passwd',
      'sha256sum < /etc/sysconfig/ha/lvs.cf',
      'systemctl is-enabled piranha-agent.service piranha-gui.service',
      'nft list table inet piranha',
      '/usr/local/bin/piranha-agent --version',
    ].join('\n'));
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const primary = await state('primary');
  const backup = await state('backup');
  for (const out of [primary, backup]) {
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
  const hashes = (out: string) => out.match(/^[0-9a-f]{64}  -$/gm);
  assert.deepEqual(hashes(backup), hashes(primary), 'the same key and lvs.cf on both routers');
  const kept = await machines.run('primary', 'cat /etc/sysconfig/ha/conf/piranha.passwd.original');
  assert.equal(kept.stdout, ORIGINAL_PASSWD, "the original's password file is kept aside");
});
