// The data of the REDUNDANCY panel's "Router status" section (views/partials/ha-status.eta): the
// agent's haStatus answer, its display form, and what the no-key warning tells the administrator to
// run. Shared by the full page and the fragment htmx polls, so both always show the same thing.
import { join } from 'node:path';
import type { AppContext } from './context.ts';
import { haView } from './ha-view.ts';

/** Answers meaning "no agent to ask" rather than "the agent refused": the CONTROL panel's message. */
const UNREACHABLE = new Set(['E_CONNECT', 'E_DISCONNECTED', 'E_TIMEOUT']);

export function nowText(nowMs = Date.now()): string {
  return new Date(nowMs).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

export async function haStatusData(ctx: AppContext, backupEnabled: boolean): Promise<Record<string, unknown>> {
  const ha = await ctx.agent.haStatus();
  const nowMs = Date.now();
  const view = ha.ok && ha.data ? haView(ha.data, nowMs) : null;
  // The key file path on the partner is the same as here: both routers use the same layout.
  const keyFile = join(ctx.store.root, 'conf', 'heartbeat.key');
  const partnerHost = (ha.ok && ha.data?.partner?.addresses[0]) || (view?.role === 'backup' ? 'PRIMARY' : 'BACKUP');
  return {
    ha,
    view,
    unreachable: !ha.ok && UNREACHABLE.has(ha.code ?? ''),
    socket: ctx.agent.socketPath ?? '(none)',
    now: nowText(nowMs),
    root: ctx.store.root,
    keyFile,
    partnerHost,
    backupEnabled,
  };
}
