// The setting of the tests that change a running service through the console: two real servers
// `a` and `b` on loopback behind one virtual server `web` on a fresh VIP (lvs.cf serial 3), and the
// real agent running it, in the console's root, with both real servers in its table.
// Also, for the agent's own process tests, any virtual server over loopback TCP real servers and the
// agent running it on a fresh root for a whole test file (useAgent).
import { after, before, type TestContext } from 'node:test';
import { join } from 'node:path';
import type { AgentClient } from '../agent/client.ts';
import { spawnAgent, type SpawnedAgent } from './agent.ts';
import { lvsCf, type TestVirtual, writeLvsCf } from './lvs-cf.ts';
import { tempRoot } from './temp.ts';
import { freePort, loopback } from './net.ts';
import { startTcpBackend, type Backend } from './traffic.ts';
import { waitFor } from './wait.ts';

export interface WebService {
  backends: Backend[];
  vip: string;
  vport: number;
  /** The lvs.cf text that runs it. */
  lvs: string;
}

/** The two real servers (closed after the test) and the lvs.cf of `web` over them. */
export async function webOfTwo(t: TestContext, opts: { echo?: boolean; scheduler?: string; weight: (index: number) => number }): Promise<WebService> {
  const backends = await Promise.all(['a', 'b'].map((n) => startTcpBackend(n, loopback(), 0, { echo: opts.echo })));
  t.after(() => Promise.all(backends.map((b) => b.close())));
  const vip = loopback();
  const vport = await freePort(vip);
  const servers = backends.map((b, i) => ({ name: b.name, address: b.host, port: b.port, weight: opts.weight(i) }));
  const lvs = lvsCf({ serial: 3, virtuals: [{ name: 'web', vip, port: vport, scheduler: opts.scheduler, timeout: 1, servers }] });
  return { backends, vip, vport, lvs };
}

/** The agent on `root`/agent.sock (stopped after the test) and its client, once both real servers are in the table. */
export async function agentRunningWeb(t: TestContext, root: string): Promise<{ agent: SpawnedAgent; client: AgentClient }> {
  const agent = await spawnAgent({ root, socket: join(root, 'agent.sock') });
  t.after(() => agent.stop());
  const client = await agent.client();
  t.after(() => client.close());
  await waitFor(async () => (await client.call('table', {})).services[0]?.reals.length === 2, { message: 'both real servers in the table' });
  return { agent, client };
}

/** The weight the agent gives real server `host` of its first service (undefined while it has none). */
export async function weightOf(client: AgentClient, host: string): Promise<number | undefined> {
  return (await client.call('table', {})).services[0]?.reals.find((r) => r.address === host)?.weight;
}

/**
 * Virtual server `name` on a fresh loopback VIP over `count` TCP real servers r0, r1… (backends
 * named `${backendPrefix ?? name}${i}`), each closed by `cleanup`.
 */
export async function loopbackVirtual(
  name: string,
  opts: { count: number; weight: number; scheduler: string; backendPrefix?: string },
  cleanup: (() => Promise<unknown>)[],
): Promise<TestVirtual> {
  const servers = [];
  for (let i = 0; i < opts.count; i++) {
    const be = await startTcpBackend(`${opts.backendPrefix ?? name}${i}`, loopback());
    cleanup.push(() => be.close());
    servers.push({ name: `r${i}`, address: be.host, port: be.port, weight: opts.weight });
  }
  const host = loopback();
  return { name, vip: host, port: await freePort(host), scheduler: opts.scheduler, timeout: 1, servers };
}

/** The agent of a file of tests (useAgent): its fields are set before the file's tests run. */
export interface FileAgent {
  root: string;
  client: AgentClient;
  /** What it runs (lvs.cf serial 1); a test may change them and write a new lvs.cf. */
  virtuals: TestVirtual[];
}

/**
 * For a file of tests against one agent process, as useBrowser() is for a browser: before its
 * tests, the virtual servers `make` builds (over loopback real servers closed by `cleanup`) and the
 * agent running them on a fresh root, once its table (directorTable) has `rows` lines; after them,
 * the agent stopped, the root removed and the real servers closed.
 */
export function useAgent(make: (cleanup: (() => Promise<unknown>)[]) => Promise<TestVirtual[]>, rows: number, what: string): FileAgent {
  const cleanup: (() => Promise<unknown>)[] = [];
  const file = {} as FileAgent;
  before(async () => {
    file.virtuals = await make(cleanup);
    const t = await tempRoot();
    cleanup.push(t.remove);
    await writeLvsCf(t.root, lvsCf({ serial: 1, virtuals: file.virtuals }));
    const agent = await spawnAgent({ root: t.root, socket: t.socket });
    cleanup.push(() => agent.stop());
    file.root = t.root;
    file.client = await agent.client();
    await waitFor(async () => (await directorTable(file.client)).length === rows, { message: what });
  });
  after(async () => {
    file.client?.close();
    for (const f of cleanup.reverse()) await f().catch(() => {});
  });
  return file;
}

/**
 * The agent's table without traffic counters, what the director decides: one line per service
 * (`KEY SCHEDULER p=PERSISTENT m=PMASK`) and per real server (`KEY > ADDRESS:PORT w=WEIGHT METHOD`), sorted.
 */
export async function directorTable(client: AgentClient): Promise<string[]> {
  const out: string[] = [];
  for (const s of (await client.call('table', {})).services) {
    out.push(`${s.key} ${s.scheduler} p=${s.persistent} m=${s.pmask}`);
    for (const r of s.reals) out.push(`${s.key} > ${r.address}:${r.port} w=${r.weight} ${r.method}`);
  }
  return out.sort();
}
