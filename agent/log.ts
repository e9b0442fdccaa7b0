// The agent's log: one line per state change (never per check), to stderr, each with its ISO time,
// so `journalctl -u piranha-agent` reads like pulse/lvsd/nanny's syslog lines but without the noise.
// Subscribed console clients receive the same lines as `log` events.

export interface LogEntry {
  time: string;
  message: string;
}

export class Logger {
  private readonly listeners = new Set<(entry: LogEntry) => void>();

  constructor(
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    private readonly now: () => Date = () => new Date(),
  ) {}

  log(message: string): void {
    // A message is one line: a multi-line text (e.g. a code frame) is indented, never split into entries.
    const entry: LogEntry = { time: this.now().toISOString(), message: message.replace(/\n/g, '\n    ') };
    this.write(`${entry.time} piranha-agent: ${entry.message}\n`);
    for (const l of this.listeners) l(entry);
  }

  onEntry(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
