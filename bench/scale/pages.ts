// bench/scale, the page figures: the first page of VIRTUAL SERVERS and of CONTROL/MONITORING for
// a loopback layout of N virtual servers × 20 real servers (generate.ts), with the agent running it
// on the userspace dataplane against one local backend (backend.ts), as a browser gets them (HTTP,
// basic auth). For each page: its bytes, the first request after the console started (the
// console reads and parses lvs.cf then), and the median of the next requests. VIRTUAL SERVERS'
// next requests each ask for a view not seen before (`?selected=N`), so that they are rendered
// and not served from the console's page cache; CONTROL/MONITORING asks the agent every time.
//
//   node --import tsx bench/scale/pages.ts [--sizes 100,1000,10000] [--rounds 7] [--repo DIR] [--port 28000]
//
// Prints a Markdown table. Not a test: nothing here passes or fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from '../../agent/client.ts';
import { MAX_SERIES_VIRTUALS } from '../../agent/protocol/index.ts';
import { SERVERS_PER_VIRTUAL, type Layout } from './generate.ts';
import { arg, get, median, prepareLayout, repoUnderTest, startConsole, startNode, type Child } from './procs.ts';

interface PageFigures {
  bytes: number;
  firstMs: number;
  nextMs: number[];
  /** What the page showed about the agent (running, or the error it gave). */
  shows: string;
}

interface Row {
  virtuals: number;
  virtualsPage: PageFigures;
  controlPage: PageFigures;
  /** The agent's answers a CONTROL page needs, asked directly (the same calls, at the same time). */
  agentMs: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timed(url: string): Promise<{ ms: number; bytes: number; text: string; status: number }> {
  const t = performance.now();
  const r = await get(url);
  return { ms: performance.now() - t, bytes: r.bytes, text: r.text, status: r.status };
}

function agentShows(html: string): string {
  if (/Daemon<\/th><td class="state-up">running/.test(html)) return 'running';
  const m = /The agent (?:is not reachable at|at) [^:<]*:? ?([^<]{0,120})/.exec(html);
  return m ? `agent error: ${m[1]!.trim()}` : 'no agent data';
}

/** Waits until the agent's checks have all run once (or a minute passed: an older agent may never get there). */
async function settle(socket: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let client: AgentClient | null = null;
  while (!client && Date.now() < deadline) {
    client = await AgentClient.connect(socket, { timeoutMs: 120_000 }).catch(() => null);
    if (!client) await sleep(100);
  }
  if (!client) throw new Error('the agent never answered');
  try {
    while (Date.now() < deadline) {
      const r = await client.call('checkers', { limit: 0 }).catch(() => null);
      // An agent that does not page: give its checks the minute.
      if (r?.summary && r.summary.reals.pending === 0 && r.summary.reals.inTable === r.summary.reals.up) return;
      await sleep(500);
    }
  } finally {
    client.close();
  }
}

async function measure(repo: string, virtuals: number, rounds: number, basePort: number): Promise<Row> {
  const layout: Layout = { virtuals, loopbackPort: basePort };
  const root = await mkdtemp(join(tmpdir(), 'piranha-scale-pages-'));
  const socket = join(root, 'agent.sock');
  const children: Child[] = [];
  try {
    await prepareLayout(root, layout, children);
    children.push(startNode(join(repo, 'bin', 'piranha-agent.js'), ['--root', root, '--socket', socket, '--dataplane', 'userspace']));
    await settle(socket);
    const gui = await startConsole(repo, root, socket);
    children.push(gui);

    const first = await timed(`${gui.url}/secure/virtual`);
    if (first.status !== 200) throw new Error(`VIRTUAL SERVERS: ${first.status}`);
    const vsNext: number[] = [];
    for (let r = 0; r < rounds; r++) vsNext.push((await timed(`${gui.url}/secure/virtual?selected=${r}`)).ms);

    const control = await timed(`${gui.url}/secure/control`);
    const ctlNext: number[] = [];
    let shows = agentShows(control.text);
    for (let r = 0; r < rounds; r++) {
      const p = await timed(`${gui.url}/secure/control`);
      ctlNext.push(p.ms);
      shows = agentShows(p.text);
    }
    // What of CONTROL's time is the agent's: its five answers of the first page, then the traffic
    // of the services shown, asked from a client of its own.
    const agentMs: number[] = [];
    const client = await AgentClient.connect(socket, { timeoutMs: 120_000 });
    try {
      for (let r = 0; r < rounds; r++) {
        const t = performance.now();
        const [, table] = await Promise.all([
          client.call('status', {}),
          client.call('table', { sort: 'problem', offset: 0, limit: 10 }),
          client.call('checkers', { sort: 'state', offset: 0, limit: 50 }),
          client.call('checkers', { state: 'down', limit: 50 }),
          client.call('haStatus', {}),
        ]);
        await client.call('series', { virtuals: [...new Set(table.services.map((x) => x.name))].slice(0, MAX_SERIES_VIRTUALS) });
        agentMs.push(performance.now() - t);
      }
    } finally {
      client.close();
    }
    return {
      virtuals,
      virtualsPage: { bytes: first.bytes, firstMs: first.ms, nextMs: vsNext, shows: '' },
      controlPage: { bytes: control.bytes, firstMs: control.ms, nextMs: ctlNext, shows },
      agentMs,
    };
  } finally {
    for (const c of children.reverse()) await c.stop();
    await rm(root, { recursive: true, force: true });
  }
}

function kb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(argv: string[]): Promise<void> {
  const repo = repoUnderTest(argv);
  const sizes = (arg(argv, '--sizes') ?? '100,1000,10000').split(',').map(Number);
  const rounds = Number(arg(argv, '--rounds') ?? 7);
  const basePort = Number(arg(argv, '--port') ?? 28000);
  const rows: Row[] = [];
  for (const n of sizes) {
    process.stderr.write(`bench/scale pages: ${n} virtual servers × ${SERVERS_PER_VIRTUAL}…\n`);
    rows.push(await measure(repo, n, rounds, basePort));
  }
  const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)}`;
  const out = [
    `bench/scale pages — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${loadavg().map((x) => x.toFixed(1)).join(', ')}, ${repo}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; median of ${rounds} requests after the first (ms)`,
    '',
    '| virtual servers × 20 | VIRTUAL SERVERS bytes | first request | next (median) | CONTROL/MONITORING bytes | first request | next (median) | of which the agent\'s answers (median) | CONTROL shows |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.virtuals.toLocaleString('en')} | ${kb(r.virtualsPage.bytes)} | ${ms(r.virtualsPage.firstMs)} | ${ms(median(r.virtualsPage.nextMs))} | ${kb(r.controlPage.bytes)} | ${ms(r.controlPage.firstMs)} | ${ms(median(r.controlPage.nextMs))} | ${ms(median(r.agentMs))} | ${r.controlPage.shows} |`,
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
