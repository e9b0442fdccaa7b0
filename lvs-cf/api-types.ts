// Types of the library's public API (see index.ts for the functions).
import type { Diagnostic, LvsConfig, Target } from './model.ts';

/**
 * A value for `set`. Strings are the user's text for that key: for `address` / `nat_router` it is
 * "IP DEVICE"; for the quoted keys (send, expect, send_program, start_cmd, stop_cmd, active_cmd,
 * inactive_cmd) it is the text between the quotes (the library adds them). Booleans become 1/0.
 * null removes the key.
 */
export type EditValue = string | number | boolean | null;

export type Edit =
  | { op: 'set'; target: Target; key: string; value: EditValue }
  | { op: 'setActive'; target: Target; active: boolean }
  /** Appends a virtual server in the GUI's canonical layout with its defaults; `fields` override them. */
  | { op: 'addVirtual'; name: string; fields?: Record<string, EditValue> }
  | { op: 'removeVirtual'; virtual: number }
  | { op: 'renameVirtual'; virtual: number; name: string }
  | { op: 'addServer'; virtual: number; name: string; fields?: Record<string, EditValue> }
  | { op: 'removeServer'; virtual: number; server: number }
  | { op: 'renameServer'; virtual: number; server: number; name: string }
  /** Every line ending (CRLF, a lone CR) becomes LF: the fix for the CRLF / MIXEDEOL errors. */
  | { op: 'useLfLineEndings' };

/** One replaced range of the old text (UTF-16 offsets into the old text). */
export interface PatchHunk {
  start: number;
  end: number;
  /** 1-based line of `start` in the old text. */
  line: number;
  removed: string;
  inserted: string;
}

export interface ParseResult {
  /** true when there are no errors (warnings allowed). */
  ok: boolean;
  /** null only when the file has syntax errors the daemons would refuse. */
  model: LvsConfig | null;
  /** Syntax and semantic problems, in line order. */
  diagnostics: Diagnostic[];
}

export type EditResult =
  | { ok: true; text: string; patch: PatchHunk[]; model: LvsConfig; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };
