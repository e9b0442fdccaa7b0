// A small JSON state file in the console's root (a pending confirmation, drains in progress): read
// through its zod schema, written atomically. The console's own state, kept beside lvs.cf so that
// it outlives the browser and a restart of the console.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { writeFileAtomic } from '../common/atomic-write.ts';

export class StateFile<S extends z.ZodType> {
  constructor(
    readonly path: string,
    private readonly schema: S,
    private readonly empty: z.infer<S>,
    private readonly warn: (message: string) => void,
  ) {}

  /** The saved state; the empty one when there is none, or when it cannot be read (said in the log). */
  async read(): Promise<z.infer<S>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.empty;
      this.warn(`cannot read ${this.path}: ${(err as Error).message}; starting without it`);
      return this.empty;
    }
    try {
      const parsed = this.schema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      this.warn(`${this.path} does not hold what the console expects (${parsed.error.issues[0]?.message ?? 'invalid'}); starting without it`);
    } catch (err) {
      this.warn(`${this.path} is not JSON (${(err as Error).message}); starting without it`);
    }
    return this.empty;
  }

  async write(state: z.infer<S>): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(state, null, 1) + '\n', 0o640);
  }
}
