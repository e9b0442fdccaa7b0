// Fixes for the whole file that no panel field covers: converting CRLF or stray CR line endings to
// LF (the CRLF / MIXEDEOL errors). Goes through the one save path: version check, history, audit.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { requireModel, runSave } from '../save-flow.ts';

/** Where to go back to: one of the console's own panels (never an address from elsewhere). */
const back = z.string().regex(/^\/secure\/[a-z0-9/]{0,80}$/).catch('/secure/control');

export function registerFileFix(app: FastifyInstance, ctx: AppContext): void {
  app.post('/secure/lvs.cf/line-endings', async (req, reply) => {
    const url = back.parse((req.body as Record<string, unknown> | undefined)?.back);
    return runSave({
      ctx, req, reply, tab: 'control', reloadUrl: url, successUrl: url,
      action: 'convert the line endings of lvs.cf to LF',
      build: (cur) => {
        requireModel(cur);
        return [{ op: 'useLfLineEndings' }];
      },
    });
  });
}
