// The original GUI's layout (lvs-cf-format.md §2.8): keys in its order, `key = value`, global keys
// at column 0, block keys indented 5, real-server keys 9, no blank lines or comments. Used for
// `lvs-cf fmt --canonical` and to print a model as a file.
import { CANONICAL_ORDER, keysFor, type Level } from './keywords.ts';
import { blockName, type BlockNode, type Node, type SyntaxTree } from './syntax.ts';
import type { LvsConfig, VirtualServer } from './model.ts';

const IND: Record<Level, string> = { global: '', virtual: '     ', failover: '     ', server: '         ' };

function rank(level: Level, k: string): number {
  const i = CANONICAL_ORDER[level].indexOf(k);
  return i < 0 ? CANONICAL_ORDER[level].length : i;
}

function statements(nodes: Node[], level: Level): [string, string][] {
  const last = new Map<string, string>();
  for (const n of nodes) {
    if (n.type !== 'line' || n.kind !== 'stmt') continue;
    const [kw, , ...vals] = n.tokens;
    if (!kw || !vals.length) continue;
    last.delete(kw.value);
    last.set(kw.value, vals.map((t) => t.text).join(' '));
  }
  return [...last.entries()].sort((a, b) => rank(level, a[0]) - rank(level, b[0]));
}

/** Rewrites a parsed file in the GUI's layout, keeping every key (also those the GUI never knew). */
export function canonicalText(tree: SyntaxTree, model: LvsConfig | null): string {
  const out: string[] = [];
  for (const [k, v] of statements(tree.children, 'global')) out.push(`${k} = ${v}`);
  const blocks = tree.children.filter((n): n is BlockNode => n.type === 'block');
  let vi = 0;
  const virtualIndex = new Map<BlockNode, number>();
  for (const b of blocks) if (b.level === 'virtual') virtualIndex.set(b, vi++);
  for (const level of ['failover', 'virtual'] as const) {
    for (const b of blocks.filter((x) => x.level === level)) {
      out.push(`${level} ${blockName(b)} {`);
      for (const [k, v] of statements(b.children, level)) out.push(`${IND.virtual}${k} = ${v}`);
      const vs = level === 'virtual' ? model?.virtuals[virtualIndex.get(b)!] : undefined;
      b.children
        .filter((n): n is BlockNode => n.type === 'block')
        .forEach((sb, si) => {
          out.push(`${IND.virtual}server ${blockName(sb)} {`);
          const st = statements(sb.children, 'server');
          const rs = vs?.servers[si];
          // A server that inherited an earlier port (quirk Q7) keeps it explicitly, since the
          // canonical layout moves `port` above the servers.
          if (rs && vs && !st.some(([k]) => k === 'port') && rs.port !== vs.port) {
            st.push(['port', String(rs.port)]);
            st.sort((a, c) => rank('server', a[0]) - rank('server', c[0]));
          }
          for (const [k, v] of st) out.push(`${IND.server}${k} = ${v}`);
          out.push(`${IND.virtual}}`);
        });
      out.push('}');
    }
  }
  return out.map((l) => `${l}\n`).join('');
}

function val(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

const QUOTED = new Set(['send', 'expect', 'send_program', 'start_cmd', 'stop_cmd', 'active_cmd', 'inactive_cmd']);

function keyLines(obj: Record<string, unknown>, level: Level, indent: string): string[] {
  const keys = Object.keys(keysFor(level)).sort((a, b) => rank(level, a) - rank(level, b));
  const out: string[] = [];
  for (const k of keys) {
    let v: string | null;
    if (k === 'address' && level !== 'server') {
      const vs = obj as unknown as VirtualServer;
      v = vs.address === null ? null : `${vs.address} ${vs.device ?? ''}`.trim();
    } else if (k === 'nat_router') {
      const nr = (obj as unknown as LvsConfig).nat_router;
      v = nr ? `${nr.address} ${nr.device}` : null;
    } else if (k === 'dirs' || k === 'master') v = null;
    else v = val(obj[k]);
    if (v === null) continue;
    out.push(`${indent}${k} = ${QUOTED.has(k) ? `"${v}"` : v}`);
  }
  return out;
}

/** Prints a model as a complete file in the GUI's layout (every real server gets its port). */
export function printModel(model: LvsConfig): string {
  const out = keyLines(model as unknown as Record<string, unknown>, 'global', '');
  const block = (vs: VirtualServer) => {
    out.push(`${vs.kind} ${vs.name} {`);
    out.push(...keyLines(vs as unknown as Record<string, unknown>, vs.kind, IND.virtual));
    for (const rs of vs.servers) {
      out.push(`${IND.virtual}server ${rs.name} {`);
      out.push(...keyLines(rs as unknown as Record<string, unknown>, 'server', IND.server));
      out.push(`${IND.virtual}}`);
    }
    out.push('}');
  };
  model.failovers.forEach(block);
  model.virtuals.forEach(block);
  return out.map((l) => `${l}\n`).join('');
}
