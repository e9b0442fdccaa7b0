// Throwaway machines for running an installation guide as root without touching this one: each is
// a booted system, systemd as PID 1 of its own PID, mount, network, UTS, IPC and cgroup namespaces,
// on a root that is an overlay of this machine's root filesystem (its files below, every change in
// a tmpfs that goes with the machine). `systemctl` and `journalctl` there talk to that machine's
// systemd and read its journal, never this machine's. Commands enter the namespaces with nsenter.
// `scp` between machines is provided on PATH: it hands each file to the test process, which copies
// it into the other machine.
//
// What a container manager would do, kept to what the guide needs: a fresh /proc (its /proc/sys
// read-only but for the machine's own network settings), a read-only /sys, a cgroup2 hierarchy
// delegated to the machine, a minimal /dev, tmpfs on /run and /tmp, and a bounding set without the
// capabilities that reach this machine's kernel as a whole (modules, clock, audit, raw I/O).
// The machine boots basic.target: its own system services, none of the host's daemons.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../testing/paths.ts';
import { waitFor } from '../../../testing/wait.ts';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SYSTEMD = '/lib/systemd/systemd';
/** Where a machine sees the folder the test shares with it (scp). */
const SHARED = '/run/piranha-test';
/** Capabilities whose effect is not confined to the machine's namespaces. */
const DROPPED_CAPS = ['sys_module', 'sys_time', 'sys_rawio', 'syslog', 'mac_admin', 'mac_override', 'wake_alarm', 'block_suspend', 'sys_pacct', 'audit_control', 'audit_read'];

// Runs as the holder: enters the machine's cgroup, makes the namespaces, and in them lays out the
// root and executes systemd. unshare's --kill-child and setpriv's --pdeathsig take the machine down
// with the holder, and the holder down with the test process, however it ends.
const BOOT = `#!/bin/bash
set -euo pipefail
scratch=$1 name=$2 cgroup=$3 repo=$4 shared=$5
echo $$ > "$cgroup/cgroup.procs"
mkdir -p "$scratch/layer" "$scratch/root"
exec setpriv --pdeathsig KILL -- unshare --pid --kill-child --mount --net --uts --ipc --cgroup --propagation private -- bash -euo pipefail -c '
scratch=$1 name=$2 repo=$3 shared=$4
mount -t tmpfs -o mode=700 tmpfs "$scratch/layer"
mkdir "$scratch/layer/upper" "$scratch/layer/work"
r=$scratch/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$scratch/layer/upper,workdir=$scratch/layer/work" "$r"
# The repository, when it is on another filesystem than / (the overlay shows / alone).
[ "$(stat -c %d /)" = "$(stat -c %d "$repo")" ] || mount --rbind "$repo" "$r$repo"
mount -t proc proc "$r/proc"
mount --bind "$r/proc/sys" "$r/proc/sys"
mount --bind "$r/proc/sys/net" "$r/proc/sys/net"
mount -o remount,bind,ro "$r/proc/sys"
mount -o remount,bind,rw "$r/proc/sys/net"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$r/sys/fs/cgroup"
mount -t tmpfs -o mode=755,nosuid tmpfs "$r/dev"
# Made afresh with the modes a Linux system gives them, whatever the nodes of this machine have become.
for d in null:3 zero:5 full:7 random:8 urandom:9; do mknod -m 666 "$r/dev/\${d%%:*}" c 1 "\${d#*:}"; done
mknod -m 666 "$r/dev/tty" c 5 0
# systemd writes its boot messages to the console: nowhere.
mknod -m 600 "$r/dev/console" c 1 3
mkdir "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/dev/shm"
ln -s /proc/self/fd "$r/dev/fd"
for i in 0:stdin 1:stdout 2:stderr; do ln -s "/proc/self/fd/\${i%%:*}" "$r/dev/\${i#*:}"; done
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$r/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$r/tmp"
mkdir "$r${SHARED}"; mount --bind "$shared" "$r${SHARED}"
hostname "$name"
mkdir "$r/.host"
cd "$r"
pivot_root . .host
umount -l /.host
rmdir /.host
exec env -i container=piranha-test setpriv --bounding-set ${DROPPED_CAPS.map((c) => `-${c}`).join(',')} -- ${SYSTEMD} --unit=basic.target
' boot "$scratch" "$name" "$repo" "$shared"
`;

// scp between the test's machines, run inside one: each file goes over a unix socket to the test
// process, which copies it into the machine named by the destination (user@ADDRESS:PATH) as
// `install -m MODE` would, keeping its mode. Plain Node: the routers have Node and nothing of ours.
const SCP = `#!/usr/bin/env node
const { connect } = require('node:net');
const { readFileSync, statSync } = require('node:fs');
const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const dest = args.pop();
const host = dest.slice(0, dest.indexOf(':')).replace(/^.*@/, '');
const path = dest.slice(dest.indexOf(':') + 1);
(async () => {
  for (const file of args) {
    const header = JSON.stringify({ host, path: path.endsWith('/') ? path + file.split('/').pop() : path, mode: statSync(file).mode & 0o7777 });
    const answer = await new Promise((resolve, reject) => {
      let text = '';
      const s = connect(__dirname + '/scp.sock');
      s.on('data', (d) => (text += d)).on('end', () => resolve(text)).on('error', reject);
      s.end(Buffer.concat([Buffer.from(header + '\\n'), readFileSync(file)]));
    });
    if (answer !== 'ok') { process.stderr.write('scp: ' + file + ': ' + answer + '\\n'); process.exit(1); }
  }
})();
`;

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

interface Machine {
  holder: ChildProcess;
  /** systemd's process id here: the machine's PID 1. */
  init: number;
  cgroup: string;
}

export class Machines {
  private readonly machines = new Map<string, Machine>();
  /** Address → machine name, for scp. */
  private readonly addresses = new Map<string, string>();
  /** Shared with every machine, at SHARED there: scp and the socket it sends files to. */
  private readonly shared: string;
  private readonly scpServer: Server;
  private received = 0;

  constructor(private readonly scratch: string) {
    this.shared = join(scratch, 'shared');
    mkdirSync(this.shared, { recursive: true });
    chmodSync(this.shared, 0o755);
    writeFileSync(join(this.shared, 'scp'), SCP);
    chmodSync(join(this.shared, 'scp'), 0o755);
    writeFileSync(join(scratch, 'boot'), BOOT);
    this.scpServer = createServer((conn) => this.receive(conn)).listen(join(this.shared, 'scp.sock'));
  }

  /** One file from a machine's scp: a JSON header line ({host, path, mode}), then its bytes. */
  private receive(conn: Socket): void {
    const chunks: Buffer[] = [];
    conn.on('data', (d: Buffer) => chunks.push(d));
    conn.on('error', () => {});
    conn.on('end', () => {
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(10);
      let answer = 'ok';
      try {
        const header = z.object({ host: z.string(), path: z.string().startsWith('/'), mode: z.number().int() }).parse(JSON.parse(all.subarray(0, nl).toString()));
        const name = this.addresses.get(header.host);
        if (!name) throw new Error(`no machine ${header.host}`);
        // Through the shared folder: install reads a file, not a socket.
        const incoming = `incoming-${++this.received}`;
        writeFileSync(join(this.shared, incoming), all.subarray(nl + 1), { mode: 0o600 });
        try {
          const r = spawnSync('nsenter', ['--target', String(this.machine(name).init), '--mount', '--', 'install', '-m', header.mode.toString(8), `${SHARED}/${incoming}`, header.path], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(r.stderr.trim() || `install exited ${r.status}`);
        } finally {
          rmSync(join(this.shared, incoming), { force: true });
        }
      } catch (err) {
        answer = (err as Error).message;
      }
      conn.end(answer);
    });
  }

  /** Boots a machine, reachable by scp at `address`; resolves when its boot is complete. */
  async add(name: string, address: string | null): Promise<void> {
    const parent = ownCgroup();
    // Left by a test process that was killed before it could remove them: empty once its machines died.
    for (const stale of readdirSync(parent).filter((d) => /^piranha-machine-.+-(\d+)$/.exec(d) && !existsSync(`/proc/${/-(\d+)$/.exec(d)![1]}`))) removeCgroup(join(parent, stale));
    const cgroup = join(parent, `piranha-machine-${name}-${process.pid}`);
    mkdirSync(cgroup);
    const holder = spawn('bash', [join(this.scratch, 'boot'), join(this.scratch, name), name, cgroup, REPO_ROOT, this.shared], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => (out += d));
    holder.stderr!.on('data', (d: Buffer) => (out += d));
    const machine: Machine = { holder, init: 0, cgroup };
    this.machines.set(name, machine);
    machine.init = await waitFor(
      () => {
        if (holder.exitCode !== null) return -1;
        const child = Number(readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(' ')[0]);
        // Started once it listens on its private socket, where systemctl reaches it as root.
        return child && readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'systemd' && existsSync(`/proc/${child}/root/run/systemd/private`) ? child : 0;
      },
      { message: `machine ${name}: systemd started`, timeoutMs: 60_000 },
    );
    if (machine.init === -1) throw new Error(`machine ${name} did not start:\n${out}`);
    if (address) this.addresses.set(address, name);
    // running, or degraded (a unit of the base system failed): either way the boot is over.
    const boot = await this.run(name, 'systemctl is-system-running --wait || true', { timeoutMs: 120_000 });
    if (!/^(running|degraded)$/m.test(boot.stdout)) throw new Error(`machine ${name} did not boot: ${boot.stdout}${boot.stderr}${out}`);
  }

  /** Runs a bash script in a machine, as root, in `cwd`, with `input` on its standard input. */
  run(name: string, script: string, opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    const child = spawn('nsenter', ['--target', String(this.machine(name).init), '--mount', '--net', '--pid', '--uts', '--ipc', '--cgroup', '--', 'bash', '--norc', '-euo', 'pipefail', '-c', `cd ${opts.cwd ?? '/root'}\n${script}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // The machines have no network beyond their own: npm installs from the cache this host filled.
      env: { PATH: `${SHARED}:${PATH}`, HOME: '/root', LANG: 'C.UTF-8', npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    });
    // A script that never reads its input may exit before it is written.
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timeoutMs = opts.timeoutMs ?? 300_000;
    // Killing nsenter's bash ends the script; the machine's PID 1 reaps what it left.
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    return new Promise((resolve) =>
      child.once('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      }),
    );
  }

  /** A path of the machine's filesystem as seen from here (e.g. its agent's socket). */
  path(name: string, path: string): string {
    return `/proc/${this.machine(name).init}/root${path}`;
  }

  /**
   * One Ethernet segment: a bridge `br0` in `hub`, and an interface `eth0` in each other machine
   * named, linked to it; each with its addresses (CIDR) and routes (subnets reached on the segment
   * without a router between).
   */
  segment(hub: string, plan: Record<string, { addresses: string[]; routes?: string[] }>): void {
    const inNet = (name: string, args: string[]) => ip(args, this.machine(name).init);
    inNet(hub, ['link', 'add', 'br0', 'type', 'bridge']);
    inNet(hub, ['link', 'set', 'br0', 'up']);
    for (const [name, { addresses, routes = [] }] of Object.entries(plan)) {
      let dev = 'br0';
      if (name !== hub) {
        dev = 'eth0';
        ip(['link', 'add', `to-${name}`, 'netns', String(this.machine(hub).init), 'type', 'veth', 'peer', 'name', dev, 'netns', String(this.machine(name).init)]);
        inNet(hub, ['link', 'set', `to-${name}`, 'master', 'br0', 'up']);
        inNet(name, ['link', 'set', dev, 'up']);
      }
      for (const a of addresses) inNet(name, ['address', 'add', a, 'dev', dev]);
      for (const r of routes) inNet(name, ['route', 'add', r, 'dev', dev]);
    }
  }

  /** Kills every machine (its namespaces and overlay go with its processes) and removes its cgroup. */
  async destroy(): Promise<void> {
    this.scpServer.close();
    for (const m of this.machines.values()) m.holder.kill('SIGKILL');
    for (const m of this.machines.values()) {
      if (m.init) await waitFor(() => !existsSync(`/proc/${m.init}`), { message: 'a machine stopped', timeoutMs: 30_000 }).catch(() => {});
      await waitFor(() => removeCgroup(m.cgroup), { message: `cgroup ${m.cgroup} removed`, timeoutMs: 30_000 }).catch(() => {});
    }
    this.machines.clear();
  }

  private machine(name: string): Machine {
    const m = this.machines.get(name);
    if (!m?.holder.pid) throw new Error(`no machine ${name}`);
    return m;
  }
}

/** Runs `ip`, here or in the network namespace of process `netOf`. */
function ip(args: string[], netOf?: number): void {
  const r = netOf ? spawnSync('nsenter', [`--net=/proc/${netOf}/ns/net`, '--', 'ip', ...args], { encoding: 'utf8' }) : spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** Removes a cgroup and those below it, deepest first; false while a process is still in one. */
function removeCgroup(dir: string): boolean {
  if (!existsSync(dir)) return true;
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroup(join(dir, entry.name));
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/** The cgroup2 hierarchy's mount point here, or null. */
function cgroup2Mount(): string | null {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [mount, fs] = line.split(' - ');
    if (fs?.startsWith('cgroup2 ')) return mount!.split(' ')[4]!;
  }
  return null;
}

/** This process's cgroup in the cgroup2 hierarchy: the machines' cgroups are made below it. */
function ownCgroup(): string {
  const path = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  return join(cgroup2Mount()!, path);
}

/** Whether this machine can make them: root, a cgroup2 hierarchy, systemd, overlayfs in a mount namespace. */
export function machinesUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'missing privilege: throwaway machines need root';
  if (!cgroup2Mount()) return 'missing feature: a cgroup2 hierarchy (mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified) for the machines\' systemd';
  if (!existsSync(SYSTEMD) || !statSync(SYSTEMD).isFile()) return `missing tool: ${SYSTEMD} (Debian package systemd), the machines' PID 1`;
  const r = spawnSync('unshare', ['--mount', '--', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs tmpfs $d && mkdir $d/u $d/w $d/r && mount -t overlay overlay -o lowerdir=/,upperdir=$d/u,workdir=$d/w $d/r; s=$?; umount -R $d 2>/dev/null; rmdir $d; exit $s'], { encoding: 'utf8' });
  return r.status === 0 ? null : `missing privilege: overlayfs in a mount namespace (${r.stderr.trim()})`;
}
