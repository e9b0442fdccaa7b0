// Diagnostic codes. The first group are the original parser's error kinds (lvsconfig.h), with the
// same meaning; the second are the cases where the daemons silently misread a file; the third
// are semantic checks the daemons never made.
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
} as const;

/** The daemons' numeric return code for each of their error kinds. */
export const DAEMON_RC: Record<keyof typeof SYNTAX_CODES, number> = {
  STAT: 1, BADQUOTING: 3, EXTRAARGS: 5, EQUALEXPECTED: 6, MISSINGARGS: 7, BADHOSTNAME: 8, BADARGUMENT: 9,
  INTEXPECTED: 10, BOOLEXPECTED: 11, BADCOMMAND: 12, LISTEXPECTED: 13, TOOMANYARGS: 14, BADNETMASK: 16,
};

export type SyntaxCode = keyof typeof SYNTAX_CODES;

/** Codes for what the daemons accept but misread (errors) or accept with a surprise (warnings). */
export type QuirkCode =
  | 'CRLF' | 'MIXEDEOL' | 'BINARY' | 'UNCLOSED' | 'AFTERBRACE' | 'PMASKALLONES' | 'PORTORDER' | 'HOSTNAME'
  | 'SHORTADDR' | 'OCTAL' | 'DUPKEY' | 'SINGLEQUOTE';

export interface Pos {
  line: number;
  column: number;
  length: number;
}

export function diag(
  severity: Severity,
  code: string,
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

export function syntaxError(code: SyntaxCode, detail: string, pos: Pos, target?: Target, key?: string): Diagnostic {
  const base = SYNTAX_CODES[code];
  return diag('error', code, detail ? `${base}: ${detail}` : base, pos, target, key);
}

export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.column - b.column;
}
