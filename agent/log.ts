// The agent's log: one line per state change (a role, a real server up or down, a configuration
// applied or refused), never one per check, to stderr: `journalctl -u piranha-agent` reads like
// pulse/lvsd/nanny's syslog lines without the noise. Under systemd the line carries its syslog
// priority and no time of its own (common/journal.ts). The dataplane operations behind a change are
// detail: written only with --verbose, at debug priority. Subscribed console clients receive the
// same lines as `log` events.
import { formatLine, isJournalStream, type Priority } from '../common/journal.ts';

export interface LogEntry {
  time: string;
  message: string;
}

export interface LoggerOptions {
  write?: (line: string) => void;
  now?: () => Date;
  /** Whether stderr is the journal (default: as systemd announced it). */
  journal?: boolean;
  /** Whether debug lines are written (--verbose). */
  verbose?: boolean;
}

export class Logger {
  private readonly listeners = new Set<(entry: LogEntry) => void>();
  private readonly write: (line: string) => void;
  private readonly now: () => Date;
  private readonly journal: boolean;
  private readonly verbose: boolean;

  constructor(opts: LoggerOptions = {}) {
    this.write = opts.write ?? ((line) => process.stderr.write(line));
    this.now = opts.now ?? (() => new Date());
    this.journal = opts.journal ?? isJournalStream(2);
    this.verbose = opts.verbose ?? false;
  }

  /** A state change or a fact worth a line. */
  log(message: string): void {
    this.entry('info', message);
  }

  /** Something refused or failed: the administrator must act (`journalctl -p err`). */
  error(message: string): void {
    this.entry('error', message);
  }

  /** Detail of a change already logged; written only with --verbose. */
  debug(message: string): void {
    if (this.verbose) this.entry('debug', message);
  }

  onEntry(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private entry(priority: Priority, message: string): void {
    const time = this.now();
    this.write(formatLine({ name: 'piranha-agent', journal: this.journal }, priority, message, time));
    // A message is one entry: a multi-line text (e.g. a code frame) is indented, never split.
    const entry: LogEntry = { time: time.toISOString(), message: message.replace(/\n/g, '\n    ') };
    for (const l of this.listeners) l(entry);
  }
}
