// The baseline of bench/checks: HAProxy's own health checker (Debian's haproxy, a mature C
// implementation) doing the same send/expect checks, once a second, of the same servers, in the
// same run. On loopback the kernel does both ends of every TCP handshake inside the checker's
// system calls, so the CPU a check costs here has a floor that no checker goes under; this
// measures where that floor is on the machine at hand.
import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HAPROXY = '/usr/sbin/haproxy';

export interface Baseline {
  checksPerSecond: number;
  usPerCheck: number;
  userUsPerCheck: number;
  /** Share of one core over the measured window. */
  cpuShare: number;
  hwmBytes: number;
}

/** [user, user + system] CPU seconds of a process. */
function cpuSeconds(pid: number, ticksPerSecond: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) / ticksPerSecond, (Number(f[11]) + Number(f[12])) / ticksPerSecond];
}

function vmHwm(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The tcp-check equivalent of the agent's send/expect check: `send` is given with lvs.cf's escapes. */
function config(targets: { address: string; port: number }[], count: number, send: string, expect: string, listen: string): string {
  const lines = [
    'global',
    '  nbthread 1',
    // HAProxy sizes its fd table from maxconn plus one fd per checked server; keep it under the limit.
    '  maxconn 1000',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout check 1s',
    'frontend unused',
    `  bind ${listen}`,
    '  default_backend reals',
    'backend reals',
    '  option tcp-check',
    '  tcp-check connect',
    `  tcp-check send "${send}"`,
    `  tcp-check expect string ${expect}`,
    '  default-server inter 1s fall 1 rise 1',
  ];
  for (let i = 0; i < count; i++) {
    const t = targets[i % targets.length]!;
    lines.push(`  server r${i} ${t.address}:${t.port} check`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Runs HAProxy checking `count` servers for warmup + seconds and measures the window after the
 * warm-up; `answered()` is the servers' count of answered connections. Null when HAProxy is missing.
 */
export async function measureHaproxy(opts: {
  targets: { address: string; port: number }[];
  count: number;
  send: string;
  expect: string;
  seconds: number;
  warmup: number;
  answered: () => number;
  ticksPerSecond: number;
  listen: string;
}): Promise<Baseline | null> {
  try {
    await access(HAPROXY, constants.X_OK);
  } catch {
    return null;
  }
  const dir = await mkdtemp(join(tmpdir(), 'bench-checks-haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  await writeFile(cfg, config(opts.targets, opts.count, opts.send, opts.expect, opts.listen));
  const proc = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    await sleep(opts.warmup * 1000);
    if (proc.exitCode !== null || proc.pid === undefined) throw new Error(`haproxy exited: ${stderr.trim()}`);
    const t0 = performance.now();
    const c0 = cpuSeconds(proc.pid, opts.ticksPerSecond);
    const a0 = opts.answered();
    await sleep(opts.seconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const c1 = cpuSeconds(proc.pid, opts.ticksPerSecond);
    const cpu = c1[1] - c0[1];
    const checks = opts.answered() - a0;
    return {
      checksPerSecond: checks / wall,
      usPerCheck: (cpu * 1e6) / Math.max(1, checks),
      userUsPerCheck: ((c1[0] - c0[0]) * 1e6) / Math.max(1, checks),
      cpuShare: cpu / wall,
      hwmBytes: vmHwm(proc.pid),
    };
  } finally {
    proc.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}
