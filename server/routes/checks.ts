// A real server's check history: its last results, flaps and last change, as a page of its own
// (linked from CONTROL/MONITORING), as a fragment htmx refreshes, and inside the REAL SERVER panel.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { sendFragment, sendPage, type AppContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import type { AgentAnswer } from '../agent-link.ts';
import type { CheckHistoryResult } from '../../agent/protocol/index.ts';
import { trafficView } from '../observe/traffic-view.ts';

const URL = '/secure/control/checks';
/** Seconds between refreshes of the history by htmx. */
export const HISTORY_REFRESH_SEC = 5;

const querySchema = z.object({ virtual: z.string().min(1).max(200), server: z.string().min(1).max(200) });

/** Where a real server's check history page is. */
export function checkHistoryUrl(virtual: string, server: string, live = false): string {
  return `${URL}${live ? '/live' : ''}?virtual=${encodeURIComponent(virtual)}&server=${encodeURIComponent(server)}`;
}

/** What partials/check-history renders. */
export async function checkHistoryView(ctx: AppContext, virtual: string, server: string) {
  const answer: AgentAnswer<CheckHistoryResult> = await ctx.agent.checkHistory(virtual, server);
  return { virtual, server, answer, socket: ctx.agent.socketPath ?? '(none)', live: checkHistoryUrl(virtual, server, true), page: checkHistoryUrl(virtual, server), refresh: HISTORY_REFRESH_SEC };
}

function parseQuery(query: unknown) {
  const q = querySchema.safeParse(query);
  if (!q.success) throw new HttpError(400, 'Which real server: give virtual and server (their lvs.cf names).');
  return q.data;
}

export function registerChecks(app: FastifyInstance, ctx: AppContext): void {
  app.get(URL, async (req, reply) => {
    const { virtual, server } = parseQuery(req.query);
    const view = await checkHistoryView(ctx, virtual, server);
    const status = !view.answer.ok && view.answer.code === 'E_NOT_FOUND' ? 404 : 200;
    return sendPage(ctx, req, reply, 'check-history', view, { title: `CHECK HISTORY ${virtual} / ${server}`, tab: 'control', helpAnchor: 'control', status, refresh: `${HISTORY_REFRESH_SEC}` });
  });
  // The TRAFFIC section of CONTROL/MONITORING, refreshed by htmx: v=NAME for each virtual server.
  app.get('/secure/control/traffic', async (req, reply) => {
    const v = (req.query as Record<string, unknown>).v;
    const names = (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 200);
    return sendFragment(ctx, req, reply, 'partials/traffic', await trafficView(ctx.agent, names));
  });
  app.get(`${URL}/live`, async (req, reply) => {
    const { virtual, server } = parseQuery(req.query);
    return sendFragment(ctx, req, reply, 'partials/check-history', await checkHistoryView(ctx, virtual, server));
  });
}
