// What a view of CONTROL/MONITORING is: auto update and its rate, a search, the state of the
// checks to show, and the page of the routing table and of the checks. All of it lives in the URL,
// so a view is a link (bookmarkable, and the auto update and the meta refresh keep it), and it is
// turned into the pages the agent is asked for (agent-link.ts's SnapshotView).
import { z } from 'zod';
import type { SnapshotView } from './agent-link.ts';

export const DEFAULT_RATE = 10;
/** Services of the routing table per page (each with its real servers). */
export const TABLE_PAGE = 10;
/** Checked real servers per page, and down ones in the PROBLEMS section. */
export const CHECKS_PAGE = 50;

const CHECK_STATES = ['all', 'down', 'pending', 'up'] as const;
export type CheckStateFilter = (typeof CHECK_STATES)[number];

// Built once: a schema made per request, and a fallback taken through `.catch` for every value a
// plain view leaves out, were most of this function's cost on each CONTROL view.
const pageNumber = z.coerce.number().int().min(1).max(1_000_000).catch(1);
const searchText = z.string().max(200).catch('');
const checkState = z.enum(CHECK_STATES).catch('all');

export interface ControlView {
  auto: boolean;
  rate: number;
  rateText: string;
  rateError: string;
  q: string;
  state: CheckStateFilter;
  tpage: number;
  cpage: number;
}

/** The view a query string asks for; a bad rate falls back to the default with a message, other bad values silently. */
export function controlView(query: unknown): ControlView {
  const q = (query ?? {}) as Record<string, unknown>;
  const auto = q.auto_update === '1' || q.auto_update === 'on';
  const rateText = typeof q.rate === 'string' ? q.rate.trim() : String(DEFAULT_RATE);
  let rate = DEFAULT_RATE;
  let rateError = '';
  if (/^\d{1,5}$/.test(rateText) && Number(rateText) >= 1 && Number(rateText) <= 86400) rate = Number(rateText);
  else rateError = `The update frequency must be a whole number of seconds, at least 1; using ${DEFAULT_RATE}.`;
  return {
    auto,
    rate,
    rateText: rateError ? String(DEFAULT_RATE) : rateText,
    rateError,
    q: q.q === undefined ? '' : searchText.parse(q.q).trim(),
    state: q.state === undefined ? 'all' : checkState.parse(q.state),
    tpage: q.tpage === undefined ? 1 : pageNumber.parse(q.tpage),
    cpage: q.cpage === undefined ? 1 : pageNumber.parse(q.cpage),
  };
}

/** The query string of a view (defaults left out), with `changes`. */
export function controlQuery(v: ControlView, changes: Partial<ControlView> = {}): string {
  const x = { ...v, ...changes };
  const p = new URLSearchParams();
  if (x.auto) p.set('auto_update', '1');
  if (x.auto || x.rate !== DEFAULT_RATE) p.set('rate', String(x.rate));
  if (x.q) p.set('q', x.q);
  if (x.state !== 'all') p.set('state', x.state);
  if (x.tpage !== 1) p.set('tpage', String(x.tpage));
  if (x.cpage !== 1) p.set('cpage', String(x.cpage));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The pages of the agent's table and checks this view shows: problems first in both. */
export function snapshotView(v: ControlView): SnapshotView {
  const search = v.q === '' ? {} : { search: v.q };
  return {
    table: { ...search, sort: 'problem', offset: (v.tpage - 1) * TABLE_PAGE, limit: TABLE_PAGE },
    checkers: { ...search, ...(v.state === 'all' ? {} : { state: v.state }), sort: 'state', offset: (v.cpage - 1) * CHECKS_PAGE, limit: CHECKS_PAGE },
    down: { ...search, state: 'down', limit: CHECKS_PAGE },
  };
}
