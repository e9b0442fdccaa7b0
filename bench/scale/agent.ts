// bench/scale, the agent's figures: an agent on the userspace dataplane with a loopback layout of
// N virtual servers × 20 real servers (generate.ts) whose real servers one local backend answers
// (backend.ts), and the console beside it. Measured for each size:
//
// - time to serving: from the agent's spawn to its socket answering, to every service listening,
//   and to the table being full (every real server checked up and in the dataplane);
//   the agent's CPU time (user + system, every thread) by the time every service listened, which
//   a loaded machine stretches far less than the wall clock;
// - memory: the agent's peak resident set (VmHWM) and its resident set at the end;
// - a one-weight save through EDIT REAL SERVER: POST → 303 in the console, and when the weight
//   reached the dataplane relative to that 303 (the applier's log line, read as an event), with
//   the number of operations the reload applied;
// - the agent's own share of such a save: one weight (and the serial) changed in the file, then
//   `reload`: the call's time and its operations;
// - the replies of `table` and `checkers`: bytes of the whole answer, and of one page (50 rows)
//   with its summary where the agent offers paging.
//
//   node --import tsx bench/scale/agent.ts [--sizes 1000,10000] [--rounds 5] [--starts 1] [--repo DIR] [--port 27000] [--agent-only]
//
// `--starts N`: the agent is started N times on the same file (each stopped once every service
// listens, the last one kept for the rest): the time to serving is the median of the N starts.
// `--agent-only`: the agent alone, without the backend and the console: start, memory, `reload`
// alone and of a one-weight change (every real server is down, so that reload applies nothing).
// On a machine too loaded for the checks to keep their timeout, the saves cannot be measured;
// these can.
//
// `--repo DIR` measures the programs of another checkout (the "before" figures), with this
// checkout's client. BENCH_AGENT_NODE_ARGS adds node flags to the agent only ("--cpu-prof --cpu-prof-dir=DIR").
// Prints a Markdown table of medians. Not a test: nothing here passes or fails.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from '../../agent/client.ts';
import type { AgentEvent } from '../../agent/protocol/index.ts';
import { writeFileAtomic } from '../../common/atomic-write.ts';
import { generate, portOf, realOf, vipOf, SERVERS_PER_VIRTUAL, type Layout } from './generate.ts';
import { arg, cpuMs, get, hidden, inputs, median, memoryMb, post, prepareLayout, prepareRoot, repoUnderTest, startConsole, startNode, type Child } from './procs.ts';

interface Row {
  virtuals: number;
  /** One figure per start (`--starts N`): the medians are shown, with the range. */
  socketMs: number[];
  servicesMs: number[];
  /** The agent's CPU time (all threads) when every service listened, per start. */
  servicesCpuMs: number[];
  fullMs: number;
  /** Real servers in the table when the wait for a full table gave up (NaN when it filled). */
  reachedReals: number;
  peakMb: number;
  endMb: number;
  postMs: number[];
  appliedAfter303Ms: number[];
  operations: number[];
  /** Saves whose weight was not seen reaching the dataplane within WEIGHT_WAIT_MS (left out of the medians). */
  missedSaves: number;
  reloadAloneMs: number[];
  /** `reload` after one weight (and the serial) changed in the file: the agent's own share of a save. */
  reloadChangeMs: number[];
  reloadChangeOps: number[];
  tableBytes: number | string;
  checkersBytes: number | string;
  tablePageBytes: number | string | null;
  checkersPageBytes: number | string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long to wait for a full table before going on with the saves (an agent may never get there). */
const FULL_TABLE_WAIT_MS = 180_000;
/** How long to wait for a saved weight to reach the dataplane. */
const WEIGHT_WAIT_MS = Number(process.env.BENCH_APPLY_WAIT_MS ?? 60_000);

async function connect(socket: string): Promise<AgentClient> {
  return AgentClient.connect(socket, { timeoutMs: 120_000, clientName: 'bench/scale' });
}

/** Services listening and real servers in the table, through one page of the summary when the agent pages, else the whole table. */
async function tableCounts(client: AgentClient, paged: boolean): Promise<{ services: number; listening: number; reals: number }> {
  if (paged) {
    const r = (await client.call('table', { limit: 0 })).summary!;
    return { services: r.services.total, listening: r.services.total - r.services.problem, reals: r.reals.inTable };
  }
  const t = await client.call('table', {});
  let reals = 0;
  let listening = 0;
  for (const s of t.services) {
    reals += s.reals.length;
    if (s.problem === null) listening++;
  }
  return { services: t.services.length, listening, reals };
}

async function supportsPaging(client: AgentClient): Promise<boolean> {
  try {
    const r = await client.call('table', { limit: 0 });
    return r.summary !== undefined;
  } catch {
    return false;
  }
}

/** The bytes of one answer, on a connection of its own (a reply the agent cuts off does not end the run); the error when it failed. */
async function replyBytes(socket: string, method: 'table' | 'checkers', params: Record<string, unknown>): Promise<number | string> {
  const client = await connect(socket);
  try {
    return Buffer.byteLength(JSON.stringify(await client.call(method, params)));
  } catch (err) {
    return (err as Error).message.slice(0, 60);
  } finally {
    client.close();
  }
}

interface Started {
  agent: Child;
  client: AgentClient;
  paged: boolean;
  socketMs: number;
  servicesMs: number;
  servicesCpuMs: number;
  fullMs: number;
  reachedReals: number;
}

/**
 * Starts the agent on `root` and waits for its socket to answer, for every service to listen and,
 * unless `untilListening`, for the table to be full (every real server up and in the dataplane).
 */
async function startAgent(repo: string, root: string, socket: string, virtuals: number, untilListening: boolean, children: Child[]): Promise<Started> {
  const t0 = Date.now();
  // --verbose: the dataplane operations behind a change are log lines (events) only then.
  const nodeArgs = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const agent = startNode(join(repo, 'bin', 'piranha-agent.js'), ['--root', root, '--socket', socket, '--dataplane', 'userspace', '--verbose'], nodeArgs);
  children.push(agent);
  let client: AgentClient | null = null;
  while (!client) {
    if (agent.child.exitCode !== null) throw new Error(`the agent exited:\n${agent.output().slice(-3000)}`);
    client = await connect(socket).catch(() => null);
    if (!client) await sleep(20);
  }
  const socketMs = Date.now() - t0;
  const paged = await supportsPaging(client);
  let servicesMs = NaN;
  let servicesCpuMs = NaN;
  let fullMs = NaN;
  let reachedReals = NaN;
  const wanted = virtuals * SERVERS_PER_VIRTUAL;
  while (Number.isNaN(fullMs) && Number.isNaN(reachedReals) && !(untilListening && !Number.isNaN(servicesMs))) {
    // An agent that cannot answer while it is busy: counted as not there yet.
    const c = await tableCounts(client, paged).catch(() => ({ services: 0, listening: 0, reals: 0 }));
    const now = Date.now() - t0;
    if (Number.isNaN(servicesMs) && c.listening === virtuals) {
      servicesMs = now;
      servicesCpuMs = cpuMs(agent.child.pid!);
    }
    if (c.reals === wanted) fullMs = now;
    else if (now > FULL_TABLE_WAIT_MS) reachedReals = c.reals;
    else await sleep(paged ? 100 : 500);
  }
  return { agent, client, paged, socketMs, servicesMs, servicesCpuMs, fullMs, reachedReals };
}

async function measure(repo: string, virtuals: number, rounds: number, starts: number, basePort: number, agentOnly: boolean): Promise<Row> {
  const layout: Layout = { virtuals, loopbackPort: basePort };
  const root = await mkdtemp(join(tmpdir(), 'piranha-scale-'));
  const socket = join(root, 'agent.sock');
  const children: Child[] = [];
  try {
    if (agentOnly) await prepareRoot(root, generate(layout));
    else await prepareLayout(root, layout, children);

    // The starts before the last one measure the time to serving only: each agent is stopped
    // (SIGTERM, as systemd stops it) once every service listens.
    const socketMs: number[] = [];
    const servicesMs: number[] = [];
    const servicesCpuMs: number[] = [];
    for (let i = 1; i < starts; i++) {
      const s = await startAgent(repo, root, socket, virtuals, true, children);
      socketMs.push(s.socketMs);
      servicesMs.push(s.servicesMs);
      servicesCpuMs.push(s.servicesCpuMs);
      s.client.close();
      await s.agent.stop();
      children.splice(children.indexOf(s.agent), 1);
    }
    // Without the backend no real server comes up: the wait ends once every service listens.
    const { agent, client, paged, fullMs, reachedReals, ...last } = await startAgent(repo, root, socket, virtuals, agentOnly, children);
    socketMs.push(last.socketMs);
    servicesMs.push(last.servicesMs);
    servicesCpuMs.push(last.servicesCpuMs);
    const pid = agent.child.pid!;

    // The agent's own share of a save: one weight and the serial changed in the file, written as the
    // console writes it (temp, fsync, rename), then `reload`; its time and its operations.
    const reloadChangeMs: number[] = [];
    const reloadChangeOps: number[] = [];
    const file = join(root, 'lvs.cf');
    let text = await readFile(file, 'utf8');
    for (let r = 0; r < rounds; r++) {
      text = withWeight(text, Math.floor(virtuals / 3) + r, 3, 7 + r).replace(/^serial_no = (\d+)$/m, (_, n: string) => `serial_no = ${Number(n) + 1}`);
      await writeFileAtomic(file, text);
      const t = Date.now();
      const res = await client.call('reload', {});
      reloadChangeMs.push(Date.now() - t);
      reloadChangeOps.push(res.operations);
    }
    const postMs: number[] = [];
    const appliedAfter303Ms: number[] = [];
    const operations: number[] = [];
    let missedSaves = 0;
    if (!agentOnly) {
      const gui = await startConsole(repo, root, socket);
      children.push(gui);
      const events: AgentEvent[] = [];
      const watcher = await connect(socket);
      await watcher.subscribe((e) => {
        if (e.event === 'log' || e.event === 'reload') events.push(e);
      });
      for (let r = 0; r <= rounds; r++) {
        const v = Math.floor(virtuals / 2) + r;
        const s = 7;
        const formUrl = `${gui.url}/secure/virtual/${v}/real/${s}/edit`;
        const page = await get(formUrl);
        if (page.status !== 200) throw new Error(`GET ${formUrl}: ${page.status}`);
        const { csrf, version } = hidden(page.text);
        const fields: Record<string, string> = { ...inputs(page.text), _csrf: csrf, version, action: 'accept' };
        const weight = String(Number(fields.weight) === 9 ? 8 : 9);
        const address = realOf(layout, v, s);
        const port = portOf(layout, v);
        const line = `set real server ${address}:${port} of tcp|${vipOf(layout, v)}|${port} to weight ${weight}`;
        events.length = 0;
        const t1 = Date.now();
        const res = await post(formUrl, { ...fields, weight });
        const t303 = Date.now();
        if (res.status !== 303) throw new Error(`POST ${formUrl}: ${res.status}`);
        let applied: AgentEvent | undefined;
        let reload: AgentEvent | undefined;
        const deadline = Date.now() + WEIGHT_WAIT_MS;
        while (!(applied && reload) && Date.now() <= deadline) {
          applied ??= events.find((e) => e.event === 'log' && e.data.message === line);
          reload ??= events.find((e) => e.event === 'reload');
          if (!(applied && reload)) await sleep(2);
        }
        // The first round warms the console's and the agent's caches; it is not counted.
        if (r === 0) continue;
        if (!(applied && reload)) {
          // Its real server was down or ramping back (a machine too loaded for the checks' timeout):
          // the weight goes in when it is up again, which says nothing of the save.
          missedSaves++;
          continue;
        }
        postMs.push(t303 - t1);
        appliedAfter303Ms.push(Date.parse((applied as Extract<AgentEvent, { event: 'log' }>).data.time) - t303);
        operations.push((reload as Extract<AgentEvent, { event: 'reload' }>).data.operations);
      }
      watcher.close();
    }
    const reloadAloneMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = Date.now();
      await client.call('reload', {});
      reloadAloneMs.push(Date.now() - t);
    }
    const tableBytes = await replyBytes(socket, 'table', {});
    const checkersBytes = await replyBytes(socket, 'checkers', {});
    const tablePageBytes = paged ? await replyBytes(socket, 'table', { limit: 50 }) : null;
    const checkersPageBytes = paged ? await replyBytes(socket, 'checkers', { limit: 50 }) : null;
    const row: Row = {
      virtuals,
      socketMs,
      servicesMs,
      servicesCpuMs,
      fullMs,
      reachedReals,
      peakMb: memoryMb(pid, 'VmHWM'),
      endMb: memoryMb(pid, 'VmRSS'),
      postMs,
      appliedAfter303Ms,
      operations,
      missedSaves,
      reloadAloneMs,
      reloadChangeMs,
      reloadChangeOps,
      tableBytes,
      checkersBytes,
      tablePageBytes,
      checkersPageBytes,
    };
    client.close();
    return row;
  } finally {
    for (const c of children.reverse()) await c.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** `text` with the weight of real server rs`s` of virtual server vs`v` (generate.ts's names) set to `weight`. */
function withWeight(text: string, v: number, s: number, weight: number): string {
  const block = text.indexOf(`virtual vs${v} {`);
  const server = text.indexOf(`server rs${s} {`, block);
  const at = text.indexOf('weight = ', server);
  if (block < 0 || server < 0 || at < 0) throw new Error(`no real server rs${s} in virtual server vs${v}`);
  const end = text.indexOf('\n', at);
  return `${text.slice(0, at)}weight = ${weight}${text.slice(end)}`;
}

function mb(bytes: number | string | null): string {
  if (bytes === null) return '–';
  if (typeof bytes === 'string') return `failed (${bytes})`;
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(argv: string[]): Promise<void> {
  const repo = repoUnderTest(argv);
  const sizes = (arg(argv, '--sizes') ?? '1000,10000').split(',').map(Number);
  const rounds = Number(arg(argv, '--rounds') ?? 5);
  const starts = Number(arg(argv, '--starts') ?? 1);
  const basePort = Number(arg(argv, '--port') ?? 27000);
  const agentOnly = argv.includes('--agent-only');
  const rows: Row[] = [];
  for (const n of sizes) {
    process.stderr.write(`bench/scale agent: ${n} virtual servers × ${SERVERS_PER_VIRTUAL}…\n`);
    rows.push(await measure(repo, n, rounds, starts, basePort, agentOnly));
  }
  const ms = (x: number) => (Number.isNaN(x) ? '–' : `${Math.round(x)}`);
  // The median of the starts, with their range when there were several.
  const startMs = (xs: number[]) => (xs.length < 2 ? ms(median(xs)) : `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`);
  const out = [
    `bench/scale agent — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${repo}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; ${rounds} saves per size, ${starts} start${starts === 1 ? '' : 's'} (medians, ms)`,
    '',
    '| virtual servers × 20 | socket answers | all services listening | agent CPU by then | table full | peak RSS | RSS at end | one-weight save POST → 303 | weight in the dataplane, after the 303 | operations | reload alone (no change) | reload of a one-weight change (operations) | `table` whole / one page | `checkers` whole / one page |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.virtuals.toLocaleString('en')} | ${startMs(r.socketMs)} | ${startMs(r.servicesMs)} | ${startMs(r.servicesCpuMs)} | ${Number.isNaN(r.reachedReals) ? ms(r.fullMs) : `not full after ${FULL_TABLE_WAIT_MS / 1000} s (${r.reachedReals.toLocaleString('en')} of ${(r.virtuals * SERVERS_PER_VIRTUAL).toLocaleString('en')})`} | ${Math.round(r.peakMb)} MB | ${Math.round(r.endMb)} MB | ${ms(median(r.postMs))} | ${ms(median(r.appliedAfter303Ms))} | ${[...new Set(r.operations)].join(', ')}${r.missedSaves ? ` (${r.missedSaves} of ${r.missedSaves + r.postMs.length} saves' weights not seen within ${WEIGHT_WAIT_MS / 1000} s: real server down)` : ''} | ${ms(median(r.reloadAloneMs))} | ${ms(median(r.reloadChangeMs))} (${[...new Set(r.reloadChangeOps)].join(', ')}) | ${mb(r.tableBytes)} / ${mb(r.tablePageBytes)} | ${mb(r.checkersBytes)} / ${mb(r.checkersPageBytes)} |`,
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
