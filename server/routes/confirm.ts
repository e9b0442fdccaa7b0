// CONFIRM and ROLL BACK NOW for a change applied with a confirmation window (every page shows the
// buttons while one is open), and the banner alone for htmx polling.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendFragment, type AppContext } from '../context.ts';
import type { Flash } from '../flash.ts';
import { clientIp } from '../security/access.ts';
import { HttpError } from '../http-error.ts';
import { confirmBanner } from '../confirm/banner.ts';

const URL = '/secure/confirm';
const bodySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  action: z.enum(['confirm', 'rollback']),
  /** Where the button was pressed: the answer goes back there (a path of this console only). */
  back: z.string().regex(/^\/secure\/[A-Za-z0-9/_-]*$/).optional(),
});

export function registerConfirm(app: FastifyInstance, ctx: AppContext): void {
  app.post(URL, async (req, reply) => {
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'Unknown button: use CONFIRM or ROLL BACK NOW.');
    const { id, action, back } = parsed.data;
    const client = clientIp(req);
    const done = action === 'confirm' ? await ctx.confirm.confirm(id, client) : await ctx.confirm.rollBack(id, client);
    const last = ctx.confirm.outcome;
    let flash: Flash;
    if (!done) {
      flash = { kind: 'error', messages: [`That change is no longer waiting for confirmation.${last ? ` ${last.message}` : ''}`] };
    } else {
      flash = { kind: last?.kind === 'rollback-failed' ? 'error' : 'ok', messages: [last?.message ?? ''] };
    }
    return reply.redirect(ctx.flash.redirectUrl(back ?? '/secure/control', flash), 303);
  });

  // The banner alone, for htmx: it disappears from the page once the window is closed.
  app.get(`${URL}/banner`, async (req, reply) => sendFragment(ctx, req, reply, 'partials/confirm-banner', { pending: confirmBanner(ctx.confirm), back: (req.query as Record<string, string>).back ?? '/secure/control' }));
}
