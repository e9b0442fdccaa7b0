// Every diagnostic code the library can report, with the severities it can carry when a file is
// read and when the console writes a value. docs/lvs-cf.md has one table row per code; a test reads
// that table and compares it with this list both ways, so the two cannot drift apart.
//
// Reading a file follows one rule: what the daemons run is never an error. Errors are the daemons'
// own refusals, plus a short closed list of files they run but run wrongly (EXCEPTIONS below).
// What the console writes is stricter: a value that would only draw a warning in a file it reads
// is refused when it is typed into a form (`writeError` on the diagnostic).

export type Severity = 'error' | 'warning';

export type Group = 'daemon' | 'exception' | 'misread' | 'semantic' | 'edit';

interface CodeInfo {
  group: Group;
  /** Severities when a file is read (`lvs-cf check`, the agent, the console opening a file). */
  reading: readonly Severity[];
  /** Severities for what an edit writes (a diagnostic the edit introduced). */
  writing: readonly Severity[];
}

const E = ['error'] as const;
const W = ['warning'] as const;
const EW = ['error', 'warning'] as const;

const daemon: CodeInfo = { group: 'daemon', reading: E, writing: E };
const exception: CodeInfo = { group: 'exception', reading: E, writing: E };
/** Read as a warning, refused when an edit would write it. */
const misreadStrict: CodeInfo = { group: 'misread', reading: W, writing: E };
const misread: CodeInfo = { group: 'misread', reading: W, writing: W };
const semanticStrict: CodeInfo = { group: 'semantic', reading: W, writing: E };

export const DIAGNOSTIC_CODES = {
  // The daemons' own error kinds (lvsconfig.h), same meaning.
  STAT: daemon,
  BADQUOTING: daemon,
  EXTRAARGS: daemon,
  EQUALEXPECTED: daemon,
  MISSINGARGS: daemon,
  BADHOSTNAME: daemon,
  BADARGUMENT: daemon,
  INTEXPECTED: daemon,
  BOOLEXPECTED: daemon,
  BADCOMMAND: daemon,
  LISTEXPECTED: daemon,
  TOOMANYARGS: daemon,
  BADNETMASK: daemon,
  // Files the daemons run, but not as written: errors all the same (docs/lvs-cf.md says why).
  CRLF: exception,
  MIXEDEOL: exception,
  BINARY: exception,
  LONEQUOTE: exception,
  'V-TIMEOUT': { group: 'exception', reading: EW, writing: E },
  'V-DUPNAME': { group: 'exception', reading: EW, writing: E },
  // What the daemons accept but read in a way the text does not show.
  AFTERBRACE: { group: 'misread', reading: W, writing: EW },
  AFTERLIST: misreadStrict,
  QUOTEDROP: misreadStrict,
  PORTORDER: misreadStrict,
  NUMWRAP: misreadStrict,
  EMPTYNUM: misreadStrict,
  PMASKIGNORED: misreadStrict,
  UNCLOSED: misread,
  PMASKALLONES: misread,
  HOSTNAME: misread,
  SHORTADDR: misread,
  OCTAL: misread,
  DUPKEY: misread,
  SINGLEQUOTE: misread,
  ENCODING: misread,
  // Semantic checks the daemons never made.
  'V-ADDRESS': semanticStrict,
  'V-NETMASK': semanticStrict,
  'V-PORT': semanticStrict,
  'V-WEIGHT': semanticStrict,
  'V-KEEPALIVE': semanticStrict,
  'V-DEADTIME': { group: 'semantic', reading: W, writing: EW },
  'V-NEGATIVE': semanticStrict,
  'V-SYNCID': semanticStrict,
  'V-BACKUP': semanticStrict,
  'V-DEVICE': semanticStrict,
  'V-NATROUTER': { group: 'semantic', reading: W, writing: EW },
  'V-PROGRAM': semanticStrict,
  'V-NAME': semanticStrict,
  'V-VIP': semanticStrict,
  'V-FWMARK': semanticStrict,
  'V-FWMARK-PERSIST': semanticStrict,
  'V-PERSIST': semanticStrict,
  'V-PMASK': { group: 'semantic', reading: W, writing: W },
  'V-REENTRY': semanticStrict,
  'V-SENDEXPECT': semanticStrict,
  'V-ESCAPE': { group: 'semantic', reading: W, writing: W },
  'V-REGEX': semanticStrict,
  'V-SHAPE': { group: 'semantic', reading: E, writing: E },
  // An edit the library refuses before writing anything.
  EDIT: { group: 'edit', reading: E, writing: E },
} as const satisfies Record<string, CodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Every code, in the order above (the order of the table in docs/lvs-cf.md). */
export const ALL_CODES = Object.keys(DIAGNOSTIC_CODES) as DiagnosticCode[];

/** The daemons' own error kinds. */
export type DaemonCode =
  | 'STAT' | 'BADQUOTING' | 'EXTRAARGS' | 'EQUALEXPECTED' | 'MISSINGARGS' | 'BADHOSTNAME' | 'BADARGUMENT'
  | 'INTEXPECTED' | 'BOOLEXPECTED' | 'BADCOMMAND' | 'LISTEXPECTED' | 'TOOMANYARGS' | 'BADNETMASK';

export function groupOf(code: DiagnosticCode): Group {
  return DIAGNOSTIC_CODES[code].group;
}
