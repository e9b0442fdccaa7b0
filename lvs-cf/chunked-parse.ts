// parse() of a large file in pieces, so that checking a 26 MB lvs.cf holds one piece's syntax tree
// at a time instead of the whole file's (a tree costs about ten times the text). The file is cut
// after the closing line of a top-level block every CHUNK virtual servers; each piece is parsed with
// the global section in front of it, and its diagnostics and virtual servers are placed back at
// their lines. The result is parse(text)'s: the same guards as lvs-cf/incremental.ts decide when the
// pieces cannot be told apart from the whole (errors, carriage returns, failover blocks, global
// statements after the first block, a name or firewall mark shared between virtual servers, NAT
// without a NAT router, a message quoting a line number), and then the whole file is parsed.
// lvs-cf/chunked-parse.test.ts compares both.
import { parse, parseDocument, type Document } from './index.ts';
import type { Diagnostic, LvsConfig, VirtualServer } from './model.ts';
import type { ParseResult } from './api-types.ts';
import type { LineNode } from './syntax.ts';
import { HASH, LBRACE, RBRACE, trimmedBounds } from './scan.ts';

const CHUNK = 100;
const NO_CUT = /\bline \d/;

/**
 * Offsets just after each line that is exactly "}" at depth 0 (a top-level block's end), by a line
 * count of braces. Each line is looked at in place (a 26 MB file has 1.4 million of them).
 */
function topLevelEnds(text: string): { ends: number[]; lines: number[] } | null {
  const ends: number[] = [];
  const lines: number[] = [];
  let depth = 0;
  let line = 0;
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return null;
    line++;
    const [from, to] = trimmedBounds(text, at, nl);
    if (to > from && text.charCodeAt(to - 1) === LBRACE && text.charCodeAt(from) !== HASH) depth++;
    else if (to - from === 1 && text.charCodeAt(from) === RBRACE) {
      depth--;
      if (depth < 0) return null;
      if (depth === 0) {
        ends.push(nl + 1);
        lines.push(line);
      }
    }
    at = nl + 1;
  }
  return depth === 0 ? { ends, lines } : null;
}

function shifted(vs: VirtualServer, by: number): VirtualServer {
  return { ...vs, line: vs.line + by, servers: vs.servers.map((s) => ({ ...s, line: s.line + by })) };
}

/** The end of the last global statement before the first block of a parsed piece, in lines and offset. */
function preludeOf(doc: Document): { end: number; lines: number } | null {
  let last: LineNode | null = null;
  for (const n of doc.tree.children) {
    if (n.type === 'block') break;
    if (n.kind === 'stmt') last = n;
  }
  if (!last || last.num === null) return null;
  return { end: last.end + last.eol.length, lines: last.num };
}

/** Where the global section and each top-level block end (offsets, and lines before them). */
export interface ChunkLayout {
  ends: number[];
  lines: number[];
}

/** parse(text), holding one piece's tree at a time when the file allows it. */
export function parseChunked(text: string, chunk = CHUNK): ParseResult {
  return parseInPieces(text, chunk).result;
}

/** A statement after the first block of a piece: read as global by the daemons, so not cut. */
function globalAfterBlocks(doc: Document): ParseResult | null {
  let sawBlock = false;
  for (const n of doc.tree.children) {
    if (n.type === 'block') sawBlock = true;
    else if (sawBlock && n.kind !== 'blank' && n.kind !== 'comment') return null;
  }
  return doc.result;
}

/**
 * parse(text) in pieces, with the layout lvs-cf/incremental.ts cuts edits by (null when the whole
 * file had to be parsed at once).
 */
export function parseInPieces(text: string, chunk = CHUNK): { result: ParseResult; layout: ChunkLayout | null } {
  return parseCut(text, chunk) ?? { result: parse(text), layout: null };
}

/** parse(text) in pieces with its layout, or null when the file cannot be cut (the caller parses it whole). */
export function parseCut(text: string, chunk = CHUNK): { result: ParseResult; layout: ChunkLayout } | null {
  const whole = () => null;
  // The word first: the expression over the whole of a large file costs ten times more.
  if (text.includes('\r') || !text.endsWith('\n') || (text.includes('failover') && /^[ \t]*failover\b/m.test(text))) return whole();
  const cuts = topLevelEnds(text);
  if (!cuts || cuts.ends.length <= chunk) return whole();
  // Pieces: [0, ends[chunk-1]), then every `chunk` blocks, the last one up to the end of the text.
  const bounds: { start: number; end: number; line: number }[] = [];
  let start = 0;
  let line = 0;
  for (let i = chunk - 1; i < cuts.ends.length - 1; i += chunk) {
    bounds.push({ start, end: cuts.ends[i]!, line });
    start = cuts.ends[i]!;
    line = cuts.lines[i]!;
  }
  bounds.push({ start, end: text.length, line });
  const first = text.slice(bounds[0]!.start, bounds[0]!.end);
  // The first piece is parsed once: for where the global section ends, and as the first piece.
  const firstDoc = parseDocument(first);
  const prelude = preludeOf(firstDoc);
  if (!prelude) return whole();
  const head = text.slice(0, prelude.end);
  let model: LvsConfig | null = null;
  const virtuals: VirtualServer[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const [i, b] of bounds.entries()) {
    const r = globalAfterBlocks(i === 0 ? firstDoc : parseDocument(head + text.slice(b.start, b.end)));
    if (!r) return whole();
    if (!r.model || !r.ok || r.diagnostics.some((d) => d.severity === 'error' || NO_CUT.test(d.message)) || r.model.failovers.length) return whole();
    // Lines of the piece after its global section sit `by` lines further down in the file.
    const by = i === 0 ? 0 : b.line - prelude.lines;
    const offset = virtuals.length;
    if (i === 0) model = r.model;
    for (const d of r.diagnostics) {
      if (i > 0 && d.line <= prelude.lines) continue;
      const target = d.target && d.target.scope !== 'global' ? { ...d.target, virtual: d.target.virtual + offset } : d.target;
      diagnostics.push(by === 0 && target === d.target ? d : { ...d, line: d.line + by, ...(target ? { target } : {}) });
    }
    for (const v of r.model.virtuals) virtuals.push(by === 0 ? v : shifted(v, by));
  }
  const m = model!;
  // What the whole file would check across pieces: a name or a mark used twice, NAT without a router.
  const names = new Set(virtuals.map((v) => v.name));
  const marks = virtuals.filter((v) => v.fwmark).map((v) => v.fwmark);
  if (names.size !== virtuals.length || new Set(marks).size !== marks.length) return whole();
  if (m.network === 'nat' && m.service === 'lvs' && !m.nat_router) return whole();
  if (virtuals.length !== cuts.ends.length) return whole();
  return { result: { ok: true, model: { ...m, virtuals, failovers: [] }, diagnostics }, layout: { ends: [prelude.end, ...cuts.ends], lines: [prelude.lines, ...cuts.lines] } };
}
