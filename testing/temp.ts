// One temporary folder per test or test file, under the system's temp folder, removed after.
import { mkdtemp, rm } from 'node:fs/promises';
import type { TestContext } from 'node:test';
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

/** A temporary folder for the test `t`, removed when it ends, passed or failed. */
export async function tempRootFor(t: TestContext, prefix?: string): Promise<TempRoot> {
  const r = await tempRoot(prefix);
  t.after(r.remove);
  return r;
}
