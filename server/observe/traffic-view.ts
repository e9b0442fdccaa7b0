// What the TRAFFIC section of CONTROL/MONITORING shows: for each virtual server of the page, its
// services with sparklines of the last ten minutes (connections, new connections per second, bytes
// per second) and the newest numbers as text, each with a link to the same for its real servers.
// CONTROL draws the services only: with twenty real servers each, three charts per real server
// made the page three times larger and six times slower to serve.
import type { AgentAnswer, AgentLink } from '../agent-link.ts';
import { MAX_SERIES_VIRTUALS, type SeriesResult, type TrafficSeries } from '../../agent/protocol/index.ts';
import { rateOfBytes, sparkline } from './sparkline.ts';

/** Seconds between refreshes of the section by htmx. */
export const TRAFFIC_REFRESH_SEC = 5;

export interface TrafficRow {
  kind: 'service' | 'real';
  label: string;
  conns: string;
  cps: string;
  bps: string;
  now: string;
  /** For a service on CONTROL: the page with its real servers' charts. */
  reals?: string;
}

const last = (xs: readonly (number | null)[]): number | null => {
  for (let i = xs.length - 1; i >= 0; i--) if (xs[i] !== null) return xs[i]!;
  return null;
};

function row(kind: TrafficRow['kind'], label: string, s: TrafficSeries): TrafficRow {
  const conns = s.active.map((a, i) => (a === null ? null : a + (s.inactive[i] ?? 0)));
  const active = last(s.active);
  const inactive = last(s.inactive);
  const cps = last(s.connsPerSec);
  const bps = last(s.bytesPerSec);
  const now = active === null ? 'no sample yet' : `${active} active, ${inactive ?? 0} inactive, ${cps ?? 0} conn/s, ${rateOfBytes(bps ?? 0)}`;
  return {
    kind,
    label,
    conns: sparkline(conns, { label: `connections of ${label}, last 10 minutes` }),
    cps: sparkline(s.connsPerSec, { label: `new connections per second of ${label}, last 10 minutes` }),
    bps: sparkline(s.bytesPerSec, { label: `bytes per second of ${label}, last 10 minutes` }),
    now,
  };
}

/** The page of a virtual server's traffic with its real servers (JavaScript on or off). */
export const realsTrafficUrl = (virtual: string) => `/secure/control/traffic?v=${encodeURIComponent(virtual)}&reals=1`;

export function trafficRows(r: SeriesResult, withReals: boolean): TrafficRow[] {
  const rows: TrafficRow[] = [];
  for (const v of r.virtuals) {
    for (const s of v.services) {
      const service = row('service', `${v.name} (${s.key.split('|').slice(1).join(':')})`, s.total);
      rows.push(withReals ? service : { ...service, reals: realsTrafficUrl(v.name) });
      if (withReals) for (const x of s.reals) rows.push(row('real', `${x.address}:${x.port}`, x.series));
    }
  }
  return rows;
}

/** The virtual servers whose traffic is asked for, of those named. */
export function seriesNames(names: readonly string[]): string[] {
  return [...new Set(names)].slice(0, MAX_SERIES_VIRTUALS);
}

/** A series asked for ahead of knowing whether these are the names that will be shown (without real servers). */
export interface SeriesAsked {
  names: string[];
  answer: Promise<AgentAnswer<SeriesResult>>;
}

/**
 * The series of these virtual servers (the first MAX_SERIES_VIRTUALS of them), with their real
 * servers' when `withReals`: the one already asked for exactly these names (CONTROL asks it beside
 * the table, without real servers) as is, or a new call; null for none.
 */
export function askSeries(agent: AgentLink, names: readonly string[], withReals: boolean, asked?: SeriesAsked): Promise<AgentAnswer<SeriesResult>> | null {
  const virtuals = seriesNames(names);
  if (!virtuals.length) return null;
  return !withReals && asked && asked.names.join('\0') === virtuals.join('\0') ? asked.answer : agent.series(virtuals, withReals);
}

/** The data of partials/traffic for these virtual servers, from the agent's `answer` (askSeries); with `withReals` their real servers too. */
export function trafficOf(names: readonly string[], withReals: boolean, answer: AgentAnswer<SeriesResult> | null) {
  const virtuals = seriesNames(names);
  const query = virtuals.map((n) => `v=${encodeURIComponent(n)}`).join('&') + (withReals ? '&reals=1' : '');
  return {
    refresh: TRAFFIC_REFRESH_SEC,
    live: `/secure/control/traffic?${query}`,
    left: Math.max(0, new Set(names).size - virtuals.length),
    answer,
    rows: answer?.ok ? trafficRows(answer.data, withReals) : [],
    intervalSec: answer?.ok ? answer.data.intervalSec : null,
    newest: answer?.ok && answer.data.newest ? answer.data.newest.replace('T', ' ').slice(0, 19) + ' UTC' : null,
  };
}

/** askSeries, then trafficOf. */
export async function trafficView(agent: AgentLink, names: readonly string[], withReals = false) {
  return trafficOf(names, withReals, await askSeries(agent, names, withReals));
}
