// Runs a program with an argument array (never a shell) and collects its output. The ipvs
// dataplane takes a Runner so tests can record the exact commands and batches it issues.
import { spawn } from 'node:child_process';

export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export type Runner = (file: string, args: string[], input?: string) => Promise<RunResult>;

/** How long one ipvsadm call may take before it is killed (a batch of thousands of lines takes < 1 s). */
const TIMEOUT_MS = 30_000;

export const spawnRunner: Runner = (file, args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // the program may exit before reading all of its input
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.end(input ?? '');
  });
