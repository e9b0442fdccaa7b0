// send_program probe: run the administrator's checking program with %h/%p replaced, as an
// argument array (never a shell), kill it (and anything it started) at the deadline, and compare
// its output with expect. Unlike nanny, a program that fails or times out means the server is down.
import { spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { BadRegexError, MAX_READ, compileRegex } from './expect.ts';
import { EMPTY, append, formatSeconds, type ProbeResult } from './outcome.ts';
import { printable } from './escape.ts';

export interface ProgramProbe {
  /** As written in lvs.cf, e.g. "/usr/local/bin/check_dns %h %p". */
  command: string;
  address: string;
  port: number;
  /** Already unescaped; null: exit status 0 means up. */
  expect: string | null;
  useRegex: boolean;
  timeoutSec: number;
}

/**
 * The argument vector: split on whitespace; tokens that are exactly `%h` / `%p` become the real
 * server's address / port (nanny replaced whole tokens only, so `--host=%h` stays as written).
 */
export function programArgv(command: string, address: string, port: number): string[] {
  return command
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map((t) => (t === '%h' ? address : t === '%p' ? String(port) : t));
}

export function programProbe(p: ProgramProbe, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const argv = programArgv(p.command, p.address, p.port);
    const file = argv[0];
    if (!file) return resolve({ ok: false, received: EMPTY, error: 'send_program is empty' });
    // No PATH search: what runs as root must be exactly the file the administrator named.
    if (!isAbsolute(file)) {
      return resolve({ ok: false, received: EMPTY, error: `send_program must be an absolute path, got "${printable(file)}"` });
    }
    let re: RegExp | null = null;
    if (p.expect !== null && p.useRegex) {
      try {
        re = compileRegex(p.expect);
      } catch (e) {
        if (e instanceof BadRegexError) return resolve({ ok: false, received: EMPTY, error: e.message });
        throw e;
      }
    }

    const secs = formatSeconds(p.timeoutSec);
    let out: Buffer = EMPTY;
    let done = false;
    let timedOut = false;

    // detached: the program leads its own process group, so a timeout kills its children too
    // (a shell script running dig must not leave dig behind).
    const child = spawn(file, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], detached: true });

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    let exitCode: number | null = null;
    const finish = (ok: boolean, error: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ ok, received: out, error, exitCode });
    };
    const onAbort = (): void => {
      killGroup();
      finish(false, 'check cancelled');
    };

    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, p.timeoutSec * 1000);

    if (signal) {
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    }

    // Keep draining past the cap so the program never blocks on a full pipe.
    child.stdout!.on('data', (chunk: Buffer) => {
      out = append(out, chunk, MAX_READ);
    });
    child.on('error', (err) => {
      killGroup();
      finish(false, err.message);
    });
    // Whatever the program left running would hold stdout open and delay 'close' to the deadline.
    child.on('exit', killGroup);
    child.on('close', (code, sig) => {
      exitCode = code;
      if (timedOut) return finish(false, `send_program timed out after ${secs} s (killed)`);
      if (sig) return finish(false, `send_program killed by ${sig}`);
      if (code !== 0) return finish(false, `send_program exited with status ${code}`);
      if (p.expect === null) return finish(true, null);
      // nanny chopped the last byte assuming a newline; we chop one trailing newline if present.
      let text = out.toString('utf8');
      if (text.endsWith('\n')) text = text.slice(0, -1);
      const ok = re ? re.test(text) : text === p.expect;
      if (ok) return finish(true, null);
      const wanted = re ? `a match for /${re.source}/` : `"${printable(p.expect)}"`;
      finish(false, `expected ${wanted}, got "${printable(text)}"`);
    });
  });
}
