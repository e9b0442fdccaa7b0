// Reading lvs.cf for the agent: the file is the only source of truth, so every (re)load goes
// through the lvs-cf library and an invalid file comes back as the library's positioned message.
import { readFile } from 'node:fs/promises';
import { blockSpans, decodeConfigFile, parseDocument, formatDiagnostic, type BlockSpan, type Diagnostic, type LvsConfig } from '../lvs-cf/index.ts';

/**
 * `length`: characters read (a large file's parse leaves much garbage, see memory.ts). `same`: the
 * file holds exactly the text given as the one in use, already parsed and validated: the parser
 * is a function of the text, so its verdict would be the same, and it is not run again.
 */
export type LoadedConfig =
  /** `blocks`: where each virtual/failover block lies in `text`, for plans of a change given as hunks. */
  | { kind: 'ok'; model: LvsConfig; text: string; warnings: string[]; length: number; blocks: BlockSpan[] }
  | { kind: 'same' }
  | { kind: 'missing' }
  | { kind: 'invalid'; message: string; length: number };

export async function loadConfig(path: string, inUse: string | null = null): Promise<LoadedConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', message: `${path}: cannot read: ${(err as Error).message}`, length: 0 };
  }
  // The daemons read bytes: a file that is not UTF-8 is read as Latin-1 (with a warning).
  const { text, note } = decodeConfigFile(bytes);
  // A file read as Latin-1 is parsed again, so that its warning is the file's own.
  if (inUse !== null && note === null && text === inUse) return { kind: 'same' };
  return parseConfigText(text, path, note);
}

/** Validates the text of an lvs.cf; `path` only names the file in the messages. */
export function parseConfigText(text: string, path: string, note: Diagnostic | null = null): Extract<LoadedConfig, { kind: 'ok' | 'invalid' }> {
  const { tree, result } = parseDocument(text);
  if (note) result.diagnostics.unshift(note);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.ok || !result.model || errors.length > 0) {
    const shown = errors.length > 0 ? errors : result.diagnostics;
    return { kind: 'invalid', message: shown.map((d) => formatDiagnostic(d, text, path)).join('\n'), length: text.length };
  }
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning').map((d) => formatDiagnostic(d, text, path));
  return { kind: 'ok', model: result.model, text, warnings, length: text.length, blocks: blockSpans(tree, text) };
}
