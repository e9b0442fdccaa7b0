// DRAIN of a real server (/secure/virtual/N/real/M/drain) or of every real server of a virtual
// server (/secure/virtual/N/drain): the page starts the drain (weight 0, saved), shows the active
// connections falling (htmx every 2 s; without JavaScript a refresh every 5 s and a REFRESH link),
// and offers DEACTIVATE once they reach 0, or UNDRAIN to give the weight back. What a drain is and
// why it is a saved weight: drain/drains.ts and server/README.md.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LvsConfig, RealServer } from '../../lvs-cf/index.ts';
import type { RealStats } from '../../agent/protocol/index.ts';
import { sendFragment, sendPage, type AppContext } from '../context.ts';
import { modelPage } from '../context.ts';
import { baseVersion, requireModel, runSave } from '../save-flow.ts';
import type { Snapshot } from '../config-store.ts';
import { HttpError } from '../http-error.ts';
import { clientIp } from '../security/access.ts';
import { describeSeconds } from '../confirm/pending.ts';
import { drainLabel, endDrain, inEffect, startDrain, type Drain } from '../drain/drains.ts';
import { serverIndex, virtualIndex } from './params.ts';

const ACTIONS = ['drain', 'undrain', 'deactivate'] as const;
type Action = (typeof ACTIONS)[number];

interface Where {
  n: number;
  /** null: the whole virtual server. */
  m: number | null;
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const pageUrl = (w: Where) => (w.m === null ? `/secure/virtual/${w.n}/drain` : `/secure/virtual/${w.n}/real/${w.m}/drain`);

function where(params: unknown, model: LvsConfig, whole: boolean): Where {
  const n = virtualIndex(params, model);
  return { n, m: whole ? null : serverIndex(params, model, n) };
}

/** The servers a drain of `w` concerns: the one real server, or the virtual server's active ones. */
function targets(model: LvsConfig, w: Where): RealServer[] {
  const v = model.virtuals[w.n]!;
  return w.m === null ? v.servers.filter((s) => s.active) : [v.servers[w.m]!];
}

/** Everything the page and its live part show: the file's side, the drain's record, the agent's counts. */
async function drainData(ctx: AppContext, snap: Snapshot, model: LvsConfig, w: Where) {
  const v = model.virtuals[w.n]!;
  const sname = w.m === null ? null : v.servers[w.m]!.name;
  const servers = targets(model, w);
  const record: Drain | undefined = ctx.drains.find(v.name, sname);
  // Drained: every server concerned is active at weight 0 (a drain started by hand counts too).
  const drained = servers.length > 0 && servers.every((s) => s.active && s.weight === 0) && (!record || inEffect(record, model));
  const live = drained || servers.some((s) => s.active) ? await ctx.agent.tableOf(v.name) : null;
  const reals: RealStats[] = live?.ok ? live.data.flatMap((svc) => svc.reals) : [];
  const rows = servers.map((s) => {
    const r = reals.find((x) => x.address === s.address && x.port === s.port) ?? null;
    return { name: s.name, address: s.address, port: s.port, weight: s.weight, active: s.active, live: r };
  });
  const total = rows.reduce((sum, r) => sum + (r.live?.activeConns ?? 0), 0);
  const inactive = rows.reduce((sum, r) => sum + (r.live?.inactiveConns ?? 0), 0);
  return {
    ...w,
    version: snap.version,
    vname: v.name,
    sname,
    label: drainLabel(v.name, sname),
    /** The label at the start of a sentence. */
    Label: capitalized(drainLabel(v.name, sname)),
    vactive: v.active,
    drained,
    record: record ?? null,
    startedText: record ? record.startedAt.replace('T', ' ').slice(0, 19) + ' UTC' : null,
    deactivateText: record?.deactivateAt ? record.deactivateAt.replace('T', ' ').slice(0, 19) + ' UTC' : null,
    rows,
    total,
    inactive,
    agent: live === null ? null : live.ok ? { ok: true as const } : { ok: false as const, reason: live.reason, code: live.code },
    socket: ctx.agent.socketPath ?? '(none)',
    url: pageUrl(w),
    timeouts: ctx.drains.timeouts.map((t) => ({ value: String(t), label: describeSeconds(t) })),
    now: new Date().toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
  };
}

export function registerDrain(app: FastifyInstance, ctx: AppContext): void {
  const page = (whole: boolean) => modelPage(ctx, 'virtual', async (req, reply, snap, model) => {
    const w = where(req.params, model, whole);
    const data = await drainData(ctx, snap, model, w);
    // Without JavaScript the page reloads itself while connections are counted down.
    const refresh = data.drained ? `5;url=${data.url}` : undefined;
    return sendPage(ctx, req, reply, 'drain', data, { title: `DRAIN ${data.label}`, tab: 'virtual', helpAnchor: 'drain', serial: model.serial_no, refresh });
  });
  const live = async (req: FastifyRequest, reply: FastifyReply, whole: boolean) => {
    const snap = await ctx.store.read();
    const model = requireModel(snap);
    return sendFragment(ctx, req, reply, 'partials/drain-live', await drainData(ctx, snap, model, where(req.params, model, whole)));
  };

  const act = async (req: FastifyRequest, reply: FastifyReply, whole: boolean) => {
    baseVersion(req.body);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const action = body.action as Action;
    if (!ACTIONS.includes(action)) throw new HttpError(400, 'Unknown button: use DRAIN, UNDRAIN or DEACTIVATE.');
    const snap = await ctx.store.read();
    const model = requireModel(snap);
    const w = where(req.params, model, whole);
    const v = model.virtuals[w.n]!;
    const vname = v.name;
    const sname = w.m === null ? null : v.servers[w.m]!.name;
    const label = drainLabel(vname, sname);
    const common = { ctx, req, reply, tab: 'virtual', reloadUrl: pageUrl(w) };
    if (action === 'drain') {
      const rawTimeout = typeof body.timeout === 'string' ? body.timeout : '';
      const timeout = rawTimeout === '' ? null : Number(rawTimeout);
      if (timeout !== null && !ctx.drains.offers(timeout)) throw new HttpError(400, `"${rawTimeout.slice(0, 20)}" is not one of the deactivation delays offered.`);
      let weights: Record<string, number> = {};
      return runSave({
        ...common,
        action: `drain ${label}`,
        successUrl: pageUrl(w),
        build: (cur) => {
          const started = startDrain(requireModel(cur), vname, sname);
          if ('problem' in started) throw new HttpError(409, started.problem);
          weights = started.weights;
          return started.edits;
        },
        onSaved: async () => {
          const now = Date.now();
          await ctx.drains.begun({
            virtual: vname, server: sname, startedAt: new Date(now).toISOString(),
            deactivateAt: timeout === null ? null : new Date(now + timeout * 1000).toISOString(), client: clientIp(req), weights,
          });
        },
        notes: [`New connections go to the other real servers; open ones stay.${timeout === null ? '' : ` ${capitalized(label)} is deactivated by itself in ${describeSeconds(timeout)}.`}`],
      });
    }
    const record = ctx.drains.find(vname, sname) ?? { virtual: vname, server: sname, startedAt: '', deactivateAt: null, client: '', weights: {} };
    if (action === 'undrain' && Object.keys(record.weights).length === 0) {
      throw new HttpError(409, `The weight ${label} had before the drain is not known (the drain was not started from this console): set it on the EDIT REAL SERVER panel.`);
    }
    return runSave({
      ...common,
      action: action === 'undrain' ? `undrain ${label}` : `deactivate ${label} (drained)`,
      successUrl: action === 'undrain' ? pageUrl(w) : w.m === null ? `/secure/virtual?selected=${w.n}` : `/secure/virtual/${w.n}/real?selected=${w.m}`,
      build: (cur) => endDrain(requireModel(cur), record, action),
      onSaved: () => ctx.drains.ended(vname, sname),
    });
  };

  app.get('/secure/virtual/:n/real/:m/drain', page(false));
  app.get('/secure/virtual/:n/real/:m/drain/live', (req, reply) => live(req, reply, false));
  app.post('/secure/virtual/:n/real/:m/drain', (req, reply) => act(req, reply, false));
  app.get('/secure/virtual/:n/drain', page(true));
  app.get('/secure/virtual/:n/drain/live', (req, reply) => live(req, reply, true));
  app.post('/secure/virtual/:n/drain', (req, reply) => act(req, reply, true));
}
