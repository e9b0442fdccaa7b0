// One temporary folder per test or test file, under the system's temp folder, removed after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempRoot {
  root: string;
  /** Where an agent started on this root puts its control socket. */
  socket: string;
  remove(): Promise<void>;
}

export async function tempRoot(prefix = 'piranha-test-'): Promise<TempRoot> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  return { root, socket: join(root, 'agent.sock'), remove: () => rm(root, { recursive: true, force: true }) };
}
