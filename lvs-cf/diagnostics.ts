// Building diagnostics. The codes and their severities are in codes.ts; the daemons' own error
// kinds keep their messages here (lvsStrerror), so a refusal reads the way pulse reported it.
import type { DaemonCode, DiagnosticCode } from './codes.ts';
import type { Lexed } from './lexer.ts';
import type { Diagnostic, Severity, Target } from './model.ts';

export const SYNTAX_CODES = {
  STAT: 'Empty configuration', // rc 1
  BADQUOTING: 'quotation mismatch', // rc 3
  EXTRAARGS: 'unexpected arguments', // rc 5
  EQUALEXPECTED: 'equal (=) expected after command', // rc 6
  MISSINGARGS: 'missing arguments', // rc 7
  BADHOSTNAME: 'invalid host name or ip address', // rc 8
  BADARGUMENT: 'invalid argument', // rc 9
  INTEXPECTED: 'integer expected', // rc 10
  BOOLEXPECTED: 'boolean expected', // rc 11
  BADCOMMAND: 'unknown command', // rc 12
  LISTEXPECTED: 'list expected', // rc 13
  TOOMANYARGS: 'too many arguments', // rc 14
  BADNETMASK: 'Bad subnet mask specified', // rc 16
} as const satisfies Record<DaemonCode, string>;

/** The daemons' numeric return code for each of their error kinds. */
export const DAEMON_RC: Record<DaemonCode, number> = {
  STAT: 1, BADQUOTING: 3, EXTRAARGS: 5, EQUALEXPECTED: 6, MISSINGARGS: 7, BADHOSTNAME: 8, BADARGUMENT: 9,
  INTEXPECTED: 10, BOOLEXPECTED: 11, BADCOMMAND: 12, LISTEXPECTED: 13, TOOMANYARGS: 14, BADNETMASK: 16,
};

export type SyntaxCode = DaemonCode;

export function isDaemonCode(code: DiagnosticCode): code is DaemonCode {
  return code in SYNTAX_CODES;
}

export interface Pos {
  line: number;
  column: number;
  length: number;
}

export function diag(
  severity: Severity,
  code: DiagnosticCode,
  message: string,
  pos: Pos,
  target?: Target,
  key?: string,
): Diagnostic {
  const d: Diagnostic = { severity, code, message, line: pos.line, column: pos.column, length: pos.length };
  if (target) d.target = target;
  if (key) d.key = key;
  return d;
}

/** A problem the daemons run with: a warning in a file, refused in what an edit writes. */
export function tolerated(code: DiagnosticCode, message: string, pos: Pos, target?: Target, key?: string): Diagnostic {
  const d = diag('warning', code, message, pos, target, key);
  d.writeError = true;
  return d;
}

export function syntaxError(code: SyntaxCode, detail: string, pos: Pos, target?: Target, key?: string): Diagnostic {
  const base = SYNTAX_CODES[code];
  return diag('error', code, detail ? `${base}: ${detail}` : base, pos, target, key);
}

// The quoting problems tokenizeString() runs into: a refusal, an undefined word, or dropped words.

export function badQuoting(num: number, lx: Lexed): Diagnostic {
  return syntaxError('BADQUOTING', 'this quote is never closed on its line', { line: num, column: lx.bad!.col + 1, length: lx.bad!.length });
}

export function loneQuote(num: number, col: number): Diagnostic {
  return diag('error', 'LONEQUOTE', 'a quote alone at the end of the line: the daemons read an undefined word here (their tokenizer writes before its buffer); remove the quote or close it', {
    line: num,
    column: col + 1,
    length: 1,
  });
}

/** The warning for words the daemons drop after an unclosed quote they do not check. */
export function quoteDropped(num: number, lx: Lexed, what: string): Diagnostic {
  return tolerated('QUOTEDROP', `this quote is never closed: after the first line of a virtual block the daemons do not refuse that, they drop the quote and the rest of the line${what}`, {
    line: num,
    column: lx.bad!.col + 1,
    length: lx.bad!.length,
  });
}

export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.column - b.column;
}
