// What a change given as text hunks does to a configuration already parsed, read without parsing the
// rest of the file: the hunks are widened to the virtual server blocks they touch, only those blocks
// (before and after) are parsed, and the result is the model with those virtual servers replaced.
// A one-weight save of a 26 MB lvs.cf is then a parse of one block, not of the file.
//
// Anything that could change more than its own blocks falls back to the whole file (`whole`, with
// the reason): a global setting (other than serial_no, which the director does not read), a failover
// block, hunks not on line boundaries, a block that does not parse on its own. Checks that span
// virtual servers (duplicate names, two servers on one service) are not made here: the console
// validates the whole proposed file before it saves, and the agent again when it reloads it.
import { parseDocument, type BlockSpan, type LvsConfig, type VirtualServer } from '../../lvs-cf/index.ts';

export interface Hunk {
  start: number;
  end: number;
  removed: string;
  inserted: string;
}

/** The virtual servers [from, to) of the base model are replaced by `virtuals`. */
export interface Region {
  from: number;
  to: number;
  virtuals: VirtualServer[];
}

export type Scope = { kind: 'scoped'; regions: Region[]; serial: number | null } | { kind: 'whole'; reason: string };

/** Why the hunks cannot be a change of `text` (out of order, overlapping, outside it, not matching it), or null. */
export function hunkProblem(text: string, hunks: readonly Hunk[]): string | null {
  let at = 0;
  for (const [i, h] of hunks.entries()) {
    if (h.end < h.start) return `hunk ${i + 1} ends before it starts`;
    if (h.start < at) return `hunk ${i + 1} overlaps or precedes the one before it`;
    if (h.end > text.length) return `hunk ${i + 1} reaches past the end of the file`;
    if (text.slice(h.start, h.end) !== h.removed) return `hunk ${i + 1} does not remove what the file holds there`;
    at = h.end;
  }
  return null;
}

/** Applies checked hunks to `text` (positions relative to `offset`). */
export function applyHunks(text: string, hunks: readonly Hunk[], offset = 0): string {
  let out = '';
  let at = 0;
  for (const h of hunks) {
    out += text.slice(at, h.start - offset) + h.inserted;
    at = h.end - offset;
  }
  return out + text.slice(at);
}

interface Widened {
  lo: number;
  hi: number;
  /** Index into `blocks` of the first block inside [lo, hi), and one past the last. */
  first: number;
  last: number;
  hunks: Hunk[];
}

/** The first block whose end is past `pos` (binary search; blocks are in file order). */
function firstEndingAfter(blocks: readonly BlockSpan[], pos: number): number {
  let lo = 0;
  let hi = blocks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (blocks[mid]!.end <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Each hunk widened to the whole blocks it touches; touching or overlapping results merged. */
function widen(blocks: readonly BlockSpan[], hunks: readonly Hunk[]): Widened[] {
  const out: Widened[] = [];
  for (const h of hunks) {
    let lo = h.start;
    let hi = h.end;
    let first = firstEndingAfter(blocks, h.start);
    let last = first;
    // A block is touched when the hunk removes some of it, or inserts strictly inside it.
    while (last < blocks.length) {
      const b = blocks[last]!;
      const touched = h.start < h.end ? b.start < h.end : b.start < h.start;
      if (!touched) break;
      lo = Math.min(lo, b.start);
      hi = Math.max(hi, b.end);
      last++;
    }
    if (first === last) first = last = firstEndingAfter(blocks, hi);
    const prev = out[out.length - 1];
    if (prev && lo <= prev.hi) {
      prev.hi = Math.max(prev.hi, hi);
      prev.last = Math.max(prev.last, last);
      prev.hunks.push(h);
    } else {
      out.push({ lo, hi, first: Math.min(first, last), last, hunks: [h] });
    }
  }
  return out;
}

function atLineStart(text: string, pos: number): boolean {
  return pos === 0 || text[pos - 1] === '\n';
}

/**
 * Reads a run of whole top-level lines: its virtual blocks, and its serial_no when it sets one.
 * null (with the reason) when it holds anything else that matters to the director, or does not parse.
 */
function readFragment(text: string): { virtuals: VirtualServer[]; serial: number | null; hasSerial: boolean } | { reason: string } {
  // Nothing (a block removed, or an insertion's "before"): the library refuses an empty file.
  if (text === '') return { virtuals: [], serial: null, hasSerial: false };
  const { tree, result } = parseDocument(text);
  if (!result.model) return { reason: 'the changed lines do not parse on their own' };
  let hasSerial = false;
  for (const n of tree.children) {
    if (n.type === 'block') {
      if (n.level !== 'virtual') return { reason: `the change touches a ${n.level} block` };
      continue;
    }
    if (n.kind === 'bad' || n.kind === 'close' || n.kind === 'open') return { reason: 'the change has a line that is not a setting' };
    if (n.kind !== 'stmt') continue;
    if (n.tokens[0]?.text !== 'serial_no') return { reason: `the change sets the global "${n.tokens[0]?.text ?? ''}"` };
    hasSerial = true;
  }
  if (result.diagnostics.some((d) => d.severity === 'error' && d.target && d.target.scope !== 'global')) {
    return { reason: 'a changed virtual server does not validate' };
  }
  return { virtuals: result.model.virtuals, serial: hasSerial ? result.model.serial_no : null, hasSerial };
}

/** What `hunks` (checked with hunkProblem) do to the parsed configuration `text` / `blocks`. */
export function scopeChange(text: string, blocks: readonly BlockSpan[], hunks: readonly Hunk[]): Scope {
  const regions: Region[] = [];
  let serial: number | null = null;
  for (const w of widen(blocks, hunks)) {
    if (!atLineStart(text, w.lo) || !(w.hi === text.length || atLineStart(text, w.hi))) return { kind: 'whole', reason: 'a hunk does not cover whole lines' };
    const inside = blocks.slice(w.first, w.last);
    if (inside.some((b) => b.level !== 'virtual')) return { kind: 'whole', reason: 'the change touches a failover block' };
    const oldText = text.slice(w.lo, w.hi);
    const before = readFragment(oldText);
    if ('reason' in before) return { kind: 'whole', reason: before.reason };
    if (before.virtuals.length !== inside.length) return { kind: 'whole', reason: 'the changed blocks read differently on their own' };
    const after = readFragment(applyHunks(oldText, w.hunks, w.lo));
    if ('reason' in after) return { kind: 'whole', reason: after.reason };
    if (before.hasSerial && !after.hasSerial) return { kind: 'whole', reason: 'the change removes serial_no' };
    if (after.serial !== null) serial = after.serial;
    const from = inside.length ? inside[0]!.index : virtualsBefore(blocks, w.first);
    regions.push({ from, to: from + inside.length, virtuals: after.virtuals });
  }
  return { kind: 'scoped', regions, serial };
}

/** How many virtual blocks come before block index `i`. */
function virtualsBefore(blocks: readonly BlockSpan[], i: number): number {
  for (let k = i - 1; k >= 0; k--) if (blocks[k]!.level === 'virtual') return blocks[k]!.index + 1;
  return 0;
}

/** The base model with the regions' virtual servers replaced and the new serial. */
export function applyScope(model: LvsConfig, regions: readonly Region[], serial: number | null): LvsConfig {
  let virtuals: VirtualServer[] = [];
  let at = 0;
  for (const r of regions) {
    virtuals = virtuals.concat(model.virtuals.slice(at, r.from), r.virtuals);
    at = r.to;
  }
  virtuals = virtuals.concat(model.virtuals.slice(at));
  return { ...model, virtuals, serial_no: serial ?? model.serial_no };
}
