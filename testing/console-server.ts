// Starts a real piranha-gui on a loopback address and port for browser tests, on a temp root with a
// known password (bcrypt cost 4 to keep the suite quick) and an optional allowlist and agent socket.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGui, type RunningGui } from '../server/main.ts';
import { writePasswordFile } from '../server/password-file.ts';

export const PASSWORD = 'e2e password 1';

export interface Harness {
  root: string;
  url: string;
  lvsPath: string;
  lvs(): Promise<string>;
  close(): Promise<void>;
}

export async function startConsole(opts: { host?: string; lvs?: string; htaccess?: string; agentInRoot?: boolean; prepare?: (root: string) => Promise<void> } = {}): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'piranha-e2e-'));
  await mkdir(join(root, 'web', 'secure'), { recursive: true });
  await writePasswordFile(join(root, 'conf', 'piranha.passwd'), PASSWORD, 4);
  if (opts.htaccess !== undefined) await writeFile(join(root, 'web', 'secure', '.htaccess'), opts.htaccess);
  const lvsPath = join(root, 'lvs.cf');
  if (opts.lvs !== undefined) await writeFile(lvsPath, opts.lvs);
  if (opts.prepare) await opts.prepare(root);
  const host = opts.host ?? '127.0.0.1';
  let gui: RunningGui;
  gui = await startGui({ root, port: 0, host, ...(opts.agentInRoot ? { 'agent-socket': join(root, 'agent.sock') } : {}) }, () => {});
  return {
    root,
    url: gui.url,
    lvsPath,
    lvs: () => readFile(lvsPath, 'utf8').catch(() => ''),
    async close() {
      await gui.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
