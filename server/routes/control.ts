// CONTROL/MONITORING: what the agent reports (daemon status, routing table in the layout of
// `ipvsadm -L -n`, checker states), auto update (htmx polling, or a meta refresh without JavaScript),
// START / STOP / RELOAD, and "check now" with its transcript. Works, and says why, with no agent.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServiceStats } from '../../agent/protocol/index.ts';
import { noteFileProblems, sendFragment, sendPage, type AppContext } from '../context.ts';
import type { Flash } from '../flash.ts';
import { clientIp } from '../security/access.ts';
import { HttpError } from '../http-error.ts';
import { haSummary } from '../ha-view.ts';
import { lastOutcome } from '../confirm/banner.ts';
import { trafficView } from '../observe/traffic-view.ts';

const URL = '/secure/control';
const FORWARD: Record<string, string> = { m: 'Masq', g: 'Route', i: 'Tunnel' };
export const DEFAULT_RATE = 10;

function routes(services: ServiceStats[]) {
  return services.map((s) => ({
    prot: s.fwmark ? 'FWM' : s.protocol.toUpperCase(),
    local: s.fwmark ? String(s.fwmark) : `${s.address}:${s.port}`,
    scheduler: s.scheduler,
    flags: s.persistent ? `persistent ${s.persistent}${s.pmask ? ` mask ${s.pmask}` : ''}` : '',
    problem: s.problem,
    reals: s.reals.map((r) => ({
      remote: `${r.address}:${r.port}`,
      forward: FORWARD[r.method] ?? r.method,
      weight: r.weight,
      active: r.activeConns,
      inactive: r.inactiveConns,
    })),
  }));
}

/** auto_update and rate from the query string; a bad rate falls back to the default with a message. */
function monitorParams(query: unknown) {
  const q = (query ?? {}) as Record<string, unknown>;
  const auto = q.auto_update === '1' || q.auto_update === 'on';
  const rateText = typeof q.rate === 'string' ? q.rate.trim() : String(DEFAULT_RATE);
  let rate = DEFAULT_RATE;
  let rateError = '';
  if (/^\d{1,5}$/.test(rateText) && Number(rateText) >= 1 && Number(rateText) <= 86400) rate = Number(rateText);
  else rateError = `The update frequency must be a whole number of seconds, at least 1; using ${DEFAULT_RATE}.`;
  return { auto, rate, rateText: rateError ? String(DEFAULT_RATE) : rateText, rateError };
}

const checkSchema = z.object({ virtual: z.string().min(1).max(200), server: z.string().min(1).max(200) });
const actionSchema = z.enum(['start', 'stop', 'reload']);

export function registerControl(app: FastifyInstance, ctx: AppContext): void {
  async function liveData(req: FastifyRequest) {
    const params = monitorParams(req.query);
    const [agent, snap] = await Promise.all([ctx.agent.snapshot(), ctx.store.read()]);
    return {
      ...params,
      agent,
      socket: ctx.agent.socketPath ?? '(none)',
      routes: agent.ok ? routes(agent.data.services) : [],
      haSummary: agent.ok && agent.data.ha.ok ? haSummary(agent.data.ha.data) : null,
      fileSerial: snap.parsed.model?.serial_no ?? null,
      silent: ctx.watch.view(),
      traffic: agent.ok ? await trafficView(ctx.agent, agent.data.services.map((s) => s.name)) : null,
      now: new Date().toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
    };
  }

  app.get(URL, async (req, reply) => {
    const data = await liveData(req);
    noteFileProblems(req, await ctx.store.read());
    const problems = ctx.allowlist.problems();
    const flash = ctx.flash.take((req.query as Record<string, unknown>).flash);
    const merged: Flash | null = problems.length
      ? { kind: 'error', messages: [...(flash?.messages ?? []), 'The allowlist has problems; the previous rules stay in force:', ...problems.map((p) => `${p.file}:${p.line}: ${p.message}`)], transcript: flash?.transcript }
      : flash;
    const refresh = data.auto ? `${data.rate};url=${URL}?auto_update=1&rate=${data.rate}` : undefined;
    return sendPage(ctx, req, reply, 'control', { ...data, outcome: ctx.confirm.pending ? null : lastOutcome(ctx.confirm) }, { title: 'CONTROL/MONITORING', tab: 'control', helpAnchor: 'control', refresh, flash: merged, serial: data.fileSerial });
  });

  app.get(`${URL}/live`, async (req, reply) => sendFragment(ctx, req, reply, 'partials/control-live', await liveData(req)));

  app.post(`${URL}/action`, async (req, reply) => {
    const parsed = actionSchema.safeParse((req.body as Record<string, unknown>)?.action);
    if (!parsed.success) throw new HttpError(400, 'Unknown button: use START, STOP or RELOAD.');
    const action = parsed.data;
    const answer = await ctx.agent[action]();
    await ctx.store.audit({ action: `agent ${action}`, client: clientIp(req), ok: answer.ok, result: answer.ok ? answer.data : answer.reason });
    const label = action.toUpperCase();
    const flash: Flash = answer.ok
      ? { kind: 'ok', messages: [action === 'reload' ? `RELOAD: the agent re-read lvs.cf.` : `${label}: LVS is now ${(answer.data as { running: boolean }).running ? 'running' : 'stopped'}.`] }
      : { kind: 'error', messages: [answer.code === 'E_CONNECT' || answer.code === 'E_DISCONNECTED' || answer.code === 'E_TIMEOUT'
          ? `${label} failed: the agent is not reachable at ${ctx.agent.socketPath ?? '(none)'}: ${answer.reason}`
          : `${label} failed: ${answer.reason}`] };
    return reply.redirect(ctx.flash.redirectUrl(URL, flash), 303);
  });

  app.post(`${URL}/check`, async (req, reply: FastifyReply) => {
    const parsed = checkSchema.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'Which real server to check is missing.');
    const { virtual, server } = parsed.data;
    const answer = await ctx.agent.checkNow(virtual, server);
    await ctx.store.audit({ action: `check now ${virtual}/${server}`, client: clientIp(req), ok: answer.ok, result: answer.ok ? answer.data.verdict : answer.reason });
    const flash: Flash = answer.ok
      ? { kind: answer.data.verdict === 'up' ? 'ok' : 'error', messages: [], transcript: answer.data }
      : { kind: 'error', messages: [`check now of ${virtual}/${server} failed: ${answer.reason}`] };
    return reply.redirect(ctx.flash.redirectUrl(URL, flash), 303);
  });
}
