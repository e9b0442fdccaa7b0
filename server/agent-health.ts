// Whether the agent answers, as the console last saw it: every call through the AgentLink and the
// watchdog's probe (agent-watch.ts) report here. A page shows "not answering since …" from it
// without asking the agent itself, so no page waits on an agent that hangs.

/** Codes that mean the agent did not answer at all (not a refusal of one request). */
const SILENT = new Set(['E_CONNECT', 'E_TIMEOUT', 'E_DISCONNECTED', 'E_CLOSED']);

export type AgentHealthState =
  | { answering: true; lastAnswer: number | null }
  | { answering: false; since: number; reason: string; lastAnswer: number | null };

export class AgentHealth {
  private lastAnswer: number | null = null;
  private silentSince: number | null = null;
  private reason = '';

  constructor(private readonly now: () => number = Date.now) {}

  answered(): void {
    this.lastAnswer = this.now();
    this.silentSince = null;
  }

  /** A call failed with `code`; only silence (no connection, no answer in time) counts. */
  failed(code: string | undefined, reason: string): void {
    if (code === undefined || !SILENT.has(code)) return;
    this.silentSince ??= this.now();
    this.reason = reason;
  }

  state(): AgentHealthState {
    if (this.silentSince === null) return { answering: true, lastAnswer: this.lastAnswer };
    return { answering: false, since: this.silentSince, reason: this.reason, lastAnswer: this.lastAnswer };
  }
}
