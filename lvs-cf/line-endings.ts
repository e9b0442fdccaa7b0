// Carriage returns. lvsconfig.c ends a line at the first CR anywhere later in the file, else at the
// next LF: a CRLF file is read as its first line only, and a stray CR joins every line before it
// into one. The daemons run such a file, but not as it reads, so it is one of the exceptions that
// stay errors (the fix: LF line endings). The error is put where the daemons stop when they
// refuse the file (their line numbers count the lines they cut), else at the first CR.
import { buildTree, type EolStats } from './tree-builder.ts';
import { readModel } from './read-model.ts';
import { cutLines } from './scan.ts';
import { byPosition, diag, isDaemonCode } from './diagnostics.ts';
import type { Diagnostic } from './model.ts';

/** The daemons' first error on a file, read with their cutting of lines; null when they accept it. */
export function daemonVerdict(text: string): Diagnostic | null {
  const built = buildTree(text, 'daemon');
  const all = [...built.diagnostics, ...readModel(built.tree).diagnostics].filter((d) => d.severity === 'error' && isDaemonCode(d.code));
  all.sort(byPosition);
  return all[0] ?? null;
}

/** The 1-based line of the file (as an editor shows it) at which the daemons' line `num` starts. */
function physicalLineOf(text: string, num: number): number {
  const daemon = cutLines(text, 'daemon');
  const start = daemon.at[3 * (Math.min(num, daemon.count) - 1)]!;
  const lines = cutLines(text);
  for (let k = 0; k < lines.count; k++) if (lines.at[3 * k + 1]! >= start) return k + 1;
  return lines.count;
}

export function lineEndingProblem(text: string, eols: EolStats): Diagnostic | null {
  const cr = eols.firstCr;
  if (!cr) return null;
  const verdict = daemonVerdict(text);
  const refusal = verdict ? ` and refuse it there: ${verdict.message}` : '';
  if (eols.allCrlf) {
    return diag('error', 'CRLF', `Windows (CRLF) line endings: the daemons would read only the first line and ignore the rest${refusal}; convert the file to LF line endings`, {
      line: 1,
      column: cr.col + 1,
      length: 1,
    });
  }
  if (!verdict) {
    return diag('error', 'MIXEDEOL', 'a carriage return in a file with LF line endings: the daemons would read the lines before it as one line; use LF line endings only', {
      line: cr.num,
      column: cr.col + 1,
      length: 1,
    });
  }
  const from = physicalLineOf(text, verdict.line);
  const where = from === verdict.line ? `line ${verdict.line}` : `their line ${verdict.line} (which starts at line ${from})`;
  return diag('error', 'MIXEDEOL', `a carriage return in a file with LF line endings (line ${cr.num}): the daemons end a line at the first carriage return anywhere later in the file, so they read other lines than these and stop at ${where}: ${verdict.message}; use LF line endings only`, {
    line: verdict.line,
    column: 1,
    length: 1,
  });
}
