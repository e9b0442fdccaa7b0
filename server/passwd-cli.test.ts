// piranha-passwd as a real child process: --stdin, the argument form and its warning, refusals,
// usage errors, file mode and hash, and the interactive prompt under a pseudo-terminal.
import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable, PassThrough } from 'node:stream';
import { missingTool } from '../testing/requirements.ts';
import { tempRootFor } from '../testing/temp.ts';
import { PasswordStore } from './password-file.ts';
import { main } from './passwd-cli.ts';

const BIN = fileURLToPath(new URL('../bin/piranha-passwd.js', import.meta.url));

type Result = { code: number | null; stdout: string; stderr: string };

function run(args: string[], input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** The same main() in this process, for the cases where a child process adds nothing. */
async function runHere(args: string[], input = ''): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await main(args, { stdin: Readable.from([Buffer.from(input)]), stdout, stderr });
  return { code, stdout: out, stderr: err };
}

/** A temporary root, removed after the test, and where its password file goes. */
async function scratchRoot(t: TestContext): Promise<{ root: string; file: string }> {
  const { root } = await tempRootFor(t, 'piranha-passwd-');
  return { root, file: join(root, 'conf', 'piranha.passwd') };
}

async function verifies(file: string, password: string): Promise<boolean> {
  return new PasswordStore({ file }).verify('piranha', password);
}

// --- interactive, under a pseudo-terminal made by util-linux `script` ---------------------------

// Without `script` there is no pseudo-terminal to test the prompt in.
const noScript = missingTool('script') ?? false;

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs piranha-passwd on a pty, typing `keys` once "New Password: " appeared and then, when given,
 * `verify` once "Verify: " appeared.
 */
function interact(root: string, keys: string, verify?: string): Promise<{ code: number | null; output: string }> {
  const answers: Array<[prompt: string, keys: string]> = [['New Password: ', keys]];
  if (verify !== undefined) answers.push(['Verify: ', verify]);
  return new Promise((resolve, reject) => {
    const command = `${shq(process.execPath)} ${shq(BIN)} --root ${shq(root)}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } });
    let output = '';
    let step = 0;
    let searchFrom = 0;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`piranha-passwd did not finish within 30 s; output so far: ${JSON.stringify(output)}`));
    }, 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
      while (step < answers.length) {
        const at = output.indexOf(answers[step][0], searchFrom);
        if (at === -1) break;
        searchFrom = at + answers[step][0].length;
        child.stdin.write(answers[step][1]);
        step++;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, output });
    });
  });
}

// The cases are independent (own temp root each) and mostly wait on child processes, so they run
// side by side to keep the file fast on a busy machine.
describe('piranha-passwd', { concurrency: 4 }, () => {
  test('--stdin reads one line, writes a 0600 bcrypt file that verifies, and says where', async (t) => {
    const { root, file } = await scratchRoot(t);
    const r = await run(['--root', root, '--stdin'], 'correct horse battery\nsecond line is ignored\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`written to ${file.replace(/[.]/g, '\\.')} \\(mode 0600\\)`));
    assert.match(r.stdout, /no restart is needed/);
    assert.match(await readFile(file, 'utf8'), /^piranha:\$2b\$12\$[./A-Za-z0-9]{53}\n$/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await verifies(file, 'correct horse battery'), true);
    assert.equal(await verifies(file, 'second line is ignored'), false);
  });

  test('--stdin accepts a last line without a line break, and CRLF', async (t) => {
    const { root, file } = await scratchRoot(t);
    assert.equal((await runHere(['--root', root, '--stdin'], 'no newline at end')).code, 0);
    assert.equal(await verifies(file, 'no newline at end'), true);
    assert.equal((await runHere(['--root', root, '--stdin'], 'from windows\r\n')).code, 0);
    assert.equal(await verifies(file, 'from windows'), true);
  });

  test('a password argument works but warns that it is visible; a running store sees the change', async (t) => {
    const { root, file } = await scratchRoot(t);
    assert.equal((await run([`--root=${root}`, '--stdin'], 'the old one\n')).code, 0);
    const store = new PasswordStore({ file });
    assert.equal(await store.verify('piranha', 'the old one'), true);

    const r = await run(['--root', root, '--', '-starts with a dash']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: a password given on the command line is visible to other users in the process list/);
    assert.match(r.stderr, /shell history/);
    assert.equal(await store.verify('piranha', 'the old one'), false);
    assert.equal(await store.verify('piranha', '-starts with a dash'), true);
  });

  test('refuses empty and over-long passwords with exit 1 and leaves the file alone', async (t) => {
    const { root, file } = await scratchRoot(t);
    const empty = await run(['--root', root, '--stdin'], '\n');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /The password is empty\. The password was not changed\./);
    assert.equal(existsSync(file), false);

    const none = await runHere(['--root', root, '--stdin'], '');
    assert.equal(none.code, 1);
    assert.equal(existsSync(file), false);

    const long = await run(['--root', root, '--stdin'], `${'ü'.repeat(37)}\n`);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /74 bytes long in UTF-8.*at most 72 bytes/);
    assert.equal(existsSync(file), false);

    assert.equal((await runHere(['--root', root, 'good password'])).code, 0);
    const before = await readFile(file, 'utf8');
    const refused = await runHere(['--root', root, 'x'.repeat(73)]);
    assert.equal(refused.code, 1);
    assert.equal(await readFile(file, 'utf8'), before);
  });

  test('usage errors exit 2', async (t) => {
    const { root, file } = await scratchRoot(t);
    const child = await run(['--root', root, '--bogus'], '');
    assert.equal(child.code, 2);
    assert.match(child.stderr, /Unknown option '--bogus'/);
    assert.match(child.stderr, /usage: piranha-passwd/);

    const cases: Array<[string[], RegExp]> = [
      [['--root', root, 'two', 'words'], /too many arguments/],
      [['--root', root, '--stdin', 'pw'], /either with --stdin or as an argument/],
      [['--root'], /--root/],
      [['--root', root], /not a terminal; use --stdin/], // stdin is not a TTY here
    ];
    for (const [args, message] of cases) {
      const r = await runHere(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(existsSync(file), false);
    const help = await runHere(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: piranha-passwd \[--root DIR\] \[--stdin\] \[PASSWORD\]/);
  });

  test('a root that cannot hold conf/ is reported with exit 1', async (t) => {
    const { root } = await scratchRoot(t);
    const notAFolder = join(root, 'plain-file');
    await writeFile(notAFolder, 'x');
    const r = await runHere(['--root', notAFolder, '--stdin'], 'password123\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot write .*plain-file\/conf\/piranha\.passwd.*The password was not changed/);
  });

  test('interactive: asks twice without echo; backspace removes a whole character', { skip: noScript }, async (t) => {
    const { root, file } = await scratchRoot(t);
    const r = await interact(root, 'tyop\x7f\x7fpo s3cret ü\x7fé\r', 'typo s3cret é\r');
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /New Password: \r?\nVerify: \r?\n/);
    assert.match(r.output, /written to .*piranha\.passwd \(mode 0600\)/);
    assert.ok(!/s3cret|tyop/.test(r.output), `the password was echoed: ${JSON.stringify(r.output)}`);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(await verifies(file, 'typo s3cret é'), true);
  });

  test('interactive: a mismatch, an empty password and Ctrl-C are refused with exit 1', { skip: noScript }, async (t) => {
    const { root, file } = await scratchRoot(t);
    const mismatch = await interact(root, 'first try\r', 'first tyr\r');
    assert.equal(mismatch.code, 1, mismatch.output);
    assert.match(mismatch.output, /the passwords do not match\. The password was not changed\./);

    const empty = await interact(root, '\r');
    assert.equal(empty.code, 1, empty.output);
    assert.match(empty.output, /The password is empty/);
    assert.ok(!empty.output.includes('Verify: '), 'an empty password is refused before asking again');

    const cancelled = await interact(root, 'half\x03');
    assert.equal(cancelled.code, 1, cancelled.output);
    assert.match(cancelled.output, /cancelled\. The password was not changed\./);
    assert.equal(existsSync(file), false);
  });
});
