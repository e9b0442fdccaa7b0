// Runs a program with an argument array, never a shell (values come from lvs.cf), and collects its
// output: ipvsadm, nft, ip, arping, and lvs.cf's active_cmd and inactive_cmd. Whoever runs programs
// takes a Runner, so tests can record the exact commands and answer them. A Runner never rejects:
// a program that could not be started (ENOENT, EACCES) comes back with `error` set and no code.
import { spawn } from 'node:child_process';

export interface RunResult {
  /** Exit code; null when the program was killed (or never started: see `error`). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all. */
  error?: string;
}

/** Runs `file` with `args`; `input`, when given, is written to its standard input. */
export type Runner = (file: string, args: string[], input?: string) => Promise<RunResult>;

/** A Runner; with `timeoutMs`, a program still running after that long is killed (code null). */
export function programRunner(timeoutMs?: number): Runner {
  return (file, args, input) =>
    new Promise((resolve) => {
      const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(timeoutMs ? { timeout: timeoutMs } : {}) });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
      child.stdout!.on('data', (d: Buffer) => out.push(d));
      child.stderr!.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => resolve({ code: null, stdout: text(out), stderr: text(err), error: e.message }));
      child.on('close', (code) => resolve({ code, stdout: text(out), stderr: text(err) }));
      if (child.stdin) {
        child.stdin.on('error', () => {}); // the program may exit before reading all of its input
        child.stdin.end(input);
      }
    });
}

/** For the kernel's tools (ipvsadm, nft): one call taking 30 s is stuck (a batch of thousands of ipvsadm lines takes < 1 s). */
export const toolRunner = programRunner(30_000);

/** For the pair's address changes and lvs.cf's transition commands: no limit, as pulse set none. */
export const spawnRunner = programRunner();
