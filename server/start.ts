// `npm start`: a working trial setup with no root privileges. Root ./var/ha; a random password is
// generated (and printed once) when none exists; the agent runs as a child on the userspace
// dataplane; the console listens on 3636. If the agent exits, the console keeps running and its
// CONTROL/MONITORING panel says why.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePassword } from './password-file.ts';
import { DEFAULT_PORT, startGui } from './main.ts';

const AGENT_BIN = fileURLToPath(new URL('../bin/piranha-agent.js', import.meta.url));

async function prepareRoot(root: string): Promise<void> {
  await mkdir(join(root, 'web', 'secure'), { recursive: true });
  await mkdir(join(root, 'run'), { recursive: true, mode: 0o750 });
  const lvs = join(root, 'lvs.cf');
  const exists = await stat(lvs).then(() => true, () => false);
  // The daemons refuse an empty file, so the trial starts from a minimal valid one.
  if (!exists) await writeFile(lvs, 'serial_no = 0\nprimary = 127.0.0.1\nnetwork = direct\n', { mode: 0o644 });
}

let stopping = false;

function startAgent(root: string, socket: string): ChildProcess {
  const child = spawn(process.execPath, [AGENT_BIN, '--root', root, '--socket', socket, '--dataplane', 'userspace'], { stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`piranha-start: the agent exited (${signal ? `signal ${signal}` : `code ${code}`}); the console keeps running and CONTROL/MONITORING shows why.`);
  });
  child.on('error', (err) => console.error(`piranha-start: could not start the agent: ${err.message}`));
  return child;
}

export async function main(argv: string[]): Promise<number> {
  const root = resolve(argv[0] ?? 'var/ha');
  await prepareRoot(root);
  const generated = await ensurePassword(join(root, 'conf', 'piranha.passwd'));
  if (generated) {
    console.log(`\nThe console password for user "piranha" is: ${generated.generated}`);
    console.log(`It is shown only this once; change it with: npx piranha-passwd --root ${relative(process.cwd(), root) || '.'}\n`);
  }
  const socket = join(root, 'run', 'agent.sock');
  const agent = startAgent(root, socket);
  const port = Number(process.env.PORT ?? DEFAULT_PORT);
  const gui = await startGui({ root, port, host: process.env.HOST ?? '0.0.0.0', 'agent-socket': socket });
  console.log(`Open http://localhost:${port}/ and log in as piranha.`);
  await new Promise<void>((done) => {
    const stop = (sig: NodeJS.Signals) => {
      stopping = true;
      if (agent.exitCode === null && agent.signalCode === null) agent.kill(sig);
      done();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await gui.close();
  if (agent.exitCode === null && agent.signalCode === null) await new Promise((r) => agent.once('exit', r));
  return 0;
}
