// The router's facts for machines (/metrics, /status.json): what the agent last reported, when it
// reported it, whether it answers now, and what the console knows itself (the file's serial, when
// it was last saved). The last facts the agent gave are kept with their time: when it stops
// answering, /status.json still shows them, dated, so a stale agent is visible as such.
import { stat } from 'node:fs/promises';
import type { AgentLink, AgentSnapshot } from '../agent-link.ts';
import type { ConfigStore } from '../config-store.ts';

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
  report: { readAt: number; data: AgentSnapshot } | null;
  console: {
    /** serial_no of lvs.cf on disk, null when it does not parse or does not exist. */
    fileSerial: number | null;
    /** When lvs.cf was last written (ms since the epoch), null when it does not exist. */
    lastSave: number | null;
  };
}

export class FactsReader {
  private last: { readAt: number; data: AgentSnapshot } | null = null;

  constructor(
    private readonly agent: AgentLink,
    private readonly store: ConfigStore,
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<Facts> {
    const [answer, snap, saved] = await Promise.all([this.agent.snapshot(), this.store.read(), mtimeOf(this.store.path)]);
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
