// How piranha-gui writes: its own lines (listening, a file it cannot use) to stderr and fastify's
// request log (pino JSON, warnings and errors by default) to stdout. Under systemd both are the
// journal (common/journal.ts): each line then starts with its syslog priority and pino leaves out
// its own time, which the journal already records.
import type { FastifyServerOptions } from 'fastify';
import { isJournalStream, PRIORITY, pinoLevelPriority, type Priority } from '../common/journal.ts';

export type GuiLog = (line: string, priority?: Priority) => void;

const NAME = 'piranha-gui: ';

/** The console's own lines: `piranha-gui: …` on a terminal, `<N>…` in the journal. */
export function guiLog(journal = isJournalStream(2), write: (s: string) => void = (s) => process.stderr.write(s)): GuiLog {
  return (line, priority = 'info') => {
    if (!journal) return write(`${line}\n`);
    write(`<${PRIORITY[priority]}>${line.startsWith(NAME) ? line.slice(NAME.length) : line}\n`);
  };
}

/** fastify's logger options: level from LOG_LEVEL (warn by default); journal-shaped under systemd. */
export function requestLogger(journal = isJournalStream(1), level = process.env.LOG_LEVEL ?? 'warn'): NonNullable<FastifyServerOptions['logger']> {
  if (!journal) return { level };
  return {
    level,
    timestamp: false,
    stream: {
      write(line: string) {
        const parsed = JSON.parse(line) as { level?: number };
        process.stdout.write(`<${pinoLevelPriority(parsed.level ?? 30)}>${line}`);
      },
    },
  };
}
