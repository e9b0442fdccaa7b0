// The privilege split of deploy/systemd, with the identities the units give: the agent as its own
// user with only CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE, in a network namespace of its
// own; the console as another user with no capability, sharing the group `piranha` with it. Throwaway
// numeric ids through setpriv, as systemd's User=/Group=/AmbientCapabilities= would set them. The
// console saves and drives the agent over HTTP and the socket; as the console's identity nothing
// else changes the dataplane, signals the agent or reads its key; a user outside the group cannot
// even connect to the socket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnAgent, type SpawnedAgent } from '../../testing/agent.ts';
import { AUTH, PASSWORD, spawnConsole, type SpawnedConsole } from '../../testing/console.ts';
import { Lab } from '../../testing/lab.ts';
import { lvsCf, writeLvsCf } from '../../testing/lvs-cf.ts';
import { loopback } from '../../testing/net.ts';
import { missingRoot, missingTool } from '../../testing/requirements.ts';
import { tempRoot } from '../../testing/temp.ts';
import { waitFor } from '../../testing/wait.ts';
import { writePasswordFile } from '../../server/password-file.ts';
import { generateKey } from '../../agent/ha/heartbeat-key.ts';
import type { AgentClient } from '../../agent/client.ts';

const skip = missingRoot('running programs as other users') ?? missingTool('setpriv') ?? missingTool('ip') ?? missingTool('nft') ?? false;

const GROUP = 64100; // piranha
const AGENT = 64101; // piranha-agent
const CONSOLE = 64102; // piranha
const OTHER = 64103; // anyone else
const AGENT_CAPS = ['net_admin', 'net_raw', 'net_bind_service'];

/** setpriv's argv for an identity as a unit sets it: user, primary group, groups, capabilities. */
function as(uid: number, gid: number, groups: number[], caps: string[] = []): string[] {
  const set = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, groups.length ? `--groups=${groups.join(',')}` : '--clear-groups', `--inh-caps=${set}`, `--ambient-caps=${set}`, `--bounding-set=${set}`, '--no-new-privs', '--'];
}
const consoleUser = as(CONSOLE, GROUP, [GROUP]);

const lab = new Lab(`priv${process.pid % 10000}`);
const cleanup: (() => Promise<unknown>)[] = [];
let ha: string;
let socket: string;
let agent: SpawnedAgent;
let client: AgentClient;
let gui: SpawnedConsole;
const reals = [{ name: 'a', address: '127.0.10.1' }, { name: 'b', address: '127.0.10.2' }];
const VIP = '127.0.10.100';

before(async () => {
  if (skip) return;
  const t = await tempRoot();
  cleanup.push(t.remove);
  await chmod(t.root, 0o711);
  // The layout of deploy/tmpfiles.d and the agent's RuntimeDirectory.
  ha = join(t.root, 'ha');
  await mkdir(join(ha, 'conf'), { recursive: true });
  await chown(ha, 0, GROUP);
  await chmod(ha, 0o2770);
  await chown(join(ha, 'conf'), CONSOLE, GROUP);
  await chmod(join(ha, 'conf'), 0o2770);
  await mkdir(join(ha, 'history'));
  await chown(join(ha, 'history'), 0, GROUP);
  await chmod(join(ha, 'history'), 0o2770);
  const run = join(t.root, 'run');
  await mkdir(run, { mode: 0o750 });
  await chown(run, AGENT, GROUP);
  socket = join(run, 'agent.sock');
  await writePasswordFile(join(ha, 'conf', 'piranha.passwd'), PASSWORD, 4);
  await chown(join(ha, 'conf', 'piranha.passwd'), CONSOLE, GROUP);
  await chown(await generateKey(ha), AGENT, GROUP);
  // Port 80: the agent binds it through CAP_NET_BIND_SERVICE.
  await writeLvsCf(ha, lvsCf({ serial: 1, virtuals: [{ name: 'web', vip: VIP, port: 80, timeout: 1, servers: reals.map((r) => ({ ...r, port: 8080, weight: 3 })) }] }));

  lab.machine('router', []);
  cleanup.push(async () => lab.destroy());
  for (const r of reals) lab.start('router', [process.execPath, '--import', 'tsx', 'tests/netns/real-server.ts', r.name, r.address, '8080']);
  agent = await spawnAgent({ root: ha, socket, netns: lab.ns('router'), runAs: as(AGENT, GROUP, [GROUP], AGENT_CAPS) });
  cleanup.push(() => agent.stop());
  client = await agent.client();
  cleanup.push(async () => client.close());
  await waitFor(async () => (await weights()).join() === '3,3', { message: 'both real servers in the table' });
  gui = await spawnConsole(ha, { host: loopback(), agentSocket: socket, runAs: consoleUser });
  cleanup.push(() => gui.stop());
});
after(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

/** The table's weights, real server a's first. */
async function weights(): Promise<number[]> {
  const table = (await client.call('table', {})).services[0]?.reals ?? [];
  return reals.flatMap((r) => table.filter((t) => t.address === r.address).map((t) => t.weight));
}

/** A browser's round trip without a browser: GET the form, POST it with its token (and version). */
async function submit(formPath: string, action: string, fields: Record<string, string>): Promise<string> {
  const form = await (await fetch(gui.url + formPath, { headers: { authorization: AUTH } })).text();
  const hidden: Record<string, string> = { _csrf: /name="_csrf" value="([^"]*)"/.exec(form)![1]! };
  const version = /name="version" value="([^"]*)"/.exec(form)?.[1];
  if (version !== undefined) hidden.version = version;
  const res = await fetch(gui.url + action, {
    method: 'POST',
    redirect: 'manual',
    headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hidden, ...fields }).toString(),
  });
  assert.equal(res.status, 303, await res.text());
  const page = await (await fetch(gui.url + res.headers.get('location')!, { headers: { authorization: AUTH } })).text();
  return page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

/** Runs argv as the console's identity inside the agent's network namespace. */
function asConsole(argv: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', lab.ns('router'), ...consoleUser, ...argv], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('the socket: owned by the agent, group piranha, 0660; the agent holds its three capabilities and no more', { skip }, async () => {
  const st = await stat(socket);
  assert.equal(st.uid, AGENT);
  assert.equal(st.gid, GROUP);
  assert.equal(st.mode & 0o777, 0o660);
  const status = (await import('node:fs')).readFileSync(`/proc/${(await client.call('status', {})).pid}/status`, 'utf8');
  assert.match(status, /^Uid:\s+64101\s+64101\s+64101\s+64101$/m);
  assert.match(status, /^CapEff:\s+0000000000003400$/m, 'CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW');
  assert.match(status, /^CapBnd:\s+0000000000003400$/m);
});

test('the console, as its unprivileged user, saves a change and the agent applies it; STOP and START drive it', { skip }, async () => {
  const saved = await submit('/secure/virtual/0/real/0/edit', '/secure/virtual/0/real/0/edit', { name: 'a', address: reals[0]!.address, port: '8080', weight: '5', confirm: '' });
  assert.match(saved, /The agent reloaded lvs\.cf \(serial 2, 1 table change\)/);
  assert.deepEqual(await weights(), [5, 3]);
  const lvs = await stat(join(ha, 'lvs.cf'));
  assert.equal(lvs.uid, CONSOLE, 'lvs.cf written by the console');
  assert.match(await submit('/secure/control', '/secure/control/action', { action: 'stop' }), /LVS is now stopped/);
  assert.deepEqual(await weights(), []);
  assert.match(await submit('/secure/control', '/secure/control/action', { action: 'start' }), /LVS is now running/);
  await waitFor(async () => (await weights()).join() === '5,3', { message: 'the table back after START' });
});

test("as the console's user nothing else changes the dataplane, signals the agent or reads its files", { skip }, async () => {
  const before = JSON.stringify(await weights());
  const refused: [string[], RegExp][] = [
    [['ip', 'address', 'add', `${VIP}/32`, 'dev', 'lo'], /Operation not permitted/],
    [['ip', 'route', 'add', '10.99.0.0/16', 'dev', 'lo'], /Operation not permitted/],
    [['nft', 'add', 'table', 'inet', 'probe'], /Operation not permitted/],
    [['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward'], /Permission denied/],
    [['kill', '-HUP', String(agent.child.pid)], /Operation not permitted/],
    [['cat', join(ha, 'conf', 'heartbeat.key')], /Permission denied/],
    [['touch', join(socket, '..', 'other.sock')], /Permission denied/],
  ];
  for (const [argv, why] of refused) {
    const r = asConsole(argv);
    assert.notEqual(r.status, 0, `${argv.join(' ')} succeeded as the console's user`);
    assert.match(r.stderr, why, argv.join(' '));
  }
  assert.equal(JSON.stringify(await weights()), before);
  // `ip netns exec` and setpriv exec node in place: the pid signalled above is the agent's.
  assert.equal((await client.call('status', {})).pid, agent.child.pid);
});

test('a user outside the group piranha cannot connect to the socket', { skip }, () => {
  const connect = `require('net').connect(process.argv[1]).on('connect', () => process.exit(0)).on('error', (e) => { console.error(e.code); process.exit(1); })`;
  const other = spawnSync(as(OTHER, OTHER, [])[0]!, [...as(OTHER, OTHER, []).slice(1), process.execPath, '-e', connect, socket], { encoding: 'utf8' });
  assert.equal(other.status, 1);
  assert.match(other.stderr, /EACCES/);
  const member = spawnSync(consoleUser[0]!, [...consoleUser.slice(1), process.execPath, '-e', connect, socket], { encoding: 'utf8' });
  assert.equal(member.status, 0, member.stderr);
});
