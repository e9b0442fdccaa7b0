// The pages outside /secure: welcome (with the Login button), INTRODUCTION and HELP. They need no
// password, as in the original, but the allowlist still applies to them.
import type { FastifyInstance } from 'fastify';
import { sendPage, type AppContext } from '../context.ts';

export function registerPublic(app: FastifyInstance, ctx: AppContext): void {
  app.get('/', async (req, reply) =>
    sendPage(ctx, req, reply, 'welcome', { problems: [] }, { title: 'Welcome', secure: false, flash: null }),
  );
  app.get('/introduction', async (req, reply) => sendPage(ctx, req, reply, 'introduction', {}, { title: 'INTRODUCTION', secure: false, flash: null }));
  app.get('/help', async (req, reply) => sendPage(ctx, req, reply, 'help', {}, { title: 'HELP', secure: false, flash: null }));
}
