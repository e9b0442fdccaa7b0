// Throwaway machines for running an installation guide as root without touching this one: each is
// a mount namespace in which /etc, /usr/local, /var/tmp and /root are overlays on scratch folders
// (the host's files below, every change kept in the scratch folder), in a network namespace of its
// own. A process parked in the namespaces holds them; commands enter them with nsenter. `scp`
// between machines is provided on PATH: it copies into the other machine's namespaces.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../../testing/wait.ts';

const OVERLAID = ['/etc', '/usr/local', '/var/tmp', '/root'];
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const SCP = `#!/bin/bash
# scp between the test's machines: copies each file into the namespaces of the machine named by
# the destination (user@ADDRESS:PATH), keeping its mode.
set -euo pipefail
files=()
for a in "$@"; do [[ $a == -* ]] || files+=("$a"); done
dest=\${files[-1]}; unset 'files[-1]'
host=\${dest%%:*}; host=\${host#*@}; path=\${dest#*:}
pid=
for m in $PIRANHA_TEST_MACHINES; do [[ \${m%%=*} == "$host" ]] && pid=\${m#*=}; done
[[ -n $pid ]] || { echo "scp: no machine $host" >&2; exit 1; }
for f in "\${files[@]}"; do
  target=$path; [[ $path == */ ]] && target=$path$(basename "$f")
  nsenter --target "$pid" --mount --net -- install -m "$(stat -c %a "$f")" /dev/stdin "$target" < "$f"
done
`;

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class Machines {
  private readonly holders = new Map<string, ChildProcess>();
  /** Address → machine name, for scp. */
  private readonly addresses = new Map<string, string>();
  private readonly bin: string;

  constructor(private readonly scratch: string) {
    this.bin = join(scratch, 'bin');
    mkdirSync(this.bin, { recursive: true });
    writeFileSync(join(this.bin, 'scp'), SCP);
    chmodSync(join(this.bin, 'scp'), 0o755);
  }

  /** Creates a machine reachable by scp at `address`. */
  async add(name: string, address: string | null): Promise<void> {
    const mounts: string[] = [];
    for (const dir of OVERLAID) {
      const base = join(this.scratch, name, dir.slice(1).replace(/\//g, '-'));
      mkdirSync(join(base, 'upper'), { recursive: true });
      mkdirSync(join(base, 'work'), { recursive: true });
      mounts.push(`mount -t overlay overlay -o lowerdir=${dir},upperdir=${base}/upper,workdir=${base}/work ${dir}`);
    }
    const holder = spawn('unshare', ['--mount', '--net', '--propagation', 'private', '--', 'sh', '-ec', `${mounts.join('\n')}\nip link set lo up\necho ready\nexec sleep infinity`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => (out += d));
    holder.stderr!.on('data', (d: Buffer) => (out += d));
    this.holders.set(name, holder);
    await waitFor(() => {
      if (holder.exitCode !== null) throw new Error(`machine ${name} did not start:\n${out}`);
      return out.includes('ready');
    }, { message: `machine ${name}` });
    if (address) this.addresses.set(address, name);
  }

  /** Runs a bash script in a machine, as root, in `cwd`, with `input` on its standard input. */
  run(name: string, script: string, opts: { cwd?: string; input?: string } = {}): Promise<RunResult> {
    const pid = this.pid(name);
    const machines = [...this.addresses].map(([a, m]) => `${a}=${this.pid(m)}`).join(' ');
    const child = spawn('nsenter', ['--target', String(pid), '--mount', '--net', '--', 'bash', '-euo', 'pipefail', '-c', `cd ${opts.cwd ?? '/root'}\n${script}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // The machines have no network beyond their own: npm installs from the cache this host filled.
      env: { PATH: `${this.bin}:${PATH}`, HOME: '/root', LANG: 'C.UTF-8', PIRANHA_TEST_MACHINES: machines, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    });
    // A script that never reads its input may exit before it is written.
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
  }

  /** Kills the holders: the namespaces and their overlays go with them. */
  destroy(): void {
    for (const h of this.holders.values()) h.kill('SIGKILL');
    this.holders.clear();
  }

  private pid(name: string): number {
    const h = this.holders.get(name);
    if (!h?.pid) throw new Error(`no machine ${name}`);
    return h.pid;
  }
}

/** Whether this machine can make them: root, with unshare, nsenter and overlayfs. */
export function machinesUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'missing privilege: throwaway machines need root';
  const r = spawnSync('unshare', ['--mount', '--', 'sh', '-c', 'd=$(mktemp -d) && mkdir $d/u $d/w && mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/u,workdir=$d/w /etc; s=$?; umount /etc 2>/dev/null; rm -rf $d; exit $s'], { encoding: 'utf8' });
  return r.status === 0 ? null : `missing privilege: overlayfs in a mount namespace (${r.stderr.trim()})`;
}
