// The real agent in a lab's router namespace, started through its command line with
// `--dataplane ipvs` (the ipvsadm it runs inherits the namespace, so it programs that namespace's
// IPVS table) and driven only through lvs.cf and its unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { AgentClient } from '../../../agent/client.ts';
import { writeFileAtomic } from '../../../lvs-cf/index.ts';
import type { Lab } from './lab.ts';

/** An emulated CPU loads the agent's modules slowly: starting can take a minute or more. */
const START_TIMEOUT_MS = 300_000;
/** A reply about 1,000 services takes the agent a few seconds under emulation. */
const CALL_TIMEOUT_MS = 120_000;

export class KernelAgent {
  private exited = false;

  private constructor(
    private readonly lab: Lab,
    private readonly child: ChildProcess,
    readonly root: string,
    readonly client: AgentClient,
  ) {
    child.on('exit', () => (this.exited = true));
  }

  /** Writes lvs.cf and starts the agent in `machine`; resolves once its socket answers hello. */
  static async start(lab: Lab, machine: string, lvsCf: string): Promise<KernelAgent> {
    const root = mkdtempSync(join('/tmp', `piranha-${lab.name}-`));
    await writeFileAtomic(join(root, 'lvs.cf'), lvsCf);
    const socket = join(root, 'agent.sock');
    const child = lab.start(machine, [process.execPath, 'bin/piranha-agent.js', '--root', root, '--socket', socket, '--dataplane', 'ipvs']);
    let exit: string | null = null;
    child.on('exit', (code, signal) => (exit = signal ?? `code ${code}`));
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exit !== null) throw new Error(`the agent in ${machine} exited (${exit}) before answering on its socket`);
      try {
        const client = await AgentClient.connect(socket, { timeoutMs: CALL_TIMEOUT_MS, clientName: 'kernel-suite' });
        return new KernelAgent(lab, child, root, client);
      } catch (err) {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`the agent in ${machine} did not answer on its socket within ${START_TIMEOUT_MS / 1000} s: ${(err as Error).message}`);
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Replaces lvs.cf (atomically, as the console saves it). */
  async writeConfig(text: string): Promise<void> {
    await writeFileAtomic(join(this.root, 'lvs.cf'), text);
  }

  /** Messages of status.problems, as "service: message". */
  async problems(): Promise<string[]> {
    const s = await this.client.call('status', {});
    return s.problems.map((p) => `${p.service}: ${p.message}`);
  }

  /** SIGTERM (the agent removes its services and exits), then the temp folder goes. */
  async stop(): Promise<void> {
    this.client.close();
    if (!this.exited) {
      const done = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
      if (!this.exited) {
        this.lab.log('the agent did not exit within 60 s of SIGTERM: killed');
        this.child.kill('SIGKILL');
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
