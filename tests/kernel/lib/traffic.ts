// Real TCP through the kernel: the real servers (tools/name-server.c, which answer "NAME PORT" and
// then echo) and the client's connections (tools/tcp-client.c), each run in its lab namespace.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '../../../testing/wait.ts';
import type { Lab } from '../../../testing/lab.ts';

/**
 * What the suite's health checks expect to read: the start of every real server's greeting
 * ("rs1 80"). The check is then connect-and-read rather than nanny's HTTP GET for port 80.
 */
export const EXPECT_GREETING = 'rs';

export function tool(name: string): string {
  const dir = process.env.PIRANHA_KERNEL_TOOLS;
  if (!dir) throw new Error('PIRANHA_KERNEL_TOOLS is not set: the kernel suite runs inside its guest (npm run test:kernel)');
  return join(dir, name);
}

/** One real server: name-server in the machine's namespace, named after the machine. */
export class RealServer {
  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    /** name-server's state lines: "listening" / "stopped". */
    private readonly states: string[],
  ) {}

  static async start(lab: Lab, machine: string, ports: number[]): Promise<RealServer> {
    const states: string[] = [];
    const child = lab.start(machine, [tool('name-server'), machine, ...ports.map(String)], {
      onLine: (line, stream) => stream === 'out' && states.push(line),
    });
    const server = new RealServer(machine, child, states);
    await server.reach('listening');
    return server;
  }

  /** Stops accepting (the listening sockets close: new connections are refused); established ones carry on. */
  async stopService(): Promise<void> {
    this.child.kill('SIGUSR1');
    await this.reach('stopped');
  }

  async resumeService(): Promise<void> {
    this.child.kill('SIGUSR2');
    await this.reach('listening');
  }

  private reach(state: string): Promise<unknown> {
    return waitFor(() => this.states.at(-1) === state, { timeoutMs: 60_000, message: `${this.name}'s name-server to be ${state}` });
  }
}

export interface Answer {
  source: string;
  target: string;
  /** The real server that answered, null when the connection failed. */
  server: string | null;
  /** The port the real server accepted the connection on. */
  port: number | null;
  error: string | null;
}

/**
 * Makes `count` connections one after the other from `machine`, the i-th to target i mod
 * targets.length (ADDRESS:PORT) from source address i mod sources.length (default: the kernel's
 * choice), and returns who answered each.
 */
export async function connect(lab: Lab, machine: string, count: number, targets: string[], sources: string[] = []): Promise<Answer[]> {
  const args = ['count', String(count), targets.join(','), ...(sources.length ? [sources.join(',')] : [])];
  const out: string[] = [];
  const child = lab.start(machine, [tool('tcp-client'), ...args], {
    quietStdout: true,
    onLine: (line, stream) => stream === 'out' && out.push(line),
  });
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  if (code !== 0) throw new Error(`tcp-client ${args.join(' ')} exited with ${code}`);
  const answers = out.map((line): Answer => {
    const [source, target, ...rest] = line.split(' ');
    if (rest[0] === '!') return { source: source!, target: target!, server: null, port: null, error: rest.slice(1).join(' ') };
    return { source: source!, target: target!, server: rest[0] ?? null, port: Number(rest[1]), error: null };
  });
  if (answers.length !== count) throw new Error(`tcp-client reported ${answers.length} connections, not ${count}`);
  const failed = answers.filter((a) => a.error !== null);
  lab.log(`${count} connections to ${targets.length > 1 ? `${targets.length} targets` : targets[0]}: ${JSON.stringify(tally(answers))}${failed.length ? `; first failure: ${failed[0]!.error}` : ''}`);
  return answers;
}

/** Connections per real server; failures are counted under "failed". */
export function tally(answers: Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = a.server ?? 'failed';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** The real servers that answered, grouped by a key of each connection (e.g. its source address). */
export function serversBy(answers: Answer[], key: (a: Answer) => string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const a of answers) {
    const k = key(a);
    if (!out.has(k)) out.set(k, new Set());
    out.get(k)!.add(a.server ?? 'failed');
  }
  return out;
}

/** One connection kept open through the director: it says which real server holds it, and echoes. */
export class HeldConnection {
  private readonly lines: string[] = [];
  private exited = false;
  /** The real server's greeting ("NAME PORT"). */
  greeting = '';

  private constructor(private readonly child: ChildProcess) {
    child.on('close', () => (this.exited = true));
  }

  static async open(lab: Lab, machine: string, target: string, source?: string): Promise<HeldConnection> {
    let held: HeldConnection | null = null;
    const early: string[] = [];
    const child = lab.start(machine, [tool('tcp-client'), 'hold', target, ...(source ? [source] : [])], {
      onLine: (line, stream) => stream === 'out' && (held ? held.lines : early).push(line),
    });
    held = new HeldConnection(child);
    held.lines.push(...early);
    held.greeting = await held.next();
    if (held.greeting.startsWith('!')) throw new Error(`the held connection to ${target} failed: ${held.greeting}`);
    return held;
  }

  /** The real server holding the connection. */
  get server(): string {
    return this.greeting.split(' ')[0]!;
  }

  /** Sends one line and returns what came back ("! ERROR" when the connection failed). */
  async echo(text: string): Promise<string> {
    if (this.exited) return '! the connection was already closed';
    this.child.stdin!.write(`${text}\n`);
    return this.next();
  }

  close(): void {
    this.child.stdin!.end();
  }

  private next(): Promise<string> {
    return waitFor(() => this.lines.shift() ?? (this.exited ? '! tcp-client exited' : null), { timeoutMs: 30_000, message: 'a line from the held connection' });
  }
}
