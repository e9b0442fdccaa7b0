// Benchmark: HTTP through the userspace dataplane vs HAProxy (`mode tcp`, nbthread 1), on the same
// loopback backends, driven by the same wrk in the same run, interleaved round by round.
// Usage: node --import tsx bench/dataplane/run.ts [--rounds 3] [--duration 10] [--connections 50] [--no-write]
// Writes the results table into bench/dataplane/README.md (between the results markers).
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { freePort } from '../../testing/net.ts';
import { writeReadmeSection } from '../readme-results.ts';

const HAPROXY = '/usr/sbin/haproxy';
const NGINX = '/usr/sbin/nginx';
const WRK = '/usr/bin/wrk';
const BACKENDS = ['127.0.90.2', '127.0.90.3'];
const USERSPACE_VIP = '127.0.90.10';
const HAPROXY_VIP = '127.0.90.11';
const FLOOR_VIP = '127.0.90.12';
const HERE = new URL('.', import.meta.url).pathname;

const args = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'no-write': { type: 'boolean', default: false },
  },
});
const opts = z
  .object({
    rounds: z.coerce.number().int().min(1).max(20),
    duration: z.coerce.number().int().min(1).max(120),
    connections: z.coerce.number().int().min(1).max(5000),
  })
  .parse(args.values);

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpu: number | null;
}
/** `node-floor`: floor-relay.ts, the least a Node relay on the same handles can cost (no bookkeeping). */
type Target = 'direct' | 'userspace' | 'node-floor' | 'haproxy';
const TARGETS: Target[] = ['direct', 'userspace', 'node-floor', 'haproxy'];
type Mode = 'keep-alive' | 'close';

const children: ChildProcess[] = [];
function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGTERM');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));


/** Starts a child and waits for it to print "ready" (or for its port to accept, when given). */
async function startChild(file: string, argv: string[], probe?: { host: string; port: number }): Promise<ChildProcess> {
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const deadline = Date.now() + 20_000;
  if (probe === undefined) {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited (${code}): ${err}`)));
    });
    return child;
  }
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(probe.port, probe.host);
      s.on('connect', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return child;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${file} did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** utime + stime of a process in seconds (/proc/PID/stat fields 14 and 15, clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function toMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

async function wrk(url: string, mode: Mode, pid?: number): Promise<WrkResult> {
  const argv = ['-t2', `-c${opts.connections}`, `-d${opts.duration}s`, '--latency'];
  if (mode === 'close') argv.push('-H', 'Connection: close');
  argv.push(url);
  const cpu0 = cpuSeconds(pid);
  const child = spawn(WRK, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = (await once(child, 'exit')) as [number];
  const cpu1 = cpuSeconds(pid);
  if (code !== 0) throw new Error(`wrk failed (${code}): ${out}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = (sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0) + non2xx;
  const cpu = cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) / opts.duration) * 100 : null;
  return { rps, p50: pct('50'), p99: pct('99'), errors, cpu };
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * One backend as the anchor had it (docs anchors-bench.md §2): nginx with one worker, no access log,
 * keep-alive without limit, answering every request with the same 100-byte text/plain body.
 * Everything it writes goes under `scratch`.
 */
function nginxConfig(host: string, port: number, scratch: string): string {
  return [
    'worker_processes 1;',
    `pid ${scratch}.pid;`,
    `error_log ${scratch}.err;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    '  keepalive_requests 10000000;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${scratch}-${t};`),
    `  server { listen ${host}:${port} backlog=4096; location / { default_type text/plain; return 200 "${'x'.repeat(99)}\\n"; } }`,
    '}',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  for (const bin of [HAPROXY, WRK, NGINX]) {
    try {
      await access(bin, constants.X_OK);
    } catch {
      throw new Error(`${bin} is not installed (apt-get install haproxy wrk nginx-light)`);
    }
  }
  const port = await freePort(BACKENDS[0]!);
  const vport = await freePort(USERSPACE_VIP);
  const hport = await freePort(HAPROXY_VIP);
  const fport = await freePort(FLOOR_VIP);
  const tsx = ['--import', 'tsx'];
  const dir = await mkdtemp(join(tmpdir(), 'bench-dataplane-'));
  for (const b of BACKENDS) {
    const cfg = join(dir, `nginx-${b}.conf`);
    await writeFile(cfg, nginxConfig(b, port, join(dir, b)));
    await startChild(NGINX, ['-e', join(dir, `${b}.err`), '-c', cfg, '-g', 'daemon off;'], { host: b, port });
  }
  const userspace = await startChild(process.execPath, [
    ...tsx, join(HERE, 'userspace-proc.ts'), `${USERSPACE_VIP}:${vport}`, ...BACKENDS.map((b) => `${b}:${port}`),
  ]);
  const floor = await startChild(process.execPath, [
    ...tsx, join(HERE, 'floor-relay.ts'), `${FLOOR_VIP}:${fport}`, ...BACKENDS.map((b) => `${b}:${port}`),
  ]);
  const cfg = join(dir, 'haproxy.cfg');
  // The anchor's configuration (docs anchors-bench.md §2), with our addresses.
  await writeFile(
    cfg,
    [
      'global', '  nbthread 1', '  maxconn 9000',
      'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s',
      'frontend fe', `  bind ${HAPROXY_VIP}:${hport} backlog 4096`, '  default_backend be',
      'backend be', '  balance roundrobin',
      ...BACKENDS.map((b, i) => `  server s${i + 1} ${b}:${port}`),
      '',
    ].join('\n'),
  );
  const haproxy = await startChild(HAPROXY, ['-db', '-f', cfg], { host: HAPROXY_VIP, port: hport });

  const urls: Record<Target, string> = {
    direct: `http://${BACKENDS[0]}:${port}/`,
    userspace: `http://${USERSPACE_VIP}:${vport}/`,
    'node-floor': `http://${FLOOR_VIP}:${fport}/`,
    haproxy: `http://${HAPROXY_VIP}:${hport}/`,
  };
  const pids: Record<Target, number | undefined> = {
    direct: undefined,
    userspace: userspace.pid,
    'node-floor': floor.pid,
    haproxy: haproxy.pid,
  };
  const results: Record<Mode, Record<Target, WrkResult[]>> = {
    'keep-alive': { direct: [], userspace: [], 'node-floor': [], haproxy: [] },
    close: { direct: [], userspace: [], 'node-floor': [], haproxy: [] },
  };
  for (let round = 1; round <= opts.rounds; round++) {
    for (const mode of ['keep-alive', 'close'] as Mode[]) {
      for (const target of TARGETS) {
        const r = await wrk(urls[target], mode, pids[target]);
        results[mode][target].push(r);
        process.stderr.write(`round ${round} ${mode} ${target}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms errors ${r.errors}\n`);
      }
    }
  }

  const rows: string[] = [];
  const summary: Record<Mode, number> = { 'keep-alive': 0, close: 0 };
  for (const mode of ['keep-alive', 'close'] as Mode[]) {
    const direct50 = median(results[mode].direct.map((r) => r.p50));
    const hapRps = median(results[mode].haproxy.map((r) => r.rps));
    for (const target of TARGETS) {
      const rs = results[mode][target];
      const rps = median(rs.map((r) => r.rps));
      const p50 = median(rs.map((r) => r.p50));
      const cpu = median(rs.map((r) => r.cpu ?? NaN));
      const ratio = target === 'direct' ? '–' : `${(rps / hapRps).toFixed(2)}×`;
      if (target === 'userspace') summary[mode] = rps / hapRps;
      const fmt = (n: number) => Math.round(n).toLocaleString('en');
      const added = p50 - direct50;
      // CPU per request is the figure least disturbed by other load on the machine.
      const perReq = median(rs.map((r) => (r.cpu === null ? NaN : ((r.cpu / 100) * 1e6) / r.rps)));
      rows.push(
        `| ${target} | ${mode} | **${fmt(rps)}** [${fmt(Math.min(...rs.map((r) => r.rps)))}–${fmt(Math.max(...rs.map((r) => r.rps)))}] | ${ratio} | ` +
          `${p50.toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${target === 'direct' ? '–' : `${added >= 0 ? '+' : ''}${added.toFixed(2)}`} | ` +
          `${Number.isNaN(cpu) ? '–' : cpu.toFixed(0)} | ${Number.isNaN(perReq) ? '–' : perReq.toFixed(0)} | ${rs.reduce((s, r) => s + r.errors, 0)} |`,
      );
    }
  }
  const hv = await new Promise<string>((resolve) => {
    const c = spawn(HAPROXY, ['-v'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let o = '';
    c.stdout.on('data', (d) => (o += d));
    c.on('close', () => resolve(/HAProxy version \S+/.exec(o)?.[0] ?? 'HAProxy'));
  });
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const table = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus().length} vCPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${hv.trim()}; ` +
      `wrk -t2 -c${opts.connections} -d${opts.duration}s, median of ${opts.rounds} rounds [min–max], interleaved direct → userspace → node-floor → haproxy per round and mode; node-floor is floor-relay.ts. Load average at the end: ${load}.`,
    '',
    '| target | mode | req/s [min–max] | vs HAProxy | p50 ms | p99 ms | added p50 ms vs direct | proxy CPU % of 1 core | proxy CPU µs / request | socket errors + non-2xx |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Userspace / HAProxy: keep-alive **${summary['keep-alive'].toFixed(2)}×**, new connection per request **${summary.close.toFixed(2)}×** (goal ≥ 0.80×).`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (!args.values['no-write']) {
    writeReadmeSection(join(HERE, 'README.md'), table);
  }
  cleanup();
  await rm(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  },
);
