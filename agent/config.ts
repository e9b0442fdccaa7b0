// Reading lvs.cf for the agent: the file is the only source of truth, so every (re)load goes
// through the lvs-cf library and an invalid file comes back as the library's positioned message.
import { readFile } from 'node:fs/promises';
import { blockSpans, decodeConfigFile, parseDocument, formatDiagnostic, type BlockSpan, type Diagnostic, type LvsConfig } from '../lvs-cf/index.ts';

export type LoadedConfig =
  /** `blocks`: where each virtual/failover block lies in `text`, for plans of a change given as hunks. */
  | { kind: 'ok'; model: LvsConfig; text: string; warnings: string[]; blocks: BlockSpan[] }
  | { kind: 'missing' }
  | { kind: 'invalid'; message: string };

export async function loadConfig(path: string): Promise<LoadedConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', message: `${path}: cannot read: ${(err as Error).message}` };
  }
  // The daemons read bytes: a file that is not UTF-8 is read as Latin-1 (with a warning).
  const { text, note } = decodeConfigFile(bytes);
  return parseConfigText(text, path, note);
}

/** Validates the text of an lvs.cf; `path` only names the file in the messages. */
export function parseConfigText(text: string, path: string, note: Diagnostic | null = null): LoadedConfig {
  const { tree, result } = parseDocument(text);
  if (note) result.diagnostics.unshift(note);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.ok || !result.model || errors.length > 0) {
    const shown = errors.length > 0 ? errors : result.diagnostics;
    return { kind: 'invalid', message: shown.map((d) => formatDiagnostic(d, text, path)).join('\n') };
  }
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning').map((d) => formatDiagnostic(d, text, path));
  return { kind: 'ok', model: result.model, text, warnings, blocks: blockSpans(tree, text) };
}
