// The lvs.cf library: a lossless, strict parser and serializer for /etc/sysconfig/ha/lvs.cf, its
// typed model with semantic validation, minimal edits, and the mapping to ipvsadm.
import { buildTree, printTree, type SyntaxTree } from './syntax.ts';
import { readModel } from './read-model.ts';
import { validateModel } from './validate.ts';
import { syntaxError, byPosition, SYNTAX_CODES } from './diagnostics.ts';
import { TreeEditor, EditError } from './edit.ts';
import { computePatch } from './patch.ts';
import { canonicalText } from './canonical.ts';
import type { Diagnostic, LvsConfig } from './model.ts';
import type { Edit, EditResult, ParseResult } from './api-types.ts';

export * from './model.ts';
export * from './api-types.ts';
export { writeFileAtomic } from '../common/atomic-write.ts';
export { formatDiagnostic } from './code-frame.ts';
export { toIpvsadm, forwardFlag, serviceAddress } from './ipvsadm.ts';
export { printModel } from './canonical.ts';
export { applyPatch } from './patch.ts';
export { blockSpans, type BlockSpan } from './spans.ts';
export { NEW_VIRTUAL_DEFAULTS, NEW_SERVER_DEFAULTS, formatValue } from './edit.ts';
export { defaultConfig, defaultVirtual } from './read-model.ts';
export { SYNTAX_CODES, DAEMON_RC } from './diagnostics.ts';
export { isStrictIPv4, parseStrictIPv4, isContiguousMask, maskPrefixLength, formatIPv4 } from './values.ts';

export interface Document {
  tree: SyntaxTree;
  result: ParseResult;
}

const REFUSED = new Set<string>([...Object.keys(SYNTAX_CODES), 'BINARY', 'MIXEDEOL']);

function analyse(text: string): Document {
  const diagnostics: Diagnostic[] = [];
  if (text.length === 0) diagnostics.push(syntaxError('STAT', 'the file is empty', { line: 0, column: 0, length: 0 }));
  const { tree, diagnostics: structural } = buildTree(text);
  diagnostics.push(...structural);
  const read = readModel(tree);
  diagnostics.push(...read.diagnostics);
  // The model is withheld only when the daemons would refuse the file (their error kinds, binary
  // data, mixed line endings); for what they accept but misread (CRLF, a server before the port,
  // text after `}`) the model is what the file says, with the error beside it.
  const syntaxOk = !diagnostics.some((d) => d.severity === 'error' && REFUSED.has(d.code));
  if (syntaxOk) diagnostics.push(...validateModel(read.model, read.locate, true));
  diagnostics.sort(byPosition);
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return { tree, result: { ok, model: syntaxOk ? read.model : null, diagnostics } };
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
  const { tree } = analyse(text);
  const editor = new TreeEditor(tree);
  try {
    for (const e of edits) editor.apply(e);
  } catch (e) {
    if (e instanceof EditError) return { ok: false, diagnostics: [e.toDiagnostic()] };
    throw e;
  }
  const next = printTree(tree);
  const after = analyse(next).result;
  if (!after.ok || !after.model) return { ok: false, diagnostics: after.diagnostics.filter((d) => d.severity === 'error') };
  return { ok: true, text: next, patch: computePatch(text, tree), model: after.model, diagnostics: after.diagnostics };
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
