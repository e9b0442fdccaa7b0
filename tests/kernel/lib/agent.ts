// The real agent in a lab's router namespace, started through its command line with
// `--dataplane ipvs` (the ipvsadm it runs inherits the namespace, so it programs that namespace's
// IPVS table) and driven only through lvs.cf and its unix socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { AgentClient } from '../../../agent/client.ts';
import { writeFileAtomic } from '../../../lvs-cf/index.ts';
import { waitFor } from '../../../agent/test-support.ts';
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
    let gone = false;
    child.on('exit', () => (gone = true));
    const client = await waitFor(
      async () => {
        if (gone) throw new Error('the agent exited');
        return await AgentClient.connect(socket, { timeoutMs: CALL_TIMEOUT_MS, clientName: 'kernel-suite' });
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 500, message: `the agent in ${machine} to answer on its socket` },
    ).catch((err: Error) => {
      child.kill('SIGKILL');
      throw err;
    });
    return new KernelAgent(lab, child, root, client);
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
