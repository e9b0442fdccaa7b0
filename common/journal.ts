// How the daemons write a log line: on a terminal or into a file, `<ISO time> <name>: <message>`;
// under systemd, whose journal stamps each line itself, `<N><message>` with the syslog priority N
// (journald reads the prefix, so `journalctl -p err` finds the errors) and no time of our own.
// systemd tells a service its stdout/stderr is the journal with JOURNAL_STREAM=<device>:<inode>;
// the variable is inherited by children whose output goes elsewhere, so it counts only when it
// names the stream we write to (as sd_journal_stream_fd(3) advises).
import { fstatSync } from 'node:fs';

/** The syslog priorities we write (RFC 5424 numbers). */
export const PRIORITY = { error: 3, warning: 4, info: 6, debug: 7 } as const;
export type Priority = keyof typeof PRIORITY;

/** Whether file descriptor `fd` is the journal stream systemd announced in `env.JOURNAL_STREAM`. */
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const announced = env.JOURNAL_STREAM;
  if (!announced) return false;
  try {
    const st = fstatSync(fd);
    return announced === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

const CODE_FRAME_LINE = /^(>\s*)?\d*\s*\|/;

export interface LineFormat {
  /** The program's name, before each line off the journal (the journal has its own identifier). */
  name: string;
  journal: boolean;
}

/**
 * One log entry as the bytes to write. Off the journal a multi-line message keeps its lines,
 * continuation lines indented; in the journal every line would be an entry of its own, so the lines
 * are joined into one entry: one state change, one journal line.
 */
export function formatLine(format: LineFormat, priority: Priority, message: string, time: Date): string {
  if (format.journal) {
    // A code frame (`> 15 | text`, `   | ^^^`) points at a column on a terminal; in one journal
    // line it is noise: the message's `file:line:col` says where.
    const oneLine = message.split('\n').map((l) => l.trim()).filter((l) => l && !CODE_FRAME_LINE.test(l)).join(' | ');
    return `<${PRIORITY[priority]}>${oneLine}\n`;
  }
  return `${time.toISOString()} ${format.name}: ${message.replace(/\n/g, '\n    ')}\n`;
}

/** pino's numeric levels as syslog priorities (fatal is 2, crit). */
export function pinoLevelPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return PRIORITY.error;
  if (level >= 40) return PRIORITY.warning;
  if (level >= 30) return PRIORITY.info;
  return PRIORITY.debug;
}
