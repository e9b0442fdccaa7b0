// The kernel bench, run inside the test guest (npm run bench:kernel boots it with this entry). Two
// measures, each a median of several runs, each against a baseline measured in the same guest:
// - config-to-traffic latency: one real server's weight saved in the real console (POST of the
//   real server's form, the agent reloads, 303) until the kernel shows it (`ipvsadm -Ln -t` of that
//   one service), at 10 / 1,000 / 10,000 virtual servers; against the same one change by hand
//   (`ipvsadm -R` with the one line, what ipvsadm-restore runs) until the kernel shows it;
// - throughput: connections a second from the client to the real servers through the kernel NAT
//   director (the VIP) against the same client and servers directly (their own addresses, routed by
//   the same router without IPVS): a ratio.
// Under QEMU's emulation absolute times are meaningless; the ratios are what to read.
// Writes one JSON object to RESULTS/bench.json and prints it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { RouterAgent } from '../../tests/kernel/lib/agent.ts';
import { SuiteConsole } from '../../tests/kernel/lib/console.ts';
import { waitForKernel } from '../../tests/kernel/lib/kernel-table.ts';
import { parseList } from '../../agent/dataplane/ipvs/parse.ts';
import { CLIENT, NAT_OUTSIDE, NAT_ROUTER, ROUTER, natLab, type Reals } from '../../tests/kernel/lib/topology.ts';
import { EXPECT_GREETING, connect } from '../../tests/kernel/lib/traffic.ts';
import { Lab } from '../../testing/lab.ts';
import { lvsCf, type TestVirtual } from '../../testing/lvs-cf.ts';
import { waitFor } from '../../testing/wait.ts';

const RESULTS = process.env.PIRANHA_BENCH_RESULTS ?? '/tmp/results';
const SIZES = (process.env.PIRANHA_KERNEL_ONLY || '10,1000,10000').split(',').map(Number);
/** A size whose table is not loaded within this time is reported as not measured. */
const LOAD_LIMIT_MS = Number(process.env.PIRANHA_BENCH_LOAD_LIMIT_MS ?? 25 * 60_000);
const RUNS = 5;
const VIP = '198.51.100.100';
const FIRST_PORT = 10000;

/** The guest's MemAvailable, as /proc/meminfo says it. */
function memAvailable(): string {
  const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? `${Math.round(Number(m[1]) / 1024)} MB available` : 'memory unknown';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function config(reals: Reals, count: number): string {
  const virtuals: TestVirtual[] = [];
  for (let i = 0; i < count; i++) {
    // Checks every 60 s: the bench measures the reload, not thousands of checks a second.
    virtuals.push({ name: `v${i}`, vip: VIP, device: 'eth0:1', port: FIRST_PORT + i, scheduler: 'wlc', timeout: 60, expect: EXPECT_GREETING,
      servers: [{ name: 'rs1', address: reals.address('rs1'), port: 80, weight: 1 }, { name: 'rs2', address: reals.address('rs2'), port: 80, weight: 1 }] });
  }
  return lvsCf({ network: 'nat', natRouter: { address: NAT_ROUTER, device: 'eth1:1' }, virtuals });
}

/**
 * Polls the kernel until rs2 of the first service has `weight`; the time from `began`. It asks for
 * that one service (`ipvsadm -Ln -t`): reading the whole table of 10,000 services takes seconds
 * under emulation, which would be most of what is measured.
 */
async function seenAt(lab: Lab, reals: Reals, weight: number, began: number): Promise<number> {
  const key = `tcp|${VIP}|${FIRST_PORT}`;
  const weightNow = () => {
    const r = spawnSync('ip', ['netns', 'exec', lab.ns(ROUTER), 'ipvsadm', '-Ln', '-t', `${VIP}:${FIRST_PORT}`], { encoding: 'utf8' });
    return parseList(r.stdout).get(key)?.reals.find((x) => x.address === reals.address('rs2'))?.weight;
  };
  await waitFor(async () => weightNow() === weight, { timeoutMs: 300_000, intervalMs: 5, message: `weight ${weight} in the kernel table` });
  return performance.now() - began;
}

interface SizeResult { virtuals: number; loadMs: number | null; consoleMs: number[]; consolePostMs: number[]; byHandMs: number[]; note: string | null }

async function latency(count: number): Promise<SizeResult> {
  const lab = new Lab(`kb${count}`);
  let agent: RouterAgent | null = null;
  let gui: SuiteConsole | null = null;
  try {
    const reals = await natLab(lab, { reals: 2, ports: [80] });
    const text = config(reals, count);
    gui = await SuiteConsole.start(text);
    const began = performance.now();
    agent = await RouterAgent.start(lab, ROUTER, text, { root: gui.root });
    // A large table loads for minutes under emulation: say every minute how far it got, with the
    // guest's free memory and the agent's last lines, so that a load that never ends shows why.
    let services = 0;
    let realsIn = 0;
    const progress = setInterval(() => {
      process.stdout.write(`piranha-bench: ${count}: after ${((performance.now() - began) / 60_000).toFixed(0)} min ${services} services, ${realsIn} real servers in the kernel table; ${memAvailable()}\n`);
      for (const line of lab.tail(3).split('\n')) process.stdout.write(`piranha-bench:   ${line.slice(0, 300)}\n`);
    }, 60_000);
    try {
      await waitForKernel(lab, ROUTER, `${count} services with both real servers`, (t) => {
        services = t.size;
        realsIn = [...t.values()].reduce((n, s) => n + s.reals.length, 0);
        return t.size === count && [...t.values()].every((s) => s.reals.length === 2);
      }, LOAD_LIMIT_MS);
    } catch {
      return { virtuals: count, loadMs: null, consoleMs: [], consolePostMs: [], byHandMs: [],
        note: `the table was not loaded within ${LOAD_LIMIT_MS / 60_000} min under emulation (${services} services, ${realsIn} real servers in it then)` };
    } finally {
      clearInterval(progress);
    }
    const loadMs = performance.now() - began;
    const consoleMs: number[] = [];
    const consolePostMs: number[] = [];
    const byHandMs: number[] = [];
    const form = '/secure/virtual/0/real/1/edit';
    let weight = 1;
    for (let i = 0; i < RUNS; i++) {
      weight = weight === 1 ? 2 : 1;
      const t0 = performance.now();
      const { postMs } = await gui.press(form, form, { name: 'rs2', address: reals.address('rs2'), port: '80', weight: String(weight), action: 'accept', confirm: '' });
      consoleMs.push(await seenAt(lab, reals, weight, t0));
      consolePostMs.push(postMs);
      // The same change by hand, then back, so the console's next save is again one change.
      const hand = weight === 1 ? 7 : 8;
      const t1 = performance.now();
      const r = spawnSync('ip', ['netns', 'exec', lab.ns(ROUTER), 'ipvsadm', '-R'], { input: `-e -t ${VIP}:${FIRST_PORT} -r ${reals.address('rs2')}:80 -m -w ${hand}\n`, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ipvsadm -R failed: ${r.stderr}`);
      byHandMs.push(await seenAt(lab, reals, hand, t1));
      spawnSync('ip', ['netns', 'exec', lab.ns(ROUTER), 'ipvsadm', '-R'], { input: `-e -t ${VIP}:${FIRST_PORT} -r ${reals.address('rs2')}:80 -m -w ${weight}\n` });
      await seenAt(lab, reals, weight, performance.now());
    }
    return { virtuals: count, loadMs, consoleMs, consolePostMs, byHandMs, note: null };
  } finally {
    await agent?.stop();
    await gui?.close();
    lab.destroy();
  }
}

async function throughput(): Promise<{ natPerSec: number[]; directPerSec: number[]; natFailed: number; directFailed: number }> {
  const lab = new Lab('kbt');
  let agent: RouterAgent | null = null;
  try {
    const reals = await natLab(lab, { reals: 2, ports: [80] });
    // The client may also reach the real servers' own addresses, routed by the router without IPVS.
    lab.sh(CLIENT, ['ip', 'route', 'add', '192.0.2.0/24', 'via', NAT_OUTSIDE]);
    const text = lvsCf({ network: 'nat', natRouter: { address: NAT_ROUTER, device: 'eth1:1' }, virtuals: [{ name: 'web', vip: '198.51.100.90', device: 'eth0:1', port: 80, scheduler: 'rr', timeout: 60, expect: EXPECT_GREETING,
      servers: [{ name: 'rs1', address: reals.address('rs1'), weight: 1 }, { name: 'rs2', address: reals.address('rs2'), weight: 1 }] }] });
    const natPerSec: number[] = [];
    const directPerSec: number[] = [];
    let natFailed = 0;
    let directFailed = 0;
    const N = 500;
    const rate = async (targets: string[]): Promise<{ perSec: number; failed: number }> => {
      const t = performance.now();
      const attempts = await connect(lab, CLIENT, N, targets);
      // A failed connection (emulation's timeouts) is counted and reported, not hidden.
      return { perSec: N / ((performance.now() - t) / 1000), failed: attempts.filter((a) => a.server === null).length };
    };
    // The baseline first, while the router has no IPVS service at all: plain forwarding only.
    for (let i = 0; i < RUNS; i++) {
      const r = await rate([`${reals.address('rs1')}:80`, `${reals.address('rs2')}:80`]);
      directPerSec.push(r.perSec);
      directFailed += r.failed;
    }
    agent = await RouterAgent.start(lab, ROUTER, text);
    await waitForKernel(lab, ROUTER, 'the service with both real servers', (t) => t.get('tcp|198.51.100.90|80')?.reals.length === 2);
    for (let i = 0; i < RUNS; i++) {
      const r = await rate(['198.51.100.90:80']);
      natPerSec.push(r.perSec);
      natFailed += r.failed;
    }
    // Each run's split and its first failed connection's reason, as the lab logged them.
    for (const line of lab.tail(40).split('\n')) if (line.includes(' connections to ')) process.stdout.write(`piranha-bench: ${line}\n`);
    return { natPerSec, directPerSec, natFailed, directFailed };
  } finally {
    await agent?.stop();
    lab.destroy();
  }
}

const out: { sizes: SizeResult[]; throughput: Awaited<ReturnType<typeof throughput>> | null } = { sizes: [], throughput: null };
const save = () => writeFileSync(join(RESULTS, 'bench.json'), JSON.stringify(out, null, 2));
out.throughput = await throughput();
save();
for (const n of SIZES) {
  const r = await latency(n);
  out.sizes.push(r);
  save();
  process.stdout.write(`piranha-bench: ${n} virtual servers: console ${r.consoleMs.length ? median(r.consoleMs).toFixed(0) : '-'} ms, by hand ${r.byHandMs.length ? median(r.byHandMs).toFixed(0) : '-'} ms${r.note ? ` (${r.note})` : ''}\n`);
  if (r.loadMs === null) break;
}
process.stdout.write(`piranha-bench: done\n`);
