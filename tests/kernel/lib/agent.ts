// The real agent in a lab's router namespace (testing/agent.ts's spawnAgent, in the namespace),
// started through its command line with `--dataplane ipvs`: the ipvsadm it runs inherits the
// namespace, so it programs that namespace's IPVS table. The suite drives it only through lvs.cf
// and its unix socket; its log goes to the lab's log.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentClient } from '../../../agent/client.ts';
import { spawnAgent, type SpawnedAgent } from '../../../testing/agent.ts';
import type { Lab } from '../../../testing/lab.ts';
import { writeLvsCf } from '../../../testing/lvs-cf.ts';
import { tempRoot, type TempRoot } from '../../../testing/temp.ts';

/**
 * Node itself crashed now and then while loading under QEMU's emulated CPU (SIGSEGV, or
 * "memory access out of bounds" in the TypeScript loader's WebAssembly lexer), before a line of the
 * agent ran; on the host and on real routers it does not. The guest now runs its CPUs on one host
 * thread against it (vm/boot.ts, GUEST_ACCEL). Should node still crash
 * so, the start is tried again, at most twice, and said in the lab's log and on the guest's
 * console (a retried start leaves no failure behind); any other failure to start is the test's.
 */
const EMULATOR_CRASH = /\((SIGSEGV|SIGILL|SIGBUS)\)|memory access out of bounds/;
async function startWithRetry(lab: Lab, machine: string, start: () => Promise<SpawnedAgent>): Promise<SpawnedAgent> {
  for (let attempt = 1; ; attempt++) {
    lab.log(`[${machine}] start the agent (--dataplane ipvs)${attempt > 1 ? `, attempt ${attempt}` : ''}`);
    try {
      return await start();
    } catch (err) {
      const message = (err as Error).message;
      if (attempt >= 3 || !/exited during startup/.test(message) || !EMULATOR_CRASH.test(message)) throw err;
      const what = message.split('\n').find((l) => EMULATOR_CRASH.test(l)) ?? message.split('\n')[0];
      lab.log(`[${machine}] node crashed while starting under emulation: ${what}`);
      console.error(`piranha-guest: node crashed while starting the agent of ${machine} (attempt ${attempt} of 3): ${what}`);
    }
  }
}

/** An emulated CPU loads the agent's modules slowly: starting can take a minute or more. */
const START_TIMEOUT_MS = 300_000;
/** A reply about 1,000 services takes the agent seconds under emulation. */
const CALL_TIMEOUT_MS = 120_000;
/** Removing 1,000 services on SIGTERM takes a while under emulation too. */
const STOP_GRACE_MS = 60_000;

export class RouterAgent {
  private constructor(
    /** The agent's root (lvs.cf, agent.sock); removed at stop unless it was given. */
    private readonly temp: TempRoot & { given?: boolean },
    private readonly agent: SpawnedAgent,
    readonly client: AgentClient,
  ) {}

  /**
   * Writes lvs.cf and starts the agent in `machine`; resolves once its socket answers hello. With
   * `root` (a console's root, which holds its agent.sock) the agent and the console share lvs.cf.
   */
  static async start(lab: Lab, machine: string, lvsCf: string, opts: { root?: string; heartbeatKey?: string } = {}): Promise<RouterAgent> {
    const temp = opts.root !== undefined
      ? { root: opts.root, socket: join(opts.root, 'agent.sock'), remove: async () => {}, given: true }
      : await tempRoot(`piranha-${lab.name}-`);
    await writeLvsCf(temp.root, lvsCf);
    // A router of a pair: the shared key where the agent looks for it (conf/heartbeat.key, 0600).
    if (opts.heartbeatKey) {
      await mkdir(join(temp.root, 'conf'), { recursive: true, mode: 0o700 });
      await writeFile(join(temp.root, 'conf', 'heartbeat.key'), `${opts.heartbeatKey}\n`, { mode: 0o600 });
    }
    const agent = await startWithRetry(lab, machine, () =>
      spawnAgent({
        root: temp.root,
        socket: temp.socket,
        dataplane: 'ipvs',
        netns: lab.ns(machine),
        timeoutMs: START_TIMEOUT_MS,
        callTimeoutMs: CALL_TIMEOUT_MS,
      }),
    );
    // The agent's log into the lab's, from its first line: what it printed while starting, then
    // each complete line as it comes.
    let logged = 0;
    const follow = () => {
      const text = agent.stderr();
      const end = text.lastIndexOf('\n') + 1;
      for (const line of text.slice(logged, end).split('\n').filter(Boolean)) lab.log(`[${machine} agent] ${line}`);
      logged = Math.max(logged, end);
    };
    follow();
    agent.child.stderr!.on('data', follow);
    void agent.exited.then(({ code, signal }) => lab.log(`[${machine} agent] exited (${signal ?? code})`));
    return new RouterAgent(temp, agent, await agent.client());
  }

  /** Replaces lvs.cf (then `reload` over the socket applies it). */
  async writeConfig(text: string): Promise<void> {
    await writeLvsCf(this.temp.root, text);
  }

  /** status.problems, as "service: message". */
  async problems(): Promise<string[]> {
    const s = await this.client.call('status', {});
    return s.problems.map((p) => `${p.service}: ${p.message}`);
  }

  /** SIGKILL: the agent dies at once, leaving whatever it had set up in the kernel; then its folder goes. */
  async kill(): Promise<void> {
    this.client.close();
    await this.agent.stop('SIGKILL');
    await this.temp.remove();
  }

  /** SIGTERM: the agent removes its services and exits; then its folder goes. */
  async stop(): Promise<void> {
    this.client.close();
    await this.agent.stop('SIGTERM', STOP_GRACE_MS);
    await this.temp.remove();
  }
}
