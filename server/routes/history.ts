// HISTORY: the saved versions of lvs.cf (history/store.ts), newest first and paged; the line diff
// between any of them and the current file; REVERT to one of them as a new save (versioned and
// audited like any other, refused with 409 when lvs.cf changed since the page was shown).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendPage, type AppContext } from '../context.ts';
import { hunkDiff } from '../line-diff.ts';
import { textDelta } from '../history/text-delta.ts';
import { baseVersion, reloadLater } from '../save-flow.ts';
import { clientIp, USER } from '../security/access.ts';
import { HttpError } from '../http-error.ts';
import type { Flash } from '../flash.ts';
import type { VersionInfo } from '../history/entries.ts';

const URL = '/secure/history';
export const HISTORY_PAGE_SIZE = 25;

const idSchema = z.string().regex(/^(\d{1,10}|legacy-lvs\.cf\.[A-Za-z0-9.-]{1,80})$/);
const listQuery = z.object({ page: z.coerce.number().int().min(1).max(1_000_000).catch(1).default(1) });

function label(v: VersionInfo): string {
  return v.serial === null ? `version ${v.id}` : `serial ${v.serial}`;
}

export function registerHistory(app: FastifyInstance, ctx: AppContext): void {
  app.get(URL, async (req, reply) => {
    const { page } = listQuery.parse(req.query ?? {});
    const current = await ctx.store.read();
    const all = await ctx.store.history.list();
    const pages = Math.max(1, Math.ceil(all.length / HISTORY_PAGE_SIZE));
    const shown = Math.min(page, pages);
    const rows = all.slice((shown - 1) * HISTORY_PAGE_SIZE, shown * HISTORY_PAGE_SIZE).map((v) => ({
      ...v,
      label: label(v),
      current: v.version === current.version,
    }));
    const newest = all[0];
    return sendPage(ctx, req, reply, 'history', {
      rows,
      page: shown,
      pages,
      total: all.length,
      version: current.version,
      handEdited: Boolean(current.exists && newest && newest.kind !== 'legacy' && newest.version !== current.version),
      limits: ctx.store.history.limits,
    }, { title: 'HISTORY', tab: 'history', helpAnchor: 'history', serial: current.parsed.model?.serial_no ?? null });
  });

  app.get(`${URL}/diff`, async (req, reply) => {
    const id = idSchema.safeParse((req.query as Record<string, unknown> | undefined)?.id);
    if (!id.success) throw new HttpError(400, 'Which version? The link does not name a version of the history.');
    const current = await ctx.store.read();
    const kept = await ctx.store.history.textOfId(id.data, current);
    if (!kept) throw new HttpError(404, `Version ${id.data} is not (or no longer) in the history.`);
    const hunks = textDelta(kept.text, current.text);
    return sendPage(ctx, req, reply, 'history-diff', {
      info: { ...kept.info, label: label(kept.info) },
      same: hunks.length === 0,
      diff: hunkDiff(kept.text, hunks, 3),
      version: current.version,
      serial: current.parsed.model?.serial_no ?? null,
    }, { title: `HISTORY - ${label(kept.info)}`, tab: 'history', helpAnchor: 'history', serial: current.parsed.model?.serial_no ?? null });
  });

  app.post(`${URL}/revert`, async (req, reply) => {
    const version = baseVersion(req.body);
    const id = idSchema.safeParse((req.body as Record<string, unknown>).id);
    if (!id.success) throw new HttpError(400, 'Which version? The form does not name a version of the history.');
    const target = (await ctx.store.history.list()).find((v) => v.id === id.data);
    if (!target) throw new HttpError(404, `Version ${id.data} is not (or no longer) in the history.`);
    const what = label(target);
    const result = await ctx.confirm.restore({
      baseVersion: version,
      client: clientIp(req),
      user: USER,
      action: `revert to ${what} of ${target.time}`,
      note: { revert: { id: target.id, version: target.version, serial: target.serial } },
      restoreText: async (current) => {
        const kept = await ctx.store.history.textOfId(target.id, current);
        if (!kept) throw new HttpError(404, `Version ${target.id} is no longer in the history.`);
        if (kept.text === current.text) throw new HttpError(409, `lvs.cf is already ${what}: nothing to revert.`);
        return kept.text;
      },
    });
    if (result.kind === 'conflict') {
      throw new HttpError(409, `Nothing was reverted: lvs.cf changed since this page was shown (a save from the console, or a hand edit), so reverting now could undo a change you have not seen. Look at the history again and choose once more.`);
    }
    if (result.kind === 'invalid') {
      const flash: Flash = { kind: 'error', messages: [`Nothing was saved: ${what} does not pass today's checks:`, ...result.diagnostics.map((d) => (d.line ? `line ${d.line}: ${d.message}` : d.message))] };
      return reply.redirect(ctx.flash.redirectUrl(URL, flash), 303);
    }
    if (result.kind !== 'saved') throw new HttpError(409, 'Nothing was reverted.');
    const flash: Flash = { kind: 'ok', messages: [`Reverted to ${what} of ${target.time}: saved as lvs.cf serial ${result.serialTo}.`] };
    return reply.redirect(ctx.flash.redirectUrl(URL, flash, reloadLater(ctx, flash)), 303);
  });
}
