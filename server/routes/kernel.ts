// The kernel panel of CONTROL/MONITORING, on the ipvs dataplane: the kernel's own table with the
// counters `ipvsadm -Ln --stats` shows (connections, packets, bytes per real server), the drift
// of that table from what the agent applied (changes made with ipvsadm by hand), RECONCILE, the
// explicit action that restores it (the agent never undoes a hand edit on its own), and the kernel
// settings the agent manages (wanted, read back, and why they differ).
import type { FastifyInstance } from 'fastify';
import type { DriftResult, RouterSettingsResult, ServiceStats } from '../../agent/protocol/index.ts';
import type { AgentAnswer, AgentSnapshot } from '../agent-link.ts';
import type { AppContext } from '../context.ts';
import type { Flash } from '../flash.ts';
import { clientIp } from '../security/access.ts';

const CONTROL = '/secure/control';
export const RECONCILE_URL = `${CONTROL}/reconcile`;

interface Counters {
  connections: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
}

function sum(rows: Counters[]): Counters {
  const total = { connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
  for (const r of rows) for (const k of Object.keys(total) as (keyof Counters)[]) total[k] += r[k];
  return total;
}

/** The kernel's table as `ipvsadm -Ln --stats` lays it out: a service's totals, then each real server's. */
function statsRows(services: ServiceStats[]) {
  return services.map((s) => ({
    prot: s.fwmark ? 'FWM' : s.protocol.toUpperCase(),
    local: s.fwmark ? String(s.fwmark) : `${s.address}:${s.port}`,
    name: s.name,
    totals: sum(s.reals),
    reals: s.reals.map((r) => ({ remote: `${r.address}:${r.port}`, weight: r.weight, active: r.activeConns, inactive: r.inactiveConns, ...sum([r]) })),
  }));
}

export interface KernelPanel {
  stats: ReturnType<typeof statsRows>;
  drift: AgentAnswer<DriftResult>;
  settings: AgentAnswer<RouterSettingsResult>;
}

/** The agent's answers the kernel panel shows beside the snapshot; null when the agent does not run the ipvs dataplane. */
export type KernelAnswers = Pick<KernelPanel, 'drift' | 'settings'> | null;

export async function askKernel(ctx: AppContext, agent: AgentAnswer<AgentSnapshot>): Promise<KernelAnswers> {
  if (!agent.ok || agent.data.status.dataplane !== 'ipvs') return null;
  const [drift, settings] = await Promise.all([ctx.agent.drift(), ctx.agent.routerSettings()]);
  return { drift, settings };
}

/** What the kernel panel shows (the counters of the services on the routing table's page), from askKernel's answers. */
export function kernelPanel(agent: AgentAnswer<AgentSnapshot>, answers: KernelAnswers): KernelPanel | null {
  return agent.ok && answers ? { stats: statsRows(agent.data.table.services), ...answers } : null;
}

export function registerKernel(app: FastifyInstance, ctx: AppContext): void {
  app.post(RECONCILE_URL, async (req, reply) => {
    const answer = await ctx.agent.reconcile();
    await ctx.store.audit({ action: 'agent reconcile', client: clientIp(req), ok: answer.ok, result: answer.ok ? answer.data : answer.reason });
    let flash: Flash;
    if (!answer.ok) flash = { kind: 'error', messages: [`RECONCILE failed: ${answer.reason}`] };
    else if (answer.data.operations === 0) flash = { kind: 'ok', messages: ['RECONCILE: the kernel table was already as Piranha applied it; nothing changed.'] };
    else {
      const { operations, failed } = answer.data;
      const done = `RECONCILE: ${operations - failed.length} of ${operations} operation${operations === 1 ? '' : 's'} restored the kernel table Piranha applied.`;
      flash = failed.length === 0 ? { kind: 'ok', messages: [done] } : { kind: 'error', messages: [done, ...failed.map((f) => `${f.service}: ${f.message}`)] };
    }
    return reply.redirect(ctx.flash.redirectUrl(CONTROL, flash), 303);
  });
}
