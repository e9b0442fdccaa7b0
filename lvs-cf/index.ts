// The lvs.cf library: a lossless, strict parser and serializer for /etc/sysconfig/ha/lvs.cf, its
// typed model with semantic validation, minimal edits, and the mapping to ipvsadm.
import { printTree, type SyntaxTree } from './syntax.ts';
import { buildTree } from './tree-builder.ts';
import { readModel } from './read-model.ts';
import { validateModel } from './validate.ts';
import { lineEndingProblem } from './line-endings.ts';
import { syntaxError, byPosition, isDaemonCode } from './diagnostics.ts';
import { TreeEditor, EditError } from './edit.ts';
import { computePatch } from './patch.ts';
import { canonicalText } from './canonical.ts';
import type { Diagnostic, LvsConfig } from './model.ts';
import type { Edit, EditResult, ParseResult } from './api-types.ts';

export * from './model.ts';
export * from './api-types.ts';
export { writeFileAtomic } from '../common/atomic-write.ts';
export { decodeConfigFile, encodeConfigText, type ConfigText, type Encoding } from './file-text.ts';
export { formatDiagnostic } from './code-frame.ts';
export { toIpvsadm, forwardFlag, serviceAddress } from './ipvsadm.ts';
export { printModel } from './canonical.ts';
export { applyPatch, splicePieces } from './patch.ts';
export { blockSpans, type BlockSpan } from './spans.ts';
export { NEW_VIRTUAL_DEFAULTS, NEW_SERVER_DEFAULTS, formatValue } from './edit.ts';
export { defaultConfig, defaultVirtual } from './read-model.ts';
export { SYNTAX_CODES, DAEMON_RC } from './diagnostics.ts';
export { DIAGNOSTIC_CODES, ALL_CODES, type Group } from './codes.ts';
export { isStrictIPv4, parseStrictIPv4, isContiguousMask, maskPrefixLength, formatIPv4 } from './values.ts';

export interface Document {
  tree: SyntaxTree;
  result: ParseResult;
}

function analyse(text: string): Document {
  const diagnostics: Diagnostic[] = [];
  if (text.length === 0) diagnostics.push(syntaxError('STAT', 'the file is empty', { line: 0, column: 0, length: 0 }));
  const built = buildTree(text);
  diagnostics.push(...built.diagnostics);
  const read = readModel(built.tree);
  diagnostics.push(...read.diagnostics);
  // The model is withheld only when the daemons would refuse what the file says (their error
  // kinds) or it is not text (NUL bytes); for the exceptions they run but misread (carriage returns,
  // a lone quote) the model is what the file says, with the error beside it.
  const syntaxOk = !diagnostics.some((d) => d.severity === 'error' && (isDaemonCode(d.code) || d.code === 'BINARY'));
  if (syntaxOk) diagnostics.push(...validateModel(read.model, read.locate, true));
  diagnostics.sort(byPosition);
  // Carriage returns change how the daemons cut every line: that error comes first, at the line
  // where the daemons stop (the lines after it are what the file will mean once it has LF endings).
  const eol = lineEndingProblem(text, built.eols);
  if (eol) diagnostics.unshift(eol);
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return { tree: built.tree, result: { ok, model: syntaxOk ? read.model : null, diagnostics } };
}

/** Parses and validates a file. The model is null only when the daemons would refuse the syntax. */
export function parse(text: string): ParseResult {
  return analyse(text).result;
}

/** Parses into a document that can be printed back unchanged or edited. */
export function parseDocument(text: string): Document {
  return analyse(text);
}

/** The exact text of a document. */
export function serialize(doc: Document): string {
  return printTree(doc.tree);
}

/** The file rewritten in the original GUI's layout, keeping every key. */
export function canonical(text: string): string {
  const doc = analyse(text);
  return canonicalText(doc.tree, doc.result.model);
}

/**
 * Applies edits and validates the result. On success returns the new text, the minimal patch and
 * the new model; otherwise the problems, each pointing at the element and key it concerns.
 */
export function edit(text: string, edits: Edit[]): EditResult {
  const before = analyse(text);
  const tree = before.tree;
  const editor = new TreeEditor(tree);
  try {
    for (const e of edits) editor.apply(e);
  } catch (e) {
    if (e instanceof EditError) return { ok: false, diagnostics: [e.toDiagnostic()] };
    throw e;
  }
  const next = printTree(tree);
  const after = analyse(next).result;
  const refused = refusals(before.result.diagnostics, after);
  if (refused.length || !after.model) return { ok: false, diagnostics: refused.length ? refused : after.diagnostics.filter((d) => d.severity === 'error') };
  return { ok: true, text: next, patch: computePatch(text, tree), model: after.model, diagnostics: after.diagnostics };
}

/** Problems compare by what they say, not where: an edit moves lines and renumbers blocks. */
function problemKey(d: Diagnostic): string {
  return `${d.code}|${d.key ?? ''}|${d.message}`;
}

/**
 * Why an edit's result may not be written: a problem the edit adds that is an error for what the
 * console writes (errors, and the warnings marked writeError), shown as an error; or errors it
 * leaves in place without fixing any of them (a file with errors only takes edits that fix one).
 */
function refusals(before: Diagnostic[], after: ParseResult): Diagnostic[] {
  const had = new Map<string, number>();
  for (const d of before) {
    if (d.severity !== 'error' && !d.writeError) continue;
    const k = problemKey(d);
    had.set(k, (had.get(k) ?? 0) + 1);
  }
  const added: Diagnostic[] = [];
  for (const d of after.diagnostics) {
    if (d.severity !== 'error' && !d.writeError) continue;
    const k = problemKey(d);
    const n = had.get(k) ?? 0;
    if (n > 0) had.set(k, n - 1);
    else added.push(d.severity === 'error' ? d : { ...d, severity: 'error' });
  }
  if (added.length) return added;
  const errors = after.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0 || errors.length < before.filter((d) => d.severity === 'error').length) return [];
  return errors;
}

/** The model, or throws with the first error rendered — for callers that cannot go on without one. */
export function parseOrThrow(text: string, file = 'lvs.cf'): LvsConfig {
  const r = parse(text);
  if (!r.model || !r.ok) {
    const first = r.diagnostics.find((d) => d.severity === 'error')!;
    throw new Error(`${file}:${first.line}:${first.column}: ${first.message}`);
  }
  return r.model;
}
