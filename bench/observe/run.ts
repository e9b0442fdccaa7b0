// Benchmark (not a test): CONTROL/MONITORING and /metrics (and /status.json) at 1,000 virtual
// servers × 20 real servers, every real server up on loopback and live counters (a client
// connecting through the VIPs all along), against CONTROL/MONITORING of the console before the
// observability work, measured in the same run against the same agent.
//   node --import tsx bench/observe/run.ts --before DIR [--duration 10] [--rounds 3] [--write]
// DIR: a checkout of the console to compare with, `npm install`ed (e.g. a worktree of main).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePasswordFile } from '../../server/password-file.ts';
import { writeReadmeSection } from '../readme-results.ts';
import { spawnAgent } from '../../testing/agent.ts';
import { startTcpBackend, type Backend } from '../../testing/traffic.ts';
import { measure } from './memory.ts';

const PASSWORD = 'bench password';
const AUTH = 'Basic ' + Buffer.from(`piranha:${PASSWORD}`).toString('base64');
const VIRTUALS = 1000;
const REALS = 20;
const VPORT = 18080;
const RPORT = 18081;
const vipOf = (v: number) => `127.80.${Math.floor(v / 250) + 1}.${(v % 250) + 1}`;
const realOf = (r: number) => `127.81.0.${r + 1}`;

function lvsCf(): string {
  const out = ['serial_no = 1', 'primary = 127.0.0.1', 'network = direct'];
  for (let v = 0; v < VIRTUALS; v++) {
    // Checks every 30 s: 20,000 checks are 667 a second, which leaves the cores to the consoles.
    out.push(`virtual vs${v} {`, '     active = 1', `     address = ${vipOf(v)} lo`, `     port = ${VPORT}`, '     scheduler = wlc', '     protocol = tcp', '     timeout = 30', '     reentry = 15');
    for (let r = 0; r < REALS; r++) out.push(`     server rs${r} {`, `         address = ${realOf(r)}`, `         port = ${RPORT}`, '         active = 1', '         weight = 1', '     }');
    out.push('}');
  }
  return out.join('\n') + '\n';
}

interface WrkResult { rps: number; p50ms: number; errors: string; load: number }

async function wrk(url: string, seconds: number): Promise<WrkResult> {
  const r = await promisify(execFile)('wrk', ['-t1', '-c16', `-d${seconds}s`, '--timeout', '30s', '--latency', '-H', `Authorization: ${AUTH}`, url], { encoding: 'utf8' });
  const m = /50%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]),
    p50ms: m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN,
    errors: /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? '0',
    load: loadavg()[0]!,
  };
}

async function gui(dir: string, root: string, socket: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(dir, 'bin/piranha-gui.js'), '--root', root, '--host', '127.0.0.1', '--port', '0', '--agent-socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  for (let i = 0; i < 300; i++) {
    const url = /listening on (http\S+)/.exec(out)?.[1];
    if (url) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`piranha-gui in ${dir} did not start:\n${out}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const before = arg('--before');
  if (!before) throw new Error('give --before DIR: a checkout of the console to compare with');
  const seconds = Number(arg('--duration')) || 10;
  const rounds = Number(arg('--rounds')) || 3;
  const root = await mkdtemp(join(tmpdir(), 'piranha-bench-observe-'));
  const backends: Backend[] = [];
  const children: ChildProcess[] = [];
  let clients = true;
  try {
    await mkdir(join(root, 'web', 'secure'), { recursive: true });
    await writePasswordFile(join(root, 'conf', 'piranha.passwd'), PASSWORD);
    await writeFile(join(root, 'lvs.cf'), lvsCf());
    for (let r = 0; r < REALS; r++) backends.push(await startTcpBackend(`rs${r}`, realOf(r), RPORT));
    const socket = join(root, 'agent.sock');
    const agent = await spawnAgent({ root, socket, timeoutMs: 120_000, callTimeoutMs: 60_000 });
    const client = await agent.client();
    // Every real server of every virtual server up (in the table) before measuring.
    for (;;) {
      const { summary } = await client.call('table', { limit: 0 });
      if (summary?.reals.inTable === VIRTUALS * REALS) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    // Live counters: a client connecting through the VIPs in turn, all along.
    void (async () => {
      const { createConnection } = await import('node:net');
      for (let i = 0; clients; i++) {
        await new Promise<void>((done) => {
          const s = createConnection({ host: vipOf(i % VIRTUALS), port: VPORT });
          s.on('data', () => s.end());
          s.on('close', () => done());
          s.on('error', () => done());
        });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const old = await gui(resolve(before), root, socket);
    const now = await gui(fileURLToPath(new URL('../../', import.meta.url)), root, socket);
    children.push(old.child, now.child);
    const targets = [
      { name: 'CONTROL/MONITORING, before', url: `${old.url}/secure/control` },
      { name: 'CONTROL/MONITORING, now (with TRAFFIC and history links)', url: `${now.url}/secure/control` },
      { name: '/metrics', url: `${now.url}/metrics` },
      { name: '/status.json', url: `${now.url}/status.json` },
    ];
    const sizes = new Map<string, number>();
    for (const t of targets) {
      // A page that could not get the table from the agent in time says so: ask again (the first
      // asks warm the consoles up), and give up with what the page said.
      let body = Buffer.alloc(0);
      for (let attempt = 0; attempt < 10; attempt++) {
        const res = await fetch(t.url, { headers: { authorization: AUTH } });
        body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200) throw new Error(`${t.url}: ${res.status}`);
        if (!t.name.startsWith('CONTROL') || body.includes(`${vipOf(0)}:${VPORT}`)) break;
        if (attempt === 9) throw new Error(`${t.name}: no live table: ${/agent[^<]{0,200}/.exec(body.toString())?.[0] ?? body.subarray(0, 300).toString()}`);
      }
      sizes.set(t.name, body.length);
      await wrk(t.url, 2); // warm-up
    }
    const results = new Map<string, WrkResult[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < rounds; round++) for (const t of targets) results.get(t.name)!.push(await wrk(t.url, seconds));
    const agentRss = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${agent.child.pid}/status`, 'utf8'))?.[1]) * 1024;
    client.close();
    clients = false;
    await agent.stop();
    const mem = measure();
    const rps = (n: string) => median(results.get(n)!.map((r) => r.rps));
    const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
    const lines = [
      `| what | req/s (median of ${rounds}) | median latency | response | non-2xx | load average (1 min) |`,
      '|---|---:|---:|---:|---:|---:|',
      ...targets.map((t) => {
        const rs = results.get(t.name)!;
        return `| ${t.name} | ${rps(t.name).toFixed(1)} | ${median(rs.map((r) => r.p50ms)).toFixed(1)} ms | ${(sizes.get(t.name)! / 1024).toFixed(0)} KiB | ${rs.map((r) => r.errors).join('/')} | ${rs.map((r) => r.load.toFixed(1)).join(', ')} |`;
      }),
      '',
      `CONTROL/MONITORING now / before = **${(rps(targets[1]!.name) / rps(targets[0]!.name)).toFixed(2)}×**; /metrics / CONTROL before = **${(rps('/metrics') / rps(targets[0]!.name)).toFixed(2)}×**.`,
      '',
      `Memory: the agent's RSS with 20,000 checks and the traffic samples running: ${mib(agentRss)}. In a separate measure (bench/observe/memory.ts), 20,000 check histories × 20 results: heap +${mib(mem.history.heap)}, typed arrays +${mib(mem.history.buffers)} (RSS +${mib(mem.history.rss)}); 21,000 traffic rows × 60 samples: heap +${mib(mem.series.heap)}, typed arrays +${mib(mem.series.buffers)} (RSS +${mib(mem.series.rss)}).`,
      '',
      `Run ${new Date().toISOString().slice(0, 16)} UTC, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, wrk -t1 -c16 -d${seconds}s, consoles with NODE_ENV=production, shared machine.`,
    ];
    console.log(lines.join('\n'));
    if (process.argv.includes('--write')) {
      writeReadmeSection(fileURLToPath(new URL('./README.md', import.meta.url)), lines.join('\n'));
    }
  } finally {
    clients = false;
    for (const c of children) c.kill('SIGTERM');
    for (const b of backends) await b.close().catch(() => {});
    await rm(root, { recursive: true, force: true });
  }
}

await main();
