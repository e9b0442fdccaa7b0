// The `plan` call: which dataplane operations a proposed lvs.cf would cause against the live table,
// without applying anything. A change given as hunks against the configuration in use is planned
// from the virtual servers it touches only (scope.ts), so a one-line change of a file with 10,000
// virtual servers costs one block's parse and one service's comparison. Anything else (the whole
// text, a change of the file on disk the agent has not loaded, a global setting) is planned from
// the whole file, as a reload would be.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { LvsConfig } from '../../lvs-cf/index.ts';
import type { RealState } from '../checkers/pool.ts';
import type { ServiceStats } from '../dataplane/types.ts';
import type { PlanParams, PlanResult, Role } from '../protocol/index.ts';
import { parseAgainst } from '../config.ts';
import { versionOf, type Configuration } from '../config-state.ts';
import { BadChangeError, ConfigInvalidError, StaleBaseError } from '../errors.ts';
import { liveTable } from './live-table.ts';
import { applyHunks, applyScope, hunkProblem, scopeChange } from './scope.ts';
import { dryRun, keysOf } from './dry-run.ts';
import { describePlanOp, type FindTarget } from './describe.ts';
import type { Plan } from '../service-plan.ts';

/** A plan's real servers by service key and `ADDRESS:PORT` (a service has a few: looked through). */
function targetFinder(p: Plan): FindTarget {
  return (serviceKey, realKey) => p.byKey.get(serviceKey)?.targets.find((t) => t.realKey === realKey);
}

export interface PlannerDeps {
  /** The configuration in use and where lvs.cf is. */
  current(): Configuration;
  path: string;
  /** A check's state by its key (see service-plan.ts: real servers checked the same way share one). */
  checker(check: string): RealState | undefined;
  /** The dataplane's view of this agent's services (only `keys` when given). */
  live(keys: ReadonlySet<string> | null): Promise<ServiceStats[]>;
  directing(): boolean;
  role(): Role;
  now(): number;
}

interface Proposal {
  model: LvsConfig;
  /** The services the change touches; null: every service (planned from the whole file). */
  keys: ReadonlySet<string> | null;
  notes: string[];
}

/** The proposal of a whole text, parsed at the cost of its difference from the file in use. */
function fullProposal(text: string, path: string, notes: string[], inUse: Configuration): Proposal {
  const loaded = parseAgainst(text, path, inUse.doc);
  if (loaded.kind === 'invalid') throw new ConfigInvalidError(loaded.message);
  return { model: loaded.model, keys: null, notes };
}

async function diskText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** The proposal a plan call names, and which services it touches. */
async function proposalOf(deps: PlannerDeps, cur: Configuration, params: PlanParams): Promise<Proposal> {
  if ('text' in params) return fullProposal(params.text, deps.path, [], cur);
  let base: string;
  const notes: string[] = [];
  let inUse = false;
  if (versionOf(cur) === params.base) {
    base = cur.text ?? '';
    inUse = true;
  } else {
    base = await diskText(deps.path);
    if (createHash('sha256').update(base).digest('hex') !== params.base) {
      throw new StaleBaseError(`the change is based on a version of lvs.cf this agent does not have (it runs ${cur.model ? `serial ${cur.model.serial_no}` : 'no configuration'}, and ${deps.path} is another version): reload the page and plan again`);
    }
    notes.push(`The agent has not loaded ${deps.path} as it is now (it runs ${cur.model ? `serial ${cur.model.serial_no}` : 'no configuration'}): the plan includes the changes already saved but not loaded.`);
  }
  const problem = hunkProblem(base, params.hunks);
  if (problem !== null) throw new BadChangeError(`the change does not fit lvs.cf: ${problem}`);
  if (inUse && cur.model && cur.text !== null) {
    const scope = scopeChange(cur.text, cur.blocks, params.hunks);
    if (scope.kind === 'scoped') {
      const model = applyScope(cur.model, scope.regions, scope.serial);
      const keys = new Set<string>();
      for (const r of scope.regions) {
        for (const k of keysOf(cur.model.virtuals.slice(r.from, r.to))) keys.add(k);
        for (const k of keysOf(r.virtuals)) keys.add(k);
      }
      return { model, keys, notes };
    }
    notes.push(`Planned from the whole file: ${scope.reason}.`);
  }
  return fullProposal(applyHunks(base, params.hunks), deps.path, notes, cur);
}

export async function planChange(deps: PlannerDeps, params: PlanParams): Promise<PlanResult> {
  // One configuration throughout, even if a reload adopts another meanwhile.
  const cur = deps.current();
  const proposal = await proposalOf(deps, cur, params);
  const live = liveTable(await deps.live(proposal.keys));
  const run = dryRun({ model: proposal.model, keys: proposal.keys, live, checker: deps.checker, now: deps.now() });
  const names = { proposed: targetFinder(run.plan), current: targetFinder(cur.plan) };
  const directing = deps.directing();
  const notes = [...proposal.notes];
  if (!directing) {
    notes.push(`This router does not direct traffic now (${deps.role() === 'standby' ? 'it is the standby router' : 'LVS is stopped'}): its table does not change; it uses the new lvs.cf when it serves.`);
  }
  for (const d of run.down) notes.push(`Real server ${d.server} (${d.real}) of ${d.virtual} is down: it stays out of the table until its health check passes.`);
  const compared = new Set([...live.keys(), ...run.plan.services.map((s) => s.spec.key)]);
  return {
    serial: proposal.model.serial_no,
    directing,
    role: deps.role(),
    scope: proposal.keys === null ? 'whole' : 'changed',
    services: compared.size,
    operations: directing ? run.ops.map((op) => describePlanOp(op, live, run.afterCheck, names)) : [],
    notes,
    problems: run.plan.problems,
  };
}
