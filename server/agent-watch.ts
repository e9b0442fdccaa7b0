// The watchdog: asks the agent for its status every few seconds, so the console knows the agent
// stopped answering even while nobody opens a page that asks it, and every page can say so (and
// since when) from AgentHealth without waiting on the agent itself.
import type { AgentLink } from './agent-link.ts';

/** Seconds between the watchdog's questions. */
export const WATCH_INTERVAL_MS = 2000;

export interface WatchdogView {
  socket: string;
  since: string;
  /** Seconds since the agent stopped answering. */
  seconds: number;
  reason: string;
  lastAnswer: string | null;
}

const stamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

export class AgentWatch {
  private timer: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(
    private readonly link: AgentLink,
    private readonly intervalMs = WATCH_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts watching (nothing to watch without an agent socket). */
  start(): void {
    if (this.link.socketPath === null || this.timer) return;
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    // The console's listener keeps the process alive, not the watchdog.
    this.timer.unref();
    void this.probe();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** What a page says about a silent agent, null while it answers. */
  view(): WatchdogView | null {
    const h = this.link.health.state();
    if (h.answering || this.link.socketPath === null) return null;
    return {
      socket: this.link.socketPath,
      since: stamp(h.since),
      seconds: Math.max(0, Math.round((this.now() - h.since) / 1000)),
      reason: h.reason,
      lastAnswer: h.lastAnswer === null ? null : stamp(h.lastAnswer),
    };
  }

  private async probe(): Promise<void> {
    // One question at a time: a hung agent must not collect a probe every interval.
    if (this.probing) return;
    this.probing = true;
    try {
      await this.link.probe();
    } finally {
      this.probing = false;
    }
  }
}
