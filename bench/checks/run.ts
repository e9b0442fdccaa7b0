// bench/checks: N real servers checked once a second with send/expect by one CheckerPool in a
// child process; reports its CPU share, resident memory and checks per second.
// Goal (team targets): 10,000 checks/s in under half a core and under 300 MB (nanny needed
// 10,000 processes for this).
//
//   node --import tsx bench/checks/run.ts [--count 10000] [--seconds 30] [--warmup 5] [--no-jitter] [--write [--tag NAME]]
//
// The listening servers live in this (parent) process on 127.0.0.61-65, 20 ports each, so their
// CPU is not counted against the checker; --write puts the results table into README.md.
// BENCH_CHILD_NODE_OPTIONS passes extra node flags to the measured process (profiling, heap limits).
import os from 'node:os';
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Sample } from './child.ts';
import { startServers } from './servers.ts';
import { measureHaproxy, type Baseline } from './haproxy-baseline.ts';
import { once } from 'node:events';
import { freePort } from '../../testing/net.ts';
import { writeReadmeSection } from '../readme-results.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ADDRESSES = ['127.0.0.61', '127.0.0.62', '127.0.0.63', '127.0.0.64', '127.0.0.65'];
const PORTS_PER_ADDRESS = 20;
const SEND = 'GET / HTTP/1.0\\r\\n\\r\\n';
const EXPECT = 'HTTP';
const REPLY = 'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok';

const argsSchema = z.object({
  count: z.coerce.number().int().positive(),
  seconds: z.coerce.number().int().min(5),
  warmup: z.coerce.number().int().min(1),
  jitter: z.boolean(),
  baseline: z.boolean(),
  write: z.boolean(),
  tag: z.string().regex(/^[a-z0-9-]+$/).optional(),
});

function options() {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '5' },
      'no-jitter': { type: 'boolean', default: false },
      'no-baseline': { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      tag: { type: 'string' },
    },
  });
  return argsSchema.parse({ ...values, jitter: !values['no-jitter'], baseline: !values['no-baseline'] });
}

function request<T>(child: ChildProcess, msg: object, type: string): Promise<T> {
  return new Promise((res) => {
    const on = (m: { type?: string }) => {
      if (m?.type !== type) return;
      child.off('message', on);
      res(m as T);
    };
    child.on('message', on);
    child.send(msg);
  });
}

function procStatus(pid: number, field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : null;
}

/** utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
function procCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** USER_HZ: 100 on every Linux this runs on; `getconf CLK_TCK` confirms it (no shell involved). */
function sysconfClockTicks(): number {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

function fdLimit(pid: number): string {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return m ? `${m[1]} (hard ${m[2]})` : 'unknown';
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const opt = options();
  const servers = startServers(ADDRESSES, PORTS_PER_ADDRESS, REPLY);
  // Extra node flags for the measured process only (e.g. --cpu-prof, V8 heap limits).
  const extra = (process.env.BENCH_CHILD_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const child = fork(`${HERE}child.ts`, [], { execArgv: ['--import', 'tsx', ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await request(child, { type: 'start', count: opt.count, targets: servers.targets, send: SEND, expect: EXPECT, timeoutSec: 1, jitter: opt.jitter }, 'started');
  const parentCpu0 = process.cpuUsage();
  const pid = child.pid!;
  const samples: Sample[] = [];
  child.on('message', (m: { type?: string }) => {
    if (m?.type !== 'sample') return;
    const s = m as Sample;
    samples.push(s);
    process.stderr.write(`completed=${s.completed} ok=${s.ok} failed=${s.failed} inFlight=${s.inFlight} fds=${s.openFds} rss=${mb(s.rss)}MB\n`);
  });
  // CPU and memory are read from /proc on the parent's clock, so a starved checker cannot stretch
  // the measurement; the child's pushed counters give the check rate on the child's own clock.
  const cpu: { wallMs: number; ticks: number }[] = [];
  const tick = sysconfClockTicks();
  for (let i = 0; i <= opt.seconds; i++) {
    if (i > 0) await sleep(1000);
    cpu.push({ wallMs: performance.now(), ticks: procCpuTicks(pid) });
  }
  // A starved checker pushes its samples late: give it up to a minute to deliver enough of them.
  for (let waited = 0; samples.length < opt.warmup + 2 && waited < 60; waited++) await sleep(1000);
  const hwm = procStatus(pid, 'VmHWM') ?? 0;
  const limit = fdLimit(pid);
  const parentCpu = process.cpuUsage(parentCpu0);
  child.send({ type: 'stop' });
  if (child.exitCode === null) await once(child, 'exit');
  // The baselines run after the checker, one at a time, so nothing competes for the cores.
  let baseline: Baseline | null = null;
  let floor: Floor | null = null;
  let kernelFloor: Floor | null = null;
  if (opt.baseline) {
    const floorArgs = [String(opt.count), String(opt.warmup), String(opt.seconds - opt.warmup), SEND, EXPECT, ...servers.targets.map((t) => `${t.address}:${t.port}`)];
    floor = await measureFloor(process.execPath, ['--import', 'tsx', `${HERE}floor.ts`, ...floorArgs]);
    const c = buildKernelFloor();
    kernelFloor = c === null ? null : await measureFloor(c, floorArgs);
    baseline = await measureHaproxy({
      targets: servers.targets,
      count: opt.count,
      send: SEND,
      expect: EXPECT,
      seconds: opt.seconds - opt.warmup,
      warmup: opt.warmup,
      answered: servers.answered,
      ticksPerSecond: tick,
      listen: `127.0.0.66:${await freePort('127.0.0.66')}`,
    });
  }
  servers.close();

  // CPU share per 1 s window after the warm-up (the first interval is when jitter spreads the starts).
  const shares: number[] = [];
  for (let i = opt.warmup + 1; i < cpu.length; i++) {
    shares.push((cpu[i].ticks - cpu[i - 1].ticks) / tick / ((cpu[i].wallMs - cpu[i - 1].wallMs) / 1000));
  }
  const measured = samples.slice(opt.warmup);
  if (measured.length < 2) throw new Error(`the checker sent only ${samples.length} samples in ${opt.seconds} s`);
  const first = measured[0];
  const last = measured[measured.length - 1];
  const windowS = Number(BigInt(last.wallNs) - BigInt(first.wallNs)) / 1e9;
  const rate = (last.completed - first.completed) / windowS;
  const okRate = (last.ok - first.ok) / windowS;
  const failedInWindow = last.failed - first.failed;
  const maxInFlight = Math.max(...samples.map((s) => s.maxInFlight));
  const maxFds = Math.max(...samples.map((s) => s.openFds));
  const cpuShare = median(shares);
  // CPU time per completed check: unlike the share, it does not drop when other programs on the
  // machine starve the checker of CPU (checks then simply complete late).
  const cpuWindowUs = last.cpuUserUs + last.cpuSystemUs - first.cpuUserUs - first.cpuSystemUs;
  const checksInWindow = Math.max(1, last.completed - first.completed);
  const usPerCheck = cpuWindowUs / checksInWindow;
  const userUsPerCheck = (last.cpuUserUs - first.cpuUserUs) / checksInWindow;
  const projected = (usPerCheck * opt.count) / 1e6;
  const goalCpu = cpuShare < 0.5 && projected < 0.5 ? 'yes' : 'NO';
  const goalMem = hwm < 300 * 1024 * 1024 ? 'yes' : 'NO';
  const goalRate = okRate >= 0.95 * opt.count ? 'yes' : 'NO';
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

  const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${os.cpus().length} × ${cpuModel}, ${mb(os.totalmem())} MB RAM, Linux ${os.release()}, Node ${process.version}`;
  const table = [
    `Run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — ${opt.count} real servers, send/expect (\`${SEND}\` / \`${EXPECT}\`), timeout = interval = 1 s, jitter ${opt.jitter ? 'on' : 'off'}, ${opt.seconds} s (first ${opt.warmup} s warm-up excluded).`,
    `Machine: ${machine}; load average at the end ${load} (the machine is shared). Checker fd limit: ${limit}.`,
    '',
    '| measure | result | goal | met |',
    '|---|---|---|---|',
    `| checks completed per second | ${Math.round(rate)} (${Math.round(okRate)} ok; ${failedInWindow} failed in the window) | ${opt.count} | ${goalRate} |`,
    `| CPU of the checker process (median of 1 s windows, /proc) | ${(cpuShare * 100).toFixed(1)} % of one core | < 50 % | ${cpuShare < 0.5 ? 'yes' : 'NO'} |`,
    `| CPU time per completed check (user + system) | ${usPerCheck.toFixed(0)} µs (user ${userUsPerCheck.toFixed(0)}, system ${(usPerCheck - userUsPerCheck).toFixed(0)}): ${(projected * 100).toFixed(0)} % of one core at ${opt.count} checks/s | < ${(500_000 / opt.count).toFixed(0)} µs | ${projected < 0.5 ? 'yes' : 'NO'} |`,
    `| peak resident memory (VmHWM) | ${mb(hwm)} MB | < 300 MB | ${goalMem} |`,
    `| most checks in flight at once / most open fds | ${maxInFlight} / ${maxFds} | below the fd limit | ${maxFds < parseInt(limit, 10) ? 'yes' : 'NO'} |`,
    `| CPU of the 100 listening servers (parent, whole run) | ${(((parentCpu.user + parentCpu.system) / 1e6 / opt.seconds) * 100).toFixed(1)} % of one core | not counted | — |`,
    ...floorRows(floor, usPerCheck),
    ...kernelFloorRows(kernelFloor, usPerCheck, opt.baseline),
    ...baselineRows(baseline, usPerCheck, opt.baseline),
  ].join('\n');
  if (last.lastError) process.stderr.write(`last check error: ${last.lastError}\n`);
  process.stdout.write(table + '\n');
  if (opt.write) writeReadmeSection(`${HERE}README.md`, table, opt.tag ?? (opt.jitter ? 'results' : 'results-no-jitter'));
  process.exitCode = goalCpu === 'yes' && goalMem === 'yes' && goalRate === 'yes' ? 0 : 1;
}


interface Floor {
  checks: number;
  failed: number;
  userUs: number;
  systemUs: number;
  wallS: number;
}

/** Runs a floor program (floor.ts, or floor.c built) and reads the JSON line it prints. */
async function measureFloor(command: string, args: string[]): Promise<Floor> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return JSON.parse(out) as Floor;
}

/** Compiles floor.c into bench/.out; null when there is no C compiler. */
function buildKernelFloor(): string | null {
  const out = `${HERE}../.out/checks-floor`;
  mkdirSync(dirname(out), { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-o', out, `${HERE}floor.c`], { stdio: ['ignore', 'ignore', 'inherit'] });
  return cc.status === 0 ? out : null;
}

function perCheck(f: Floor): { total: number; user: number; system: number } {
  const per = (us: number) => us / Math.max(1, f.checks);
  return { total: per(f.userUs + f.systemUs), user: per(f.userUs), system: per(f.systemUs) };
}

function floorRows(f: Floor | null, usPerCheck: number): string[] {
  if (f === null) return [];
  const { total, user, system } = perCheck(f);
  return [
    `| node floor: the same exchange on the same raw handles, no checker around it (floor.ts), same run | ${total.toFixed(0)} µs per check (user ${user.toFixed(0)}, system ${system.toFixed(0)}) at ${Math.round(f.checks / f.wallS)} checks/s, ${f.failed} failed | — | — |`,
    `| checker CPU per check / node floor | ${(usPerCheck / total).toFixed(2)}× | — | — |`,
  ];
}

function kernelFloorRows(f: Floor | null, usPerCheck: number, wanted: boolean): string[] {
  if (!wanted) return [];
  if (f === null) return ['| kernel floor | not run: no C compiler (`cc`) to build floor.c | — | — |'];
  const { total, user, system } = perCheck(f);
  return [
    `| kernel floor: the same exchange in plain C on epoll (floor.c), same run | ${total.toFixed(0)} µs per check (user ${user.toFixed(0)}, system ${system.toFixed(0)}): ${((total * f.checks) / f.wallS / 1e4).toFixed(1)} % of one core at ${Math.round(f.checks / f.wallS)} checks/s, ${f.failed} failed | — | — |`,
    `| checker CPU per check / kernel floor | ${(usPerCheck / total).toFixed(2)}× | — | — |`,
  ];
}

function baselineRows(b: Baseline | null, usPerCheck: number, wanted: boolean): string[] {
  if (!wanted) return [];
  if (b === null) return ['| HAProxy baseline | not run: /usr/sbin/haproxy is not installed | — | — |'];
  return [
    `| baseline: HAProxy 2.6's checker, same checks of the same servers, same run | ${b.usPerCheck.toFixed(0)} µs per check (user ${b.userUsPerCheck.toFixed(0)}, system ${(b.usPerCheck - b.userUsPerCheck).toFixed(0)}); ${(b.cpuShare * 100).toFixed(1)} % of one core at ${Math.round(b.checksPerSecond)} checks/s; ${mb(b.hwmBytes)} MB | — | — |`,
    `| checker CPU per check / HAProxy's | **${(usPerCheck / b.usPerCheck).toFixed(2)}×** | — | — |`,
  ];
}


await main();
