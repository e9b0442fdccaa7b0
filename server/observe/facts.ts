// The router's facts for machines (/metrics, /status.json): what the agent last reported, when it
// reported it, whether it answers now, and what the console knows itself (the file's serial, when
// it was last saved). The last facts the agent gave are kept with their time: when it stops
// answering, /status.json still shows them, dated, so a stale agent is visible as such.
// Reading every page of a large router's table takes the agent and the console a while (20,000 real
// servers at 1,000 virtual servers): requests that come while a read is under way share it, and a
// read is used again for MAX_AGE_MS while the agent keeps answering, so that several scrapers (or a
// dashboard polling often) cost one read a second, not one each.
import { stat } from 'node:fs/promises';
import type { AgentAnswer, AgentLink } from '../agent-link.ts';
import type { ConfigStore } from '../config-store.ts';
import type { CheckerInfo, HaStatus, ServiceStats, StatusResult } from '../../agent/protocol/index.ts';

/** Everything the agent reports, every page of it. */
export interface AgentReport {
  status: StatusResult;
  services: ServiceStats[];
  checkers: CheckerInfo[];
  ha: AgentAnswer<HaStatus | null>;
}

/** Rows asked per call: well within the agent's reply budget (20 real servers a service). */
const TABLE_PAGE = 200;
const CHECKS_PAGE = 1000;

/** Every row of a paged list, page after page (the agent says how many match). */
async function allPages<T>(ask: (offset: number) => Promise<AgentAnswer<{ rows: T[]; total: number | null }>>): Promise<AgentAnswer<T[]>> {
  const rows: T[] = [];
  for (;;) {
    const a = await ask(rows.length);
    if (!a.ok) return a;
    rows.push(...a.data.rows);
    if (a.data.rows.length === 0 || a.data.total === null || rows.length >= a.data.total) return { ok: true, data: rows };
  }
}

/** The whole report of the agent: its status, then the table and the checks page by page. */
export async function readReport(link: AgentLink): Promise<AgentAnswer<AgentReport>> {
  const head = await link.snapshot({ table: { limit: 0 }, checkers: { limit: 0 }, down: { state: 'down', limit: 0 } });
  if (!head.ok) return head;
  const services = await allPages<ServiceStats>((offset) =>
    link.forPage(link.table({ offset, limit: TABLE_PAGE })).then((a) => (a.ok ? { ok: true as const, data: { rows: a.data.services, total: a.data.page?.total ?? null } } : a)),
  );
  if (!services.ok) return services;
  const checkers = await allPages<CheckerInfo>((offset) =>
    link.forPage(link.checkers({ offset, limit: CHECKS_PAGE })).then((a) => (a.ok ? { ok: true as const, data: { rows: a.data.checkers, total: a.data.page?.total ?? null } } : a)),
  );
  if (!checkers.ok) return checkers;
  return { ok: true, data: { status: head.data.status, services: services.data, checkers: checkers.data, ha: head.data.ha } };
}

export interface Facts {
  /** When these facts were put together (ms since the epoch). */
  generatedAt: number;
  agent: {
    socket: string | null;
    answering: boolean;
    /** Since when it has not answered (null while it answers). */
    silentSince: number | null;
    reason: string | null;
  };
  /** The agent's last report and when it was read; null before the first. */
  report: { readAt: number; data: AgentReport } | null;
  console: {
    /** serial_no of lvs.cf on disk, null when it does not parse or does not exist. */
    fileSerial: number | null;
    /** When lvs.cf was last written (ms since the epoch), null when it does not exist. */
    lastSave: number | null;
  };
}

/** How long facts read from an answering agent are used again (ms). */
export const MAX_AGE_MS = 1000;

export class FactsReader {
  private last: { readAt: number; data: AgentReport } | null = null;
  /** The read under way (shared), and the last facts with whether the agent answered them. */
  private inflight: Promise<Facts> | null = null;
  private recent: Facts | null = null;

  constructor(
    private readonly agent: AgentLink,
    private readonly store: ConfigStore,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = MAX_AGE_MS,
  ) {}

  /** The router's facts: the recent ones while the agent answers, else read now (once for all who ask). */
  read(): Promise<Facts> {
    const r = this.recent;
    // Not used again once anything (a page, the watchdog) has found the agent silent since.
    if (r && r.agent.answering && this.now() - r.generatedAt < this.maxAgeMs && this.agent.health.state().answering) return Promise.resolve(r);
    if (!this.inflight) {
      this.inflight = this.readNow()
        .then((f) => (this.recent = f))
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  private async readNow(): Promise<Facts> {
    const [answer, snap, saved] = await Promise.all([readReport(this.agent), this.store.read(), mtimeOf(this.store.path)]);
    if (answer.ok) this.last = { readAt: this.now(), data: answer.data };
    const health = this.agent.health.state();
    return {
      generatedAt: this.now(),
      agent: {
        socket: this.agent.socketPath,
        answering: answer.ok,
        silentSince: health.answering ? null : health.since,
        reason: answer.ok ? null : answer.reason,
      },
      report: this.last,
      console: { fileSerial: snap.parsed.model?.serial_no ?? null, lastSave: saved },
    };
  }
}

async function mtimeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}
