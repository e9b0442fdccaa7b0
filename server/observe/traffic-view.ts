// What the TRAFFIC section of CONTROL/MONITORING shows: for each virtual server of the page, its
// services and their real servers, each with sparklines of the last ten minutes (connections,
// new connections per second, bytes per second) and the newest numbers as text.
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

export function trafficRows(r: SeriesResult): TrafficRow[] {
  const rows: TrafficRow[] = [];
  for (const v of r.virtuals) {
    for (const s of v.services) {
      rows.push(row('service', `${v.name} (${s.key.split('|').slice(1).join(':')})`, s.total));
      for (const x of s.reals) rows.push(row('real', `${x.address}:${x.port}`, x.series));
    }
  }
  return rows;
}

/** The data of partials/traffic for these virtual servers (the first MAX_SERIES_VIRTUALS of them). */
export async function trafficView(agent: AgentLink, names: readonly string[]) {
  const virtuals = [...new Set(names)].slice(0, MAX_SERIES_VIRTUALS);
  const query = virtuals.map((n) => `v=${encodeURIComponent(n)}`).join('&');
  const answer: AgentAnswer<SeriesResult> | null = virtuals.length ? await agent.series(virtuals) : null;
  return {
    refresh: TRAFFIC_REFRESH_SEC,
    live: `/secure/control/traffic?${query}`,
    left: Math.max(0, new Set(names).size - virtuals.length),
    answer,
    rows: answer?.ok ? trafficRows(answer.data) : [],
    intervalSec: answer?.ok ? answer.data.intervalSec : null,
    newest: answer?.ok && answer.data.newest ? answer.data.newest.replace('T', ' ').slice(0, 19) + ' UTC' : null,
  };
}
