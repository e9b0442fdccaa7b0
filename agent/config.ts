// Reading lvs.cf for the agent: the file is the only source of truth, so every (re)load goes
// through the lvs-cf library and an invalid file comes back as the library's positioned message.
// A new version of the file in use is read at the cost of what changed (lvs-cf/reparse.ts: the
// virtual servers the change falls in, with the verdict a whole parse would give); anything the
// library cannot vouch for that way is parsed whole.
import { open } from 'node:fs/promises';
import { blockSpans, decodeConfigFile, formatDiagnostic, parseDocument, type BlockSpan, type Diagnostic, type LvsConfig, type ParseResult } from '../lvs-cf/index.ts';
import type { IncrementalDoc } from '../lvs-cf/incremental.ts';
import { layoutSpans, readDocument, reparse } from '../lvs-cf/reparse.ts';

/**
 * `length`: characters parsed (a large file's parse leaves much garbage, see memory.ts). `same`: the
 * file holds exactly the text given as the one in use, already parsed and validated: the parser
 * is a function of the text, so its verdict would be the same, and it is not run again.
 */
export type LoadedConfig =
  /**
   * `blocks`: where each virtual/failover block lies in `text`, for plans of a change given as hunks.
   * `doc`: what the next version is read against (null for a file read with a note, parsed whole again).
   */
  | { kind: 'ok'; model: LvsConfig; text: string; warnings: string[]; length: number; blocks: BlockSpan[]; doc: IncrementalDoc | null }
  | { kind: 'same' }
  | { kind: 'missing' }
  | { kind: 'invalid'; message: string; length: number };

/** The file in use, as the next read compares with it. */
export interface TextInUse {
  text: string | null;
  doc: IncrementalDoc | null;
}

export async function loadConfig(path: string, inUse: TextInUse | null = null): Promise<LoadedConfig> {
  let bytes: Buffer;
  try {
    bytes = await readWhole(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', message: `${path}: cannot read: ${(err as Error).message}`, length: 0 };
  }
  // The daemons read bytes: a file that is not UTF-8 is read as Latin-1 (with a warning).
  const { text, note } = decodeConfigFile(bytes);
  // A file read as Latin-1 is parsed again, so that its warning is the file's own.
  if (inUse !== null && note === null && text === inUse.text) return { kind: 'same' };
  return note === null ? parseAgainst(text, path, inUse?.doc ?? null) : parseConfigText(text, path, note);
}

/** parseConfigText(text), at the cost of its difference from `doc`'s text where the library vouches for it. */
export function parseAgainst(text: string, path: string, doc: IncrementalDoc | null): Extract<LoadedConfig, { kind: 'ok' | 'invalid' }> {
  if (doc !== null) {
    const r = reparse(doc, text);
    if (r.kind === 'fast') return loaded(r.doc, path, r.parsed, null);
  }
  return parseConfigText(text, path);
}

/**
 * The whole file in one read: readFile() reads a large file 512 KB at a time, each step a trip
 * through the thread pool (a 26 MB lvs.cf: fifty of them, several times the cost of one read).
 */
async function readWhole(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    // One byte more than its size, so that a file that grew meanwhile is read to its end too.
    let buf = Buffer.allocUnsafe((await fh.stat()).size + 1);
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) return buf.subarray(0, length);
      length += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Validates the text of an lvs.cf; `path` only names the file in the messages. */
export function parseConfigText(text: string, path: string, note: Diagnostic | null = null): Extract<LoadedConfig, { kind: 'ok' | 'invalid' }> {
  let result: ParseResult;
  let blocks: BlockSpan[];
  if (note === null) {
    const read = readDocument(text);
    if (read.doc.result.ok && read.doc.result.model) return loaded(read.doc, path, text.length, read.blocks);
    result = read.doc.result;
    blocks = read.blocks;
  } else {
    // A file read with a note is not kept for reparse(): its next version is parsed whole again.
    const whole = parseDocument(text);
    result = { ...whole.result, diagnostics: [note, ...whole.result.diagnostics] };
    blocks = blockSpans(whole.tree, text);
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.ok || !result.model || errors.length > 0) {
    const shown = errors.length > 0 ? errors : result.diagnostics;
    return { kind: 'invalid', message: shown.map((d) => formatDiagnostic(d, text, path)).join('\n'), length: text.length };
  }
  return { kind: 'ok', model: result.model, text, warnings: warningsOf(result.diagnostics, text, path), length: text.length, blocks, doc: null };
}

function warningsOf(diagnostics: readonly Diagnostic[], text: string, path: string): string[] {
  return diagnostics.filter((d) => d.severity === 'warning').map((d) => formatDiagnostic(d, text, path));
}

function loaded(doc: IncrementalDoc, path: string, length: number, blocks: BlockSpan[] | null): Extract<LoadedConfig, { kind: 'ok' }> {
  const { text, result } = doc;
  return { kind: 'ok', model: result.model!, text, warnings: warningsOf(result.diagnostics, text, path), length, blocks: blocks ?? layoutSpans(doc)!, doc };
}
