// Edits of a large file at the cost of the lines they change. A file is cut into a prelude (up to its
// last global statement), one segment per virtual server (from the end of the block before to the
// end of its own block, the comments above it included) and a tail (blank and comment lines after
// the last block). An edit that touches the global settings and at most one virtual server is made
// by the library's own edit() on a small file of the prelude, that segment and the tail; its hunks,
// diagnostics and model are then placed back at their lines in the large file, and the other
// segments' diagnostics and model are kept, shifted by the lines the edit added or removed.
//
// The kept virtual and real servers are the same objects in both versions: an edit that adds or
// removes lines records the shift of their line numbers (200,000 objects at 10,000 × 20) and
// settle() applies it in place, when the new version is adopted. From then on the version it was
// made from is superseded (its kept objects carry the new line numbers) and is not edited again.
//
// This gives what edit() on the whole file would give because nothing the library checks crosses
// from one virtual server to another, except what is guarded here: two virtual servers of one name,
// one firewall mark shared by several, and "NAT without a NAT router", which depends on every
// virtual server; a file with failover blocks, carriage returns, errors, global statements after the
// first block or messages that quote line numbers is not cut at all. When a guard does not hold
// (or the edit is refused, whose exact diagnostics the whole file decides), edit() reports `slow` and
// the caller edits the whole file. lvs-cf/incremental.test.ts compares both on random edit sequences.
import { edit, parseDocument } from './index.ts';
import type { BlockNode, SyntaxTree } from './syntax.ts';
import type { Diagnostic, LvsConfig, Target, VirtualServer } from './model.ts';
import type { Edit, EditResult, ParseResult, PatchHunk } from './api-types.ts';
import { byPosition } from './diagnostics.ts';
import { parseInPieces } from './chunked-parse.ts';
import { TextPieces } from './text-pieces.ts';
import { countLines, endOf, layoutOf, type Layout } from './cut-layout.ts';

interface Region {
  miniStart: number;
  miniEnd: number;
  bigStart: number;
  miniLine: number;
  bigLine: number;
}

export type IncrementalEdit = { kind: 'fast'; result: Extract<EditResult, { ok: true }>; next: IncrementalDoc } | { kind: 'slow'; reason: string };

function count<K>(keys: K[]): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** A NAT site without a NAT router: that warning depends on every virtual server. */
export function natDepends(m: LvsConfig): boolean {
  return m.network === 'nat' && m.service === 'lvs' && !m.nat_router;
}

/** The one virtual server `e` touches (-1 for a global edit), or null when it touches several kinds. */
function touched(e: Edit, last: number): number | 'add' | null {
  switch (e.op) {
    case 'set':
    case 'setActive':
      return e.target.scope === 'global' ? -1 : e.target.virtual;
    case 'addVirtual':
      return 'add';
    case 'removeVirtual':
    case 'renameVirtual':
    case 'addServer':
    case 'removeServer':
    case 'renameServer':
      return e.virtual >= 0 && e.virtual <= last ? e.virtual : null;
    case 'useLfLineEndings':
      return null;
  }
}

function toMini(e: Edit, k: number): Edit {
  const v = (i: number) => i - k;
  switch (e.op) {
    case 'set':
    case 'setActive':
      return e.target.scope === 'global' ? e : { ...e, target: { ...e.target, virtual: v(e.target.virtual) } };
    case 'removeVirtual':
    case 'renameVirtual':
    case 'addServer':
    case 'removeServer':
    case 'renameServer':
      return { ...e, virtual: v(e.virtual) };
    default:
      return e;
  }
}

/** The region a hunk starts in; an insertion on a boundary belongs to the region that ends there. */
function regionAt(regions: Region[], at: number, empty: boolean): Region {
  for (const r of regions) if (empty ? at <= r.miniEnd : at < r.miniEnd) return r;
  return regions[regions.length - 1]!;
}

function shiftTarget(t: Target | undefined, from: number, by: number): Target | undefined {
  if (!t || t.scope === 'global' || t.virtual < from || by === 0) return t;
  return { ...t, virtual: t.virtual + by };
}

/** Virtual servers [from, to) of a model move by `by` lines (settle() applies it). */
interface Shift {
  from: number;
  to: number;
  by: number;
}

export class IncrementalDoc {
  private constructor(
    /** The text, as the pieces the edits made of it (text-pieces.ts): nothing copies it whole. */
    readonly source: TextPieces,
    readonly result: ParseResult,
    private readonly layout: Layout | string,
    private readonly names: Map<string, number>,
    private readonly marks: Map<number, number>,
    /** Line shifts of kept objects not applied yet, and the version they are shared with. */
    private pending: Shift[] = [],
    private parent: IncrementalDoc | null = null,
  ) {}

  /** Set once a version made from this one has been settled: this one's objects moved with it. */
  private superseded = false;

  /**
   * Adopts this version: the line numbers of the virtual and real servers it shares with the
   * version it was made from are moved in place. Its model is exact only after this, and that
   * version cannot be edited any more. Idempotent.
   */
  settle(): this {
    if (this.pending.length && this.parent?.superseded) throw new Error('another version made from the same one was adopted first');
    const virtuals = this.result.model?.virtuals ?? [];
    for (const { from, to, by } of this.pending) {
      for (let i = from; i < to; i++) {
        const v = virtuals[i]!;
        v.line += by;
        for (const s of v.servers) s.line += by;
      }
    }
    this.pending = [];
    if (this.parent) this.parent.superseded = true;
    this.parent = null;
    return this;
  }

  /** The document of a file the library has just parsed (parseDocument). */
  static of(text: string, tree: SyntaxTree, result: ParseResult): IncrementalDoc {
    return IncrementalDoc.withLayout(TextPieces.of(text), result, layoutOf(text, tree, result));
  }

  static parse(text: string): IncrementalDoc {
    // A large file is read in pieces (chunked-parse.ts), which also gives its layout.
    const pieces = parseInPieces(text);
    if (pieces.layout) return IncrementalDoc.withLayout(TextPieces.of(text), pieces.result, pieces.layout);
    const doc = parseDocument(text);
    return IncrementalDoc.of(text, doc.tree, doc.result);
  }

  /** The document of a file whose result and layout are known (lvs-cf/reparse.ts assembles them). */
  static withLayout(source: TextPieces, result: ParseResult, layout: Layout | string): IncrementalDoc {
    const vs = result.model?.virtuals ?? [];
    return new IncrementalDoc(source, result, layout, count(vs.map((v) => v.name)), count(vs.filter((v) => v.fwmark).map((v) => v.fwmark)));
  }

  /** The whole text (joined from its pieces the first time it is asked for). */
  get text(): string {
    return this.source.toString();
  }

  /** Where the prelude and each block end, null when the file is not cut. */
  get cuts(): Readonly<Layout> | null {
    return typeof this.layout === 'string' ? null : this.layout;
  }

  /** How many virtual servers are named `name`. */
  nameCount(name: string): number {
    return this.names.get(name) ?? 0;
  }

  /** How many virtual servers have firewall mark `mark`. */
  markCount(mark: number): number {
    return this.marks.get(mark) ?? 0;
  }

  /**
   * The document of a new version whose virtual servers are this one's with `removed` taken out and
   * `added` put in (reparse.ts): the name and firewall mark counts follow without a count of every one.
   */
  replaced(text: string, result: ParseResult, layout: Layout, removed: readonly VirtualServer[], added: readonly VirtualServer[]): IncrementalDoc {
    const names = new Map(this.names);
    const marks = new Map(this.marks);
    for (const [v, by] of [...removed.map((x) => [x, -1] as const), ...added.map((x) => [x, 1] as const)]) {
      names.set(v.name, (names.get(v.name) ?? 0) + by);
      if (v.fwmark) marks.set(v.fwmark, (marks.get(v.fwmark) ?? 0) + by);
    }
    return new IncrementalDoc(TextPieces.of(text), result, layout, names, marks);
  }

  /** Why edits are not cut into this file, or null. */
  get uncut(): string | null {
    return typeof this.layout === 'string' ? this.layout : null;
  }

  /** edit(text, edits) at the cost of the lines it changes, or `slow` with the reason. */
  edit(edits: Edit[]): IncrementalEdit {
    if (typeof this.layout === 'string') return { kind: 'slow', reason: this.layout };
    if (this.superseded) return { kind: 'slow', reason: 'a newer version was made from this one' };
    // Editing a version adopts it.
    this.settle();
    const model = this.result.model!;
    const n = model.virtuals.length;
    let k = -1;
    let adds = 0;
    for (const e of edits) {
      const t = touched(e, n - 1);
      if (t === null) return { kind: 'slow', reason: `${e.op} is not cut` };
      if (t === 'add') adds++;
      else if (t >= n) return { kind: 'slow', reason: 'no such virtual server' };
      else if (t >= 0) {
        if (k >= 0 && k !== t) return { kind: 'slow', reason: 'the edit touches several virtual servers' };
        k = t;
      }
    }
    if (adds > 1 || (adds && k >= 0)) return { kind: 'slow', reason: 'the edit adds a virtual server and changes another' };
    // A new virtual server goes after the last one: the mini file holds the last segment.
    if (adds) k = n - 1;
    const { ends, lines } = this.layout;
    const text = this.source;
    const total = text.length;
    const totalLines = lines[lines.length - 1]! + text.countLines(ends[ends.length - 1]!, total);
    // The regions of the mini file (prelude, segment k, tail) and where each sits in the file.
    const spans: [number, number, number][] = [[0, ends[0]!, 0]];
    if (k >= 0) spans.push([ends[k]!, ends[k + 1]!, lines[k]!]);
    spans.push([ends[n]!, total, lines[n]!]);
    const regions: Region[] = [];
    let mini = '';
    let miniLine = 0;
    const spanEndLines = [lines[0]!, ...(k >= 0 ? [lines[k + 1]!] : []), totalLines];
    // A blank line between the parts: the library's patch never joins a change at the end of one
    // part with a change at the start of the next (they are not next to each other in the file).
    spans.forEach(([s, e, line], i) => {
      if (i > 0) {
        mini += '\n';
        miniLine++;
      }
      regions.push({ miniStart: mini.length, miniEnd: mini.length + (e - s), bigStart: s, miniLine, bigLine: line });
      mini += text.slice(s, e);
      miniLine += spanEndLines[i]! - line;
    });
    const done = edit(mini, edits.map((e) => toMini(e, Math.max(k, 0))));
    if (!done.ok) return { kind: 'slow', reason: 'the edit is refused (the whole file decides its diagnostics)' };
    // Hunks back into the file; each must stay within one region.
    const hunks: PatchHunk[] = [];
    const delta = regions.map(() => ({ chars: 0, lines: 0 }));
    for (const h of done.patch) {
      const r = regionAt(regions, h.start, h.start === h.end);
      if (h.end > r.miniEnd) return { kind: 'slow', reason: 'a change spans two distant parts of the file' };
      const i = regions.indexOf(r);
      const dl = countLines(h.inserted, 0, h.inserted.length) - countLines(h.removed, 0, h.removed.length);
      const placed = { ...h, start: h.start - r.miniStart + r.bigStart, end: h.end - r.miniStart + r.bigStart, line: h.line - r.miniLine + r.bigLine };
      const prev = hunks[hunks.length - 1];
      // Changes next to each other in the file are one hunk, as the library's patch has them.
      if (prev && prev.end === placed.start) hunks[hunks.length - 1] = { ...prev, end: placed.end, removed: prev.removed + placed.removed, inserted: prev.inserted + placed.inserted };
      else hunks.push(placed);
      delta[i]!.chars += h.inserted.length - h.removed.length;
      delta[i]!.lines += dl;
    }
    const next = done.model;
    // What a whole-file check would add across virtual servers: refuse to guess, edit the whole file.
    if (natDepends(model) || natDepends(next)) return { kind: 'slow', reason: 'NAT without a NAT router depends on every virtual server' };
    if (next.failovers.length) return { kind: 'slow', reason: 'a failover block' };
    const old = k >= 0 ? model.virtuals[k]! : null;
    for (const vs of next.virtuals) {
      const others = (this.names.get(vs.name) ?? 0) - (old && old.name === vs.name ? 1 : 0);
      if (others > 0) return { kind: 'slow', reason: 'a virtual server name is also used elsewhere' };
      const marks = vs.fwmark ? (this.marks.get(vs.fwmark) ?? 0) - (old && old.fwmark === vs.fwmark ? 1 : 0) : 0;
      if (marks > 0) return { kind: 'slow', reason: 'a firewall mark is shared' };
    }
    if (old && old.fwmark && (this.marks.get(old.fwmark) ?? 0) > 1) return { kind: 'slow', reason: 'a firewall mark is shared' };
    if (next.virtuals.length > 1 && new Set(next.virtuals.map((v) => v.name)).size < next.virtuals.length) return { kind: 'slow', reason: 'two new virtual servers of one name' };

    // Where each region starts in the new mini file and in the new file.
    const moved: { miniStart: number; miniEnd: number; bigStart: number; miniLine: number; miniEndLine: number; bigLine: number }[] = [];
    let dChars = 0;
    let dLines = 0;
    let dMini = 0;
    let dMiniLines = 0;
    regions.forEach((r, i) => {
      const len = r.miniEnd - r.miniStart + delta[i]!.chars;
      const oldLines = spanEndLines[i]! - spans[i]![2];
      moved.push({ miniStart: r.miniStart + dMini, miniEnd: r.miniStart + dMini + len, bigStart: r.bigStart + dChars, miniLine: r.miniLine + dMiniLines, miniEndLine: r.miniLine + dMiniLines + oldLines + delta[i]!.lines, bigLine: r.bigLine + dLines });
      dMini += delta[i]!.chars;
      dMiniLines += delta[i]!.lines;
      dChars += delta[i]!.chars;
      dLines += delta[i]!.lines;
    });
    const toBigLine = (line: number): number => {
      if (line === 0) return 0;
      for (const r of moved) if (line <= r.miniEndLine) return line - r.miniLine + r.bigLine;
      return line;
    };
    const toBigOffset = (at: number): number => {
      for (const r of moved) if (at <= r.miniEnd) return at - r.miniStart + r.bigStart;
      return at;
    };
    // Lines of the file outside the mini file move by the lines added before them.
    const preludeShift = delta[0]!.lines;
    const allShift = dLines;
    const segFrom = k >= 0 ? lines[k]! : lines[n]!;
    const segTo = k >= 0 ? lines[k + 1]! : lines[n]!;
    const removed = next.virtuals.length - (k >= 0 ? 1 : 0) - adds < 0 ? 1 : 0;
    const vShift = removed ? -1 : 0;
    const kept: Diagnostic[] = [];
    for (const d of this.result.diagnostics) {
      if (d.line === 0 || d.line <= lines[0]! || (d.line > segFrom && d.line <= segTo) || d.line > lines[n]!) continue;
      const by = d.line <= segFrom ? preludeShift : allShift;
      const target = shiftTarget(d.target, k + 1, vShift);
      kept.push(by === 0 && target === d.target ? d : { ...d, line: d.line + by, ...(target ? { target } : {}) });
    }
    for (const d of done.diagnostics) {
      const target = d.target && d.target.scope !== 'global' && k >= 0 ? { ...d.target, virtual: d.target.virtual + k } : d.target;
      kept.push({ ...d, line: toBigLine(d.line), ...(target ? { target } : {}) });
    }
    kept.sort(byPosition);

    // The model: the mini file's globals and virtual servers, the others kept (their shift pending).
    const mine: VirtualServer[] = next.virtuals.map((v) => {
      const line = toBigLine(v.line);
      return { ...v, line, servers: v.servers.map((s) => ({ ...s, line: toBigLine(s.line) })) };
    });
    const shifts: Shift[] = [];
    let virtuals: VirtualServer[];
    if (k >= 0) {
      virtuals = [...model.virtuals.slice(0, k), ...mine, ...model.virtuals.slice(k + 1)];
      if (preludeShift) shifts.push({ from: 0, to: k, by: preludeShift });
      if (allShift) shifts.push({ from: k + mine.length, to: virtuals.length, by: allShift });
    } else {
      virtuals = [...model.virtuals];
      if (preludeShift) shifts.push({ from: 0, to: virtuals.length, by: preludeShift });
    }
    const newModel: LvsConfig = { ...next, virtuals, failovers: [] };
    const newText = text.spliced(hunks);

    // The new layout: the mini file's block ends placed back, the others shifted.
    const miniDoc = parseDocument(done.text);
    const miniBlocks = miniDoc.tree.children.filter((x): x is BlockNode => x.type === 'block');
    const newEnds: number[] = [toBigOffset(regions[0]!.miniEnd + delta[0]!.chars)];
    const newLines: number[] = [lines[0]! + preludeShift];
    // Blocks before the segment (every block, for an edit of the global section alone) move with the prelude.
    const keepBefore = k >= 0 ? k : n;
    for (let i = 1; i <= keepBefore; i++) {
      newEnds.push(ends[i]! + delta[0]!.chars);
      newLines.push(lines[i]! + preludeShift);
    }
    for (const b of miniBlocks) {
      newEnds.push(toBigOffset(endOf(b.close!)));
      newLines.push(toBigLine(b.close!.num!));
    }
    for (let i = k + 2; k >= 0 && i <= n; i++) {
      newEnds.push(ends[i]! + dChars);
      newLines.push(lines[i]! + allShift);
    }
    if (newEnds.length !== virtuals.length + 1) return { kind: 'slow', reason: 'the blocks could not be placed back' };
    const names = new Map(this.names);
    const marks = new Map(this.marks);
    if (k >= 0 && old) {
      names.set(old.name, (names.get(old.name) ?? 1) - 1);
      if (old.fwmark) marks.set(old.fwmark, (marks.get(old.fwmark) ?? 1) - 1);
    }
    for (const v of next.virtuals) {
      names.set(v.name, (names.get(v.name) ?? 0) + 1);
      if (v.fwmark) marks.set(v.fwmark, (marks.get(v.fwmark) ?? 0) + 1);
    }
    const ok = !kept.some((d) => d.severity === 'error');
    const doc = new IncrementalDoc(newText, { ok, model: newModel, diagnostics: kept }, { ends: newEnds, lines: newLines }, names, marks, shifts, shifts.length ? this : null);
    // The new text is joined only if the caller asks for it (a save writes the pieces' bytes instead).
    const result: Extract<EditResult, { ok: true }> = {
      ok: true,
      get text() {
        return doc.text;
      },
      patch: hunks,
      model: newModel,
      diagnostics: kept,
    };
    return { kind: 'fast', result, next: doc };
  }
}
