// piranha-passwd: sets the console password (the only way to set it; the web console never does).
//
//   piranha-passwd [--root DIR] [--stdin] [PASSWORD]
//
// Interactive by default: asks twice on the terminal without echo. `--stdin` reads one line for
// scripts. A password argument works, like the original's, but is visible in `ps` and in shell
// history, so it prints a warning. Exit codes: 0 written, 1 refused or failed, 2 usage.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import type { ReadStream } from 'node:tty';
import { writePasswordFile, validateNewPassword } from './password-file.ts';

export const DEFAULT_ROOT = '/etc/sysconfig/ha';
const RECOMMENDED_LENGTH = 8;
/** A line longer than this cannot be a valid password (72 bytes max); stop reading there. */
const MAX_LINE_BYTES = 4096;

const USAGE = `usage: piranha-passwd [--root DIR] [--stdin] [PASSWORD]

Sets the password of the Piranha console's user "piranha".
Writes DIR/conf/piranha.passwd (default DIR: ${DEFAULT_ROOT}) with a bcrypt hash, mode 0600.

  --root DIR   configuration root (default ${DEFAULT_ROOT})
  --stdin      read the password from the first line of standard input (for scripts)
  PASSWORD     the password itself; visible to other users in the process list, avoid it
  -h, --help   show this help

Without --stdin or PASSWORD, asks for the password twice on the terminal without echo.
Passwords may be up to 72 bytes of UTF-8 (bcrypt ignores anything longer).`;

class Cancelled extends Error {}

type Io = { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };

export async function main(argv: string[], io: Io = process): Promise<number> {
  const say = (s: string) => io.stdout.write(`${s}\n`);
  const complain = (s: string) => io.stderr.write(`piranha-passwd: ${s}\n`);

  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        stdin: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    complain((err as Error).message);
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    say(USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    complain('too many arguments (a password with spaces must be quoted)');
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (values.stdin && positionals.length === 1) {
    complain('give the password either with --stdin or as an argument, not both');
    return 2;
  }
  if (values.root === '') {
    complain('--root needs a folder');
    return 2;
  }
  const file = join(values.root ?? DEFAULT_ROOT, 'conf', 'piranha.passwd');

  let password: string;
  try {
    if (positionals.length === 1) {
      complain('warning: a password given on the command line is visible to other users in the process list and stays in your shell history; prefer the prompt or --stdin');
      password = positionals[0];
    } else if (values.stdin) {
      password = await readLine(io.stdin);
    } else {
      const tty = io.stdin as ReadStream;
      if (!tty.isTTY || typeof tty.setRawMode !== 'function') {
        complain('standard input is not a terminal; use --stdin to read the password from a pipe');
        return 2;
      }
      const prompt = new RawPrompt(tty, io.stderr);
      try {
        password = await prompt.ask('New Password: ');
        const problem = validateNewPassword(password);
        if (problem) {
          complain(`${problem} The password was not changed.`);
          return 1;
        }
        const again = await prompt.ask('Verify: ');
        if (again !== password) {
          complain('the passwords do not match. The password was not changed.');
          return 1;
        }
      } finally {
        prompt.close();
      }
    }
  } catch (err) {
    if (err instanceof Cancelled) {
      complain('cancelled. The password was not changed.');
      return 1;
    }
    throw err;
  }

  const problem = validateNewPassword(password);
  if (problem) {
    complain(`${problem} The password was not changed.`);
    return 1;
  }
  if ([...password].length < RECOMMENDED_LENGTH) {
    complain(`warning: the password is shorter than ${RECOMMENDED_LENGTH} characters; a longer one is much harder to guess`);
  }
  try {
    await writePasswordFile(file, password);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied (run it as root, or pass --root)' : e.message;
    complain(`cannot write ${file}: ${why}. The password was not changed.`);
    return 1;
  }
  say(`piranha-passwd: the new password hash was written to ${file} (mode 0600).`);
  say('The console uses it from the next request on; no restart is needed.');
  return 0;
}

/** Reads up to the first line break (or end of input) without waiting for more. */
function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = () => {
      cleanup();
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(0x0a);
      const line = (nl === -1 ? all : all.subarray(0, nl)).toString('utf8');
      resolve(line.endsWith('\r') ? line.slice(0, -1) : line);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(buf);
      length += buf.length;
      if (buf.includes(0x0a) || length > MAX_LINE_BYTES) finish();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', finish);
      stream.off('error', onError);
      stream.pause();
    };
    stream.on('data', onData);
    stream.on('end', finish);
    stream.on('error', onError);
    stream.resume();
  });
}

/**
 * Reads lines from a terminal in raw mode, echoing nothing. Understands Enter (CR or LF),
 * Backspace/Delete (removes one whole UTF-8 character), Ctrl-U (clears the line), Ctrl-C and
 * Ctrl-D on an empty line (cancel). Bytes typed ahead (a paste of both lines) are kept for the
 * next prompt.
 */
class RawPrompt {
  private pending: number[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private readonly onData = (chunk: Buffer | string) => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (const b of buf) this.pending.push(b);
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };

  constructor(
    private readonly tty: ReadStream,
    private readonly out: NodeJS.WritableStream,
  ) {
    tty.setRawMode(true);
    tty.on('data', this.onData);
    tty.on('end', this.onEnd);
    tty.resume();
  }

  async ask(prompt: string): Promise<string> {
    this.out.write(prompt);
    const line: number[] = [];
    try {
      for (;;) {
        const b = await this.nextByte();
        if (b === null) throw new Cancelled();
        if (b === 0x0d || b === 0x0a) break;
        if (b === 0x03) throw new Cancelled(); // Ctrl-C: raw mode delivers it instead of SIGINT
        if (b === 0x04) {
          if (line.length === 0) throw new Cancelled();
          continue;
        }
        if (b === 0x7f || b === 0x08) {
          // Drop UTF-8 continuation bytes (10xxxxxx), then the lead byte.
          while (line.length > 0 && (line[line.length - 1] & 0xc0) === 0x80) line.pop();
          line.pop();
          continue;
        }
        if (b === 0x15) {
          line.length = 0;
          continue;
        }
        if (b === 0x1b) {
          this.skipEscapeSequence();
          continue;
        }
        if (b < 0x20 && b !== 0x09) continue; // other control keys mean nothing here
        line.push(b);
      }
    } finally {
      this.out.write('\n');
    }
    return Buffer.from(line).toString('utf8');
  }

  close(): void {
    this.tty.off('data', this.onData);
    this.tty.off('end', this.onEnd);
    this.tty.setRawMode(false);
    this.tty.pause();
  }

  /** Arrow and function keys send ESC [ … final-byte; none of it belongs in a password. */
  private skipEscapeSequence(): void {
    if (this.pending[0] !== 0x5b && this.pending[0] !== 0x4f) return;
    this.pending.shift();
    while (this.pending.length > 0) {
      const b = this.pending.shift() as number;
      if (b >= 0x40 && b <= 0x7e) return;
    }
  }

  private async nextByte(): Promise<number | null> {
    while (this.pending.length === 0) {
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return this.pending.shift() as number;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
