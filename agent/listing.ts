// Which rows `table` and `checkers` answer with: the filters, orders and pages of
// agent/protocol/listing.ts applied to the agent's services and checked real servers, and the byte
// budget that keeps a reply under MAX_LIST_REPLY_BYTES. Pure: list-replies.ts feeds it the
// agent's state and turns the chosen rows into wire rows.
//
// Built for 200,000 checked real servers: in lvs.cf's order or problems first (the orders a console
// shows), rows are found in passes over the plan that allocate nothing but the page; only the
// name and address orders collect every matching row to sort it.
import { compareAddresses, compareText, textMatcher } from '../common/listing.ts';
import type { CheckerStateName, CheckersParams, TableParams } from './protocol/index.ts';
import type { ServiceKey } from './dataplane/types.ts';
import type { TableService } from './director.ts';
import type { CheckTarget, PlannedService } from './service-plan.ts';

/** One service of the agent's table, as the filters see it. */
export interface ServiceEntry {
  key: ServiceKey;
  /** What the agent applied: its spec and its real servers. */
  applied: TableService;
  /** Its plan (real server names), absent for a service no longer planned. */
  planned: PlannedService | undefined;
  /** Position in lvs.cf (services no longer planned come last). */
  order: number;
  problem: boolean;
}

export interface Selected<T> {
  rows: T[];
  /** Rows matching the filters, over every page. */
  total: number;
  offset: number;
}

const STATE_RANK: Record<CheckerStateName, number> = { down: 0, pending: 1, up: 2 };

function searching(p: { search?: string }): boolean {
  return p.search !== undefined && p.search.trim() !== '';
}

export function serviceMatches(e: ServiceEntry, p: TableParams, search = textMatcher(p.search ?? '')): boolean {
  const spec = e.applied.spec;
  if (p.virtual !== undefined && spec.name !== p.virtual) return false;
  if (p.state !== undefined && e.problem !== (p.state === 'problem')) return false;
  if (p.address !== undefined && spec.address !== p.address) {
    let found = false;
    for (const r of e.applied.reals.values()) if (r.address === p.address) found = true;
    if (!found) return false;
  }
  if (!searching(p)) return true;
  if (search(spec.name) || search(spec.address) || search(`${spec.address}:${spec.port}`)) return true;
  for (const r of e.applied.reals.values()) if (search(r.address)) return true;
  return e.planned?.targets.some((t) => search(t.server)) ?? false;
}

export function checkerMatches(t: CheckTarget, ps: PlannedService, state: CheckerStateName, p: CheckersParams, search = textMatcher(p.search ?? '')): boolean {
  if (p.virtual !== undefined && t.virtual !== p.virtual) return false;
  if (p.state !== undefined && state !== p.state) return false;
  if (p.address !== undefined && t.address !== p.address && ps.spec.address !== p.address) return false;
  if (!searching(p)) return true;
  return search(t.virtual) || search(t.server) || search(t.address) || search(ps.spec.address) || search(`${ps.spec.address}:${ps.spec.port}`);
}

/** Rows [offset, offset + limit) of a stream, and how many rows it had. */
class PageCollector<T> {
  readonly rows: T[] = [];
  total = 0;
  private readonly end: number;

  constructor(
    readonly offset: number,
    limit: number | undefined,
  ) {
    this.end = limit === undefined ? Infinity : offset + limit;
  }

  add(row: T): void {
    if (this.total >= this.offset && this.total < this.end) this.rows.push(row);
    this.total++;
  }

  result(): Selected<T> {
    return { rows: this.rows, total: this.total, offset: Math.min(this.offset, this.total) };
  }
}

/** The matching services (`entries` come in lvs.cf's order), in the asked order, and the page of them. */
export function selectServices(entries: readonly ServiceEntry[], p: TableParams): Selected<ServiceEntry> {
  const search = textMatcher(p.search ?? '');
  const matching = entries.filter((e) => serviceMatches(e, p, search));
  const byOrder = (a: ServiceEntry, b: ServiceEntry) => a.order - b.order;
  switch (p.sort ?? 'file') {
    case 'file':
      break;
    case 'name':
      matching.sort((a, b) => compareText(a.applied.spec.name, b.applied.spec.name) || byOrder(a, b));
      break;
    case 'address':
      matching.sort((a, b) => compareAddresses(a.applied.spec.address, b.applied.spec.address) || a.applied.spec.port - b.applied.spec.port || byOrder(a, b));
      break;
    case 'problem': {
      // Stable: the problems, then the others, each in lvs.cf's order.
      const problems = matching.filter((e) => e.problem);
      if (problems.length > 0) matching.splice(0, matching.length, ...problems, ...matching.filter((e) => !e.problem));
      break;
    }
  }
  const page = new PageCollector<ServiceEntry>(p.offset ?? 0, p.limit);
  for (const e of matching) page.add(e);
  return page.result();
}

/** Checked real servers in each state, over the whole plan (a check counts once per real server sharing it). */
export type StateCounts = Record<CheckerStateName, number>;

const STATE_ORDER: readonly CheckerStateName[] = ['down', 'pending', 'up'];

/**
 * The matching checked real servers (those whose check has started), in the asked order, and the
 * page of them. `stateOf` gives a check's state by its key. With `counts` and no filter but the
 * state (the views a console shows first), the total is known beforehand and a page is found
 * without going past it: a page of 50 among 200,000 real servers looks at about 50 of them.
 */
export function selectCheckers(
  services: readonly PlannedService[],
  stateOf: (check: string) => CheckerStateName | undefined,
  p: CheckersParams,
  counts?: StateCounts,
): Selected<CheckTarget> {
  const search = textMatcher(p.search ?? '');
  const sort = p.sort ?? 'file';
  const unfiltered = !searching(p) && p.virtual === undefined && p.address === undefined;
  if (counts && unfiltered && (sort === 'file' || sort === 'state')) return countedPage(services, stateOf, p, counts, sort);
  if (sort === 'file' || sort === 'state') {
    // One pass per state rank (one pass in file order), each in file order: nothing is sorted.
    const page = new PageCollector<CheckTarget>(p.offset ?? 0, p.limit);
    const ranks = sort === 'state' ? [0, 1, 2] : [-1];
    for (const rank of ranks) {
      for (const ps of services) {
        for (const t of ps.targets) {
          const state = stateOf(t.check);
          if (state === undefined || (rank >= 0 && STATE_RANK[state] !== rank)) continue;
          if (checkerMatches(t, ps, state, p, search)) page.add(t);
        }
      }
    }
    return page.result();
  }
  const matching: { t: CheckTarget; order: number }[] = [];
  for (const ps of services) {
    for (const t of ps.targets) {
      const state = stateOf(t.check);
      if (state !== undefined && checkerMatches(t, ps, state, p, search)) matching.push({ t, order: matching.length });
    }
  }
  if (sort === 'name') matching.sort((a, b) => compareText(a.t.virtual, b.t.virtual) || compareText(a.t.server, b.t.server) || a.order - b.order);
  else matching.sort((a, b) => compareAddresses(a.t.address, b.t.address) || a.order - b.order);
  const page = new PageCollector<CheckTarget>(p.offset ?? 0, p.limit);
  for (const m of matching) page.add(m.t);
  return page.result();
}

/** A page in file or state order when the number of real servers in each state is known. */
function countedPage(
  services: readonly PlannedService[],
  stateOf: (check: string) => CheckerStateName | undefined,
  p: CheckersParams,
  counts: StateCounts,
  sort: 'file' | 'state',
): Selected<CheckTarget> {
  // The runs of rows in order: one per state (or one run of every state in file order).
  const runs: { states: ReadonlySet<CheckerStateName>; size: number }[] =
    p.state !== undefined
      ? [{ states: new Set([p.state]), size: counts[p.state] }]
      : sort === 'state'
        ? STATE_ORDER.map((st) => ({ states: new Set([st]), size: counts[st] }))
        : [{ states: new Set(STATE_ORDER), size: counts.down + counts.pending + counts.up }];
  const total = runs.reduce((n, r) => n + r.size, 0);
  const offset = Math.min(p.offset ?? 0, total);
  const end = p.limit === undefined ? total : Math.min(total, offset + p.limit);
  const rows: CheckTarget[] = [];
  let before = 0;
  for (const run of runs) {
    if (rows.length >= end - offset) break;
    if (before + run.size <= offset) {
      before += run.size;
      continue;
    }
    // Position of the next row of this run among all rows.
    let at = before;
    scan: for (const ps of services) {
      for (const t of ps.targets) {
        const state = stateOf(t.check);
        if (state === undefined || !run.states.has(state)) continue;
        if (at >= offset) rows.push(t);
        at++;
        if (at >= end || at >= before + run.size) break scan;
      }
    }
    before += run.size;
  }
  return { rows, total, offset };
}

/**
 * Counts the bytes of the rows of one reply: a row is taken while the reply stays within the
 * budget; once one does not fit, the reply is truncated there (rows past it are never built).
 */
export class ReplyBudget {
  private used = 0;
  truncated = false;

  constructor(private readonly budget: number) {}

  /** Whether `row` fits (and then counts it); false from the first row that does not. */
  take(row: unknown): boolean {
    if (this.truncated) return false;
    // The row as the frame will write it, and the comma before the next one.
    const bytes = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (this.used + bytes > this.budget) {
      this.truncated = true;
      return false;
    }
    this.used += bytes;
    return true;
  }
}
