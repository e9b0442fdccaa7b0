// The collaborators of the agent's core (agent.ts) and how they are wired to one another: the
// applier that owns what the agent put in the dataplane, the view of the live table, the checkers'
// reports, the list replies of the socket, the reconcile loop and the kernel upkeep, with a check's
// change of state routed to a re-evaluation of its services. The core drives them; this only
// builds them, so that the core reads as what it does.
import type { Dataplane } from './dataplane/types.ts';
import type { CheckerPool } from './checkers/pool.ts';
import type { ConfigState } from './config-state.ts';
import type { EventHub } from './event-hub.ts';
import type { Logger } from './log.ts';
import { Applier } from './applier.ts';
import { ReconcileLoop } from './reconcile-loop.ts';
import { ListReplies } from './list-replies.ts';
import { DataplaneView } from './dataplane-view.ts';
import { CheckerReports } from './checker-reports.ts';
import { KernelUpkeep } from './kernel-upkeep.ts';

export interface PartsInput {
  config: ConfigState;
  dataplane: Dataplane;
  pool: CheckerPool;
  logger: Logger;
  events: EventHub;
  now: () => number;
  /** Whether the agent directs now (the loop's wanted table is empty otherwise). */
  directing: () => boolean;
}

export interface AgentParts {
  applier: Applier;
  view: DataplaneView;
  reports: CheckerReports;
  lists: ListReplies;
  loop: ReconcileLoop;
  kernel: KernelUpkeep;
}

export function agentParts({ config, dataplane: dp, pool, logger: log, events, now, directing }: PartsInput): AgentParts {
  const applier = new Applier(dp, (m) => log.error(m), (m) => log.debug(m));
  const view = new DataplaneView(dp, (key) => applier.owns(key), now);
  const reports = new CheckerReports({
    pool,
    config: () => config.current,
    applied: () => applier.applied,
    emit: (e) => events.emit(e),
    listening: () => events.listening('checker'),
    log: (m) => log.log(m),
  });
  const lists = new ListReplies({ config: () => config.current, applied: () => applier.applied, failing: () => applier.failingServices(), pool, view, reports });
  const states = (check: string) => pool.view(check);
  const loop = new ReconcileLoop({
    applier,
    input: () => ({ config: config.current, directing: directing(), states, now: now() }),
    onApplied: (applied) => {
      view.invalidate();
      reports.weightsChanged(applied);
    },
    log: (m) => log.error(m),
  });
  const kernel = new KernelUpkeep({
    dataplane: dp, view, applier, loop, now, log: (m) => log.log(m),
    planned: () => new Set(config.current.plan.services.map((s) => s.spec.key)),
    onDrift: (data) => events.emit({ event: 'drift', data }),
  });
  // A check changed state: report it, and re-evaluate the services of its real servers shortly.
  pool.on('change', (st) => {
    const services = reports.stateChanged(st);
    if (services === null) return;
    loop.touch(services);
    loop.soon();
  });
  log.onEntry((entry) => events.emit({ event: 'log', data: entry }));
  return { applier, view, reports, lists, loop, kernel };
}
