// Boots the kernel test guest once and collects what the suite reported. QEMU's software emulator
// (TCG on one host thread, `-cpu max`: see GUEST_ACCEL), the host's root shared read-only
// over 9p as the guest's root, and a fresh host folder shared read-write for the results. The
// serial console is kept in console.log beside the results: it is what a failure shows.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import type { GuestImage } from './image.ts';
import { REPO_ROOT } from '../../../testing/paths.ts';

/** One line of the guest's reporter (reporter.mjs): a test's result, or how long a file took. */
export const guestLineSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('test'),
    file: z.string(),
    name: z.string(),
    status: z.enum(['pass', 'fail', 'skip']),
    durationMs: z.number(),
    message: z.string().optional(),
    /** What the test said with t.diagnostic(). */
    diagnostics: z.array(z.string()).default([]),
  }),
  z.object({ kind: z.literal('file'), file: z.string(), durationMs: z.number() }),
]);
export type GuestResult = Extract<z.infer<typeof guestLineSchema>, { kind: 'test' }>;
export type GuestFile = Extract<z.infer<typeof guestLineSchema>, { kind: 'file' }>;

export interface GuestRun {
  results: GuestResult[];
  /** Each suite file's time in the guest, setup and teardown included. */
  files: GuestFile[];
  /** Exit code of the guest's test runner; null when it never finished. */
  exitCode: number | null;
  /** Why the run is incomplete (no boot, QEMU died, time up), else null. */
  problem: string | null;
  console: string;
  consolePath: string;
  /** From starting QEMU until the guest had mounted the host root; null when it never did. */
  bootMs: number | null;
  totalMs: number;
}

export interface BootOptions {
  /** The folder for this run's results and console log (emptied first). */
  workDir: string;
  /** Tools compiled for the guest (tools.ts). */
  toolsDir: string;
  /** Runs only the suite files whose path contains this text (or one of these, comma-separated). */
  only?: string;
  /** Trials of each failover measurement (the suite's own default when unset). */
  trials?: string;
  /** What the guest runs: the kernel suite (default) or the kernel bench (bench/kernel/). */
  entry?: 'suite' | 'bench';
  bootTimeoutMs?: number;
  runTimeoutMs?: number;
  /** Each console line as it arrives (progress). */
  onLine?: (line: string) => void;
}

/** Printed by init.sh once the host root is mounted: from then on the guest has booted. */
const BOOTED = 'piranha-guest: host root mounted';
/** The console text kept in memory (the file has all of it). */
const CONSOLE_LIMIT = 4 * 1024 * 1024;

function kernelWord(name: string, value: string): string {
  // The kernel splits its command line at blanks and hands name=value words to /init's environment.
  if (!/^[\w./+:@,-]*$/.test(value)) throw new Error(`${name} "${value}" cannot be passed on the kernel command line (blanks or odd characters)`);
  return `${name}=${value}`;
}

/**
 * QEMU's most complete CPU model: node crashes on the default one. (Without PKU, `max,-pku`,
 * node crashed as well: memory protection keys were not the cause.)
 */
export const GUEST_CPU = 'max';
/**
 * TCG with one host thread for all the guest's CPUs. With QEMU's default multi-threaded TCG (a
 * host thread per guest CPU) node crashed now and then while loading, always inside WebAssembly
 * (the TypeScript loader's lexer): a SIGSEGV, or V8's trap handler turning a fault at one of its
 * guarded loads into "RuntimeError: memory access out of bounds". V8 compiles WebAssembly lazily
 * and tiers it up on background threads, patching the jump table that another thread is running
 * through: code modified on one CPU while another executes it, which the emulator's parallel CPUs
 * can miss. One thread runs the guest's CPUs in turn, so each sees the other's code changes.
 */
export const GUEST_ACCEL = 'tcg,thread=single';

export function qemuArgs(image: GuestImage, resultsDir: string, toolsDir: string, only: string, trials = '', entry: 'suite' | 'bench' = 'suite'): string[] {
  if (resultsDir.includes(',')) throw new Error(`QEMU cannot share a folder whose path has a comma: ${resultsDir}`);
  const append = [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    kernelWord('piranha_repo', REPO_ROOT),
    kernelWord('piranha_modroot', image.moduleRoot),
    kernelWord('piranha_tools', toolsDir),
    ...(only ? [kernelWord('piranha_only', only)] : []),
    ...(trials ? [kernelWord('piranha_trials', trials)] : []),
    kernelWord('piranha_entry', entry),
  ].join(' ');
  const cpus = Math.min(4, Math.max(2, availableParallelism()));
  return [
    '-accel', GUEST_ACCEL, '-cpu', GUEST_CPU, '-m', '2048', '-smp', String(cpus),
    '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot',
    '-kernel', image.kernel, '-initrd', image.initrd, '-append', append,
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${resultsDir},mount_tag=results,security_model=none`,
  ];
}

export async function bootGuest(image: GuestImage, opts: BootOptions): Promise<GuestRun> {
  const resultsDir = join(opts.workDir, 'results');
  rmSync(opts.workDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const consolePath = join(opts.workDir, 'console.log');
  const consoleFile = createWriteStream(consolePath);
  const started = Date.now();
  let bootMs: number | null = null;
  let problem: string | null = null;
  let text = '';
  let partial = '';

  const qemu = spawn('qemu-system-x86_64', qemuArgs(image, resultsDir, opts.toolsDir, opts.only ?? '', opts.trials ?? '', opts.entry), { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => qemu.kill('SIGKILL');
  process.once('exit', killOnExit);
  const addText = (s: string) => {
    consoleFile.write(s);
    if (text.length < CONSOLE_LIMIT) text += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (bootMs === null && line.includes(BOOTED)) bootMs = Date.now() - started;
      opts.onLine?.(line);
    }
  };
  // One decoder for the serial console: a character's bytes may arrive in two chunks.
  const decoder = new StringDecoder('utf8');
  qemu.stdout.on('data', (chunk: Buffer) => addText(decoder.write(chunk).replace(/\r/g, '')));
  // QEMU's own complaints (bad options, a missing file) come on stderr.
  qemu.stderr.on('data', (chunk: Buffer) => addText(`qemu: ${chunk.toString('utf8')}`));

  const bootTimer = setTimeout(() => {
    if (bootMs !== null) return;
    problem = `the guest did not boot within ${(opts.bootTimeoutMs ?? 180_000) / 1000} s (no "${BOOTED}" on its console)`;
    qemu.kill('SIGKILL');
  }, opts.bootTimeoutMs ?? 180_000);
  const runTimer = setTimeout(() => {
    problem = `the guest was still running after ${(opts.runTimeoutMs ?? 45 * 60_000) / 60_000} min and was stopped`;
    qemu.kill('SIGKILL');
  }, opts.runTimeoutMs ?? 45 * 60_000);

  const exit = await new Promise<{ code: number | null; signal: string | null; error?: Error }>((resolve) => {
    qemu.once('error', (error) => resolve({ code: null, signal: null, error }));
    qemu.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(bootTimer);
  clearTimeout(runTimer);
  process.off('exit', killOnExit);
  await new Promise<void>((r) => consoleFile.end(r));

  if (exit.error) problem ??= `qemu-system-x86_64 could not be started: ${exit.error.message}`;
  else if (bootMs === null) problem ??= `the guest did not boot: QEMU exited (code ${exit.code}, signal ${exit.signal}) before "${BOOTED}"`;
  const codeFile = join(resultsDir, 'exit-code');
  const exitCode = existsSync(codeFile) ? Number(readFileSync(codeFile, 'utf8').trim()) : null;
  if (exitCode === null) problem ??= 'the guest stopped before its test runner finished (no exit code in the results)';
  return { ...readResults(join(resultsDir, 'results.jsonl')), exitCode, problem, console: text, consolePath, bootMs, totalMs: Date.now() - started };
}

/** The reporter's lines; a line that does not parse is itself reported as a failure. */
function readResults(path: string): { results: GuestResult[]; files: GuestFile[] } {
  const results: GuestResult[] = [];
  const files: GuestFile[] = [];
  if (!existsSync(path)) return { results, files };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = null;
    }
    const r = guestLineSchema.safeParse(parsed);
    if (!r.success) results.push({ kind: 'test', file: 'guest', name: 'a result line from the guest', status: 'fail', durationMs: 0, message: `unreadable: ${line.slice(0, 500)}`, diagnostics: [] });
    else if (r.data.kind === 'file') files.push(r.data);
    else results.push(r.data);
  }
  return { results, files };
}
