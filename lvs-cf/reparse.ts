// parse() of a new version of a large file at the cost of what changed, given the previous
// version's document (incremental.ts). A daemon that re-reads lvs.cf after each save gets the whole
// file again, changed in a line or two (a weight, and the serial number the console bumps): the
// global section is read again (it is short), the rest is compared with the previous text from both
// ends, and only the virtual servers the difference falls in are parsed, behind the new global
// section; their diagnostics, model and block ends are placed back at their lines, and every other
// virtual server's are kept, shifted by the lines the change added or removed.
//
// The result is parse(text)'s because the same guards as incremental.ts hold, and a few more that
// a change of the text (rather than an edit) needs: the global settings other than serial_no are
// unchanged (they decide how every virtual server is checked), the global section's diagnostics are
// unchanged, the virtual servers read again have no error, no failover block, no message quoting a
// line number, no name or firewall mark shared with a virtual server outside them, and no NAT site
// without a NAT router. When a guard does not hold, reparse() says `slow` with the reason and the
// caller parses the whole file. lvs-cf/reparse.test.ts compares both on random changes.
import { blockSpans, parseDocument } from './index.ts';
import { parseCut } from './chunked-parse.ts';
import { IncrementalDoc, natDepends } from './incremental.ts';
import { countLines, type Layout } from './cut-layout.ts';
import { TextPieces } from './text-pieces.ts';
import { byPosition } from './diagnostics.ts';
import type { Diagnostic, LvsConfig, Target, VirtualServer } from './model.ts';
import type { ParseResult } from './api-types.ts';
import type { BlockSpan } from './spans.ts';

export type Reparsed = { kind: 'fast'; doc: IncrementalDoc; /** Characters parsed again. */ parsed: number } | { kind: 'slow'; reason: string };

/** Characters compared at once while looking for the first difference (one engine comparison each). */
const STEP = 1 << 14;

/** Keys of the model that are not global settings, or that no virtual server's check depends on. */
const NOT_SETTINGS = new Set<keyof LvsConfig>(['virtuals', 'failovers', 'serial_no']);

const slow = (reason: string): Reparsed => ({ kind: 'slow', reason });

/** Length of the common prefix of a[aFrom..] and b[bFrom..], at most `max`. */
export function commonPrefix(a: string, aFrom: number, b: string, bFrom: number, max: number): number {
  let n = 0;
  while (n < max) {
    const len = Math.min(STEP, max - n);
    if (a.slice(aFrom + n, aFrom + n + len) !== b.slice(bFrom + n, bFrom + n + len)) {
      for (let i = 0; i < len; i++) if (a.charCodeAt(aFrom + n + i) !== b.charCodeAt(bFrom + n + i)) return n + i;
    }
    n += len;
  }
  return n;
}

/** Length of the common suffix of a and b, at most `max`. */
export function commonSuffix(a: string, b: string, max: number): number {
  let n = 0;
  while (n < max) {
    const len = Math.min(STEP, max - n);
    if (a.slice(a.length - n - len, a.length - n) !== b.slice(b.length - n - len, b.length - n)) {
      for (let i = 1; i <= len; i++) if (a.charCodeAt(a.length - n - i) !== b.charCodeAt(b.length - n - i)) return n + i - 1;
    }
    n += len;
  }
  return n;
}

/**
 * Where the global section of `text` ends: just past the last statement line before the first line
 * that opens a block, with the lines before that point; null when no block follows a statement.
 * A quick reading of the lines only: the parse of the piece confirms it (reparse checks the piece's
 * layout against it).
 */
function globalSectionEnd(text: string): { end: number; lines: number } | null {
  let at = 0;
  let line = 0;
  let last: { end: number; lines: number } | null = null;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return null;
    line++;
    const l = text.slice(at, nl).trim();
    if (l !== '' && !l.startsWith('#')) {
      if (l.endsWith('{')) return last;
      last = { end: nl + 1, lines: line };
    }
    at = nl + 1;
  }
  return null;
}

/** The segment (0-based virtual block; the tail belongs to the last) that offset `at` falls in. */
function segmentAt(ends: readonly number[], n: number, at: number): number {
  // The largest k in [0, n - 1] with ends[k] <= at (segment k starts at ends[k]).
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ends[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function sameSettings(a: LvsConfig, b: LvsConfig): boolean {
  for (const key of Object.keys(a) as (keyof LvsConfig)[]) {
    if (NOT_SETTINGS.has(key)) continue;
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return Object.keys(a).length === Object.keys(b).length;
}

function shifted(vs: VirtualServer, by: number): VirtualServer {
  if (by === 0) return vs;
  return { ...vs, line: vs.line + by, servers: vs.servers.map((s) => ({ ...s, line: s.line + by })) };
}

function moved(d: Diagnostic, lines: number, virtuals: number, from: number): Diagnostic {
  const t: Target | undefined = d.target && d.target.scope !== 'global' && d.target.virtual >= from && virtuals !== 0 ? { ...d.target, virtual: d.target.virtual + virtuals } : d.target;
  if (lines === 0 && t === d.target) return d;
  return { ...d, line: d.line === 0 ? 0 : d.line + lines, ...(t ? { target: t } : {}) };
}

/** parse(text), given the document of the version before; `slow` when the whole file must be parsed. */
export function reparse(prev: IncrementalDoc, text: string): Reparsed {
  const cuts = prev.cuts;
  if (!cuts) return slow(prev.uncut ?? 'the file is not cut');
  const old = prev.text;
  const model = prev.result.model!;
  if (natDepends(model)) return slow('NAT without a NAT router depends on every virtual server');
  const n = model.virtuals.length;
  const { ends, lines } = cuts;
  const head = globalSectionEnd(text);
  if (!head) return slow('no global statement before the first block');
  const dHeadChars = head.end - ends[0]!;
  const dHeadLines = head.lines - lines[0]!;

  // The virtual servers the difference after the global section falls in: k1..k2.
  const oldRest = old.length - ends[0]!;
  const newRest = text.length - head.end;
  const max = Math.min(oldRest, newRest);
  const p = commonPrefix(old, ends[0]!, text, head.end, max);
  let k1 = 0;
  let k2 = 0;
  if (!(p === oldRest && p === newRest)) {
    const s = commonSuffix(old, text, max - p);
    const from = ends[0]! + p;
    const to = old.length - s;
    k1 = segmentAt(ends, n, from);
    k2 = to > from ? segmentAt(ends, n, to - 1) : k1;
  }
  const oldFrom = ends[k1]!;
  const oldTo = k2 === n - 1 ? old.length : ends[k2 + 1]!;
  const newFrom = oldFrom + dHeadChars;
  const newTo = oldTo + (text.length - old.length);
  if (newTo < newFrom) return slow('the change could not be placed');

  // The new global section and the changed virtual servers, parsed as one small file.
  const pieceText = text.slice(0, head.end) + text.slice(newFrom, newTo);
  const parsed = parseDocument(pieceText);
  const piece = IncrementalDoc.of(pieceText, parsed.tree, parsed.result);
  const pieceCuts = piece.cuts;
  if (!pieceCuts) return slow(`the changed virtual servers: ${piece.uncut}`);
  if (pieceCuts.ends[0] !== head.end) return slow('the global section ends elsewhere than it seemed');
  const next = parsed.result.model!;
  if (!sameSettings(model, next)) return slow('a global setting other than serial_no changed');
  const headDiagnostics = (r: ParseResult, last: number) => JSON.stringify(r.diagnostics.filter((d) => d.line <= last));
  if (headDiagnostics(prev.result, lines[0]!) !== headDiagnostics(parsed.result, head.lines)) return slow('the diagnostics of the global section changed');

  // Names and firewall marks: nothing the whole file would find shared across virtual servers.
  const replaced = model.virtuals.slice(k1, k2 + 1);
  const replacedNames = new Map<string, number>();
  const replacedMarks = new Map<number, number>();
  for (const v of replaced) {
    replacedNames.set(v.name, (replacedNames.get(v.name) ?? 0) + 1);
    if (v.fwmark) replacedMarks.set(v.fwmark, (replacedMarks.get(v.fwmark) ?? 0) + 1);
  }
  for (const [mark, c] of replacedMarks) if (prev.markCount(mark) > c) return slow('a firewall mark is shared');
  for (const v of next.virtuals) {
    if (prev.nameCount(v.name) - (replacedNames.get(v.name) ?? 0) > 0) return slow('a virtual server name is also used elsewhere');
    if (v.fwmark && prev.markCount(v.fwmark) - (replacedMarks.get(v.fwmark) ?? 0) > 0) return slow('a firewall mark is shared');
  }

  // Lines: before k1 they move with the global section, after k2 by everything the change added.
  const totalOldLines = lines[n]! + countLines(old, ends[n]!, old.length);
  const oldToLine = k2 === n - 1 ? totalOldLines : lines[k2 + 1]!;
  const newFromLine = lines[k1]! + dHeadLines;
  const pieceLines = countLines(pieceText, head.end, pieceText.length);
  const dLines = dHeadLines + pieceLines - (oldToLine - lines[k1]!);
  const dChars = text.length - old.length;
  const inPiece = newFromLine - head.lines;
  const dVirtuals = next.virtuals.length - replaced.length;

  const diagnostics: Diagnostic[] = [];
  for (const d of parsed.result.diagnostics) {
    if (d.line <= head.lines) diagnostics.push(d);
    else diagnostics.push(moved(d, inPiece, k1, 0));
  }
  for (const d of prev.result.diagnostics) {
    if (d.line <= lines[0]!) continue;
    if (d.line <= lines[k1]!) diagnostics.push(moved(d, dHeadLines, 0, 0));
    else if (d.line > oldToLine) diagnostics.push(moved(d, dLines, dVirtuals, k2 + 1));
  }
  diagnostics.sort(byPosition);

  const virtuals = [
    ...model.virtuals.slice(0, k1).map((v) => shifted(v, dHeadLines)),
    ...next.virtuals.map((v) => shifted(v, inPiece)),
    ...model.virtuals.slice(k2 + 1).map((v) => shifted(v, dLines)),
  ];
  const layout: Layout = { ends: [head.end], lines: [head.lines] };
  for (let i = 1; i <= k1; i++) {
    layout.ends.push(ends[i]! + dHeadChars);
    layout.lines.push(lines[i]! + dHeadLines);
  }
  for (let i = 1; i < pieceCuts.ends.length; i++) {
    layout.ends.push(pieceCuts.ends[i]! - head.end + newFrom);
    layout.lines.push(pieceCuts.lines[i]! + inPiece);
  }
  for (let i = k2 + 2; i <= n; i++) {
    layout.ends.push(ends[i]! + dChars);
    layout.lines.push(lines[i]! + dLines);
  }
  if (layout.ends.length !== virtuals.length + 1) return slow('the blocks could not be placed back');
  const result: ParseResult = { ok: !diagnostics.some((d) => d.severity === 'error'), model: { ...next, virtuals, failovers: [] }, diagnostics };
  return { kind: 'fast', doc: prev.replaced(text, result, layout, replaced, next.virtuals), parsed: pieceText.length };
}

/**
 * blockSpans() of a cut document's file, from its layout (every block of such a file is a virtual
 * server): a block's header is the first line of its segment that is neither blank nor a comment.
 */
export function layoutSpans(doc: IncrementalDoc): BlockSpan[] | null {
  const cuts = doc.cuts;
  const model = doc.result.model;
  if (!cuts || !model) return null;
  const text = doc.text;
  const out: BlockSpan[] = [];
  for (let i = 0; i < model.virtuals.length; i++) {
    let at = cuts.ends[i]!;
    for (;;) {
      const nl = text.indexOf('\n', at);
      const l = text.slice(at, nl < 0 ? text.length : nl).trim();
      if (nl < 0 || (l !== '' && !l.startsWith('#'))) break;
      at = nl + 1;
    }
    out.push({ level: 'virtual', name: model.virtuals[i]!.name, start: at, end: cuts.ends[i + 1]!, index: i });
  }
  return out;
}

/**
 * A whole file read for reparse() later: its document and block spans. A large file is parsed in
 * pieces (chunked-parse.ts), holding one piece's syntax tree at a time; any other is parsed whole.
 */
export function readDocument(text: string): { doc: IncrementalDoc; blocks: BlockSpan[] } {
  const cut = parseCut(text);
  if (cut) {
    const doc = IncrementalDoc.withLayout(TextPieces.of(text), cut.result, cut.layout);
    return { doc, blocks: layoutSpans(doc)! };
  }
  const whole = parseDocument(text);
  return { doc: IncrementalDoc.of(text, whole.tree, whole.result), blocks: blockSpans(whole.tree, text) };
}
