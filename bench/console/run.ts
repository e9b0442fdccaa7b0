// Benchmark of the console (not a test): requests per second and median latency of
//   1. the VIRTUAL SERVERS page (its first page) for a 1,000-virtual-server × 20-real-server lvs.cf,
//      basic auth on (the bcrypt result is cached after the first request, as in real use);
//   2. the same bytes served as a static file by Fastify + @fastify/static, in the same run;
//   3. CONTROL/MONITORING with live data from a real agent process.
// Load generator: wrk (Debian package), one thread, 16 connections (CONTROL also 1), on 127.0.0.1.
// Run: node --import tsx bench/console/run.ts [--duration 10] [--write]  (--write updates README.md)
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import { startGui } from '../../server/main.ts';
import { writePasswordFile } from '../../server/password-file.ts';
import { writeReadmeSection } from '../readme-results.ts';
import { spawnAgent } from '../../testing/agent.ts';
import { DEFAULT_PAGE_SIZE } from '../../server/virtual-list.ts';

const PASSWORD = 'bench password';
const AUTH = 'Basic ' + Buffer.from(`piranha:${PASSWORD}`).toString('base64');
const VIRTUALS = 1000;
const REALS = 20;
const ACTIVE = 10;

function lvsCf(): string {
  const out = ['serial_no = 1', 'primary = 127.0.0.1', 'network = direct'];
  for (let v = 0; v < VIRTUALS; v++) {
    // The first ACTIVE virtual servers run on the agent's userspace dataplane on loopback VIPs;
    // the rest are inactive so the agent does not bind 1,000 listeners.
    const active = v < ACTIVE;
    const vip = active ? `127.77.0.${v + 1}` : `10.${(v >> 8) & 255}.${v & 255}.1`;
    out.push(`virtual vs${v} {`, `     active = ${active ? 1 : 0}`, `     address = ${vip} eth0:${v % 10}`, '     vip_nmask = 255.255.255.0',
      `     port = ${active ? 18080 : 80}`, '     send = "GET / HTTP/1.0\\r\\n\\r\\n"', '     expect = "HTTP"', '     use_regex = 0', '     load_monitor = none',
      '     scheduler = wlc', '     protocol = tcp', '     timeout = 6', '     reentry = 15', '     quiesce_server = 0');
    for (let r = 0; r < REALS; r++) {
      out.push(`     server rs${r} {`, `         address = ${active ? `127.77.1.${r + 1}` : `10.${(v >> 8) & 255}.${v & 255}.${r + 10}`}`, `         active = ${active && r < 2 ? 1 : 0}`, '         weight = 1', '     }');
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

interface WrkResult { rps: number; p50ms: number; errors: string }

// Asynchronous on purpose: the servers under test run in this process and must keep serving.
async function wrk(url: string, seconds: number, auth: boolean, connections = 16): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...(auth ? ['-H', `Authorization: ${AUTH}`] : []), url];
  const r = await promisify(execFile)('wrk', args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const m = /50%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const p50ms = m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? '0';
  return { rps, p50ms, errors };
}

async function main() {
  const seconds = Number(process.argv[process.argv.indexOf('--duration') + 1]) || 10;
  if (spawnSync('which', ['wrk']).status !== 0) throw new Error('wrk is not installed (apt-get install wrk)');
  const root = await mkdtemp(join(tmpdir(), 'piranha-bench-'));
  try {
    await mkdir(join(root, 'web', 'secure'), { recursive: true });
    await writePasswordFile(join(root, 'conf', 'piranha.passwd'), PASSWORD); // default cost: the cache must carry it
    const text = lvsCf();
    await writeFile(join(root, 'lvs.cf'), text);
    const agent = await spawnAgent({ root, socket: join(root, 'agent.sock') });
    const gui = await startGui({ root, port: 0, host: '127.0.0.1', 'agent-socket': join(root, 'agent.sock') }, () => {});
    const page = await fetch(`${gui.url}/secure/virtual`, { headers: { authorization: AUTH } });
    const bytes = Buffer.from(await page.arrayBuffer());
    // VIRTUAL SERVERS is paged: the first page, as an administrator opening it gets it.
    if (page.status !== 200 || !bytes.includes(`vs${DEFAULT_PAGE_SIZE - 1}<`)) throw new Error(`unexpected page: ${page.status}, without vs${DEFAULT_PAGE_SIZE - 1}`);
    const staticDir = join(root, 'static');
    await mkdir(staticDir);
    await writeFile(join(staticDir, 'virtual.html'), bytes);
    const st = Fastify();
    await st.register(fastifyStatic, { root: staticDir });
    const stUrl = await st.listen({ port: 0, host: '127.0.0.1' });
    const control = await fetch(`${gui.url}/secure/control`, { headers: { authorization: AUTH } });
    const controlHtml = await control.text();
    if (!/Daemon<\/th><td class="state-up">running/.test(controlHtml)) throw new Error('the agent is not running: no live data');

    await wrk(`${gui.url}/secure/virtual`, 2, true); // warm-up (JIT, bcrypt cache)
    const vsPage = await wrk(`${gui.url}/secure/virtual`, seconds, true);
    const vsStatic = await wrk(`${stUrl}/virtual.html`, seconds, false);
    await wrk(`${gui.url}/secure/control`, 2, true);
    const ctl = await wrk(`${gui.url}/secure/control`, seconds, true);
    // One view at a time: nothing to share, the whole cost of a view (agent calls, render) each time.
    const ctlOne = await wrk(`${gui.url}/secure/control`, seconds, true, 1);
    await st.close();
    await gui.close();
    await agent.stop();

    const rows = [
      [`VIRTUAL SERVERS, first page (${DEFAULT_PAGE_SIZE} of 1,000 VS × 20 RS), auth on`, vsPage, bytes.length],
      ['same bytes as a static file (@fastify/static)', vsStatic, bytes.length],
      ['CONTROL/MONITORING, live agent data (10 active VS)', ctl, Buffer.byteLength(controlHtml)],
      ['CONTROL/MONITORING, one view at a time (wrk -c1)', ctlOne, Buffer.byteLength(controlHtml)],
    ] as const;
    const ratio = vsPage.rps / vsStatic.rps;
    const lines = [
      `| what | req/s | median latency | page size | non-2xx |`,
      `|---|---:|---:|---:|---:|`,
      ...rows.map(([name, r, size]) => `| ${name} | ${r.rps.toFixed(0)} | ${r.p50ms.toFixed(2)} ms | ${(size / 1024).toFixed(0)} KiB | ${r.errors} |`),
      '',
      `VIRTUAL SERVERS / static = **${ratio.toFixed(2)}×** (target ≥ 0.5×); VIRTUAL SERVERS ${vsPage.rps >= 400 ? 'meets' : 'misses'} ≥ 400 req/s; CONTROL/MONITORING ${ctl.rps >= 1000 ? 'meets' : 'misses'} ≥ 1,000 req/s.`,
      '',
      `Run ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, wrk -t1 -c16 (and -c1) -d${seconds}s, shared machine.`,
    ];
    console.log(lines.join('\n'));
    if (process.argv.includes('--write')) {
      writeReadmeSection(fileURLToPath(new URL('./README.md', import.meta.url)), lines.join('\n'));
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
