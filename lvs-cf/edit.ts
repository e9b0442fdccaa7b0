// Edits on the syntax tree that change only the lines they must: a changed value keeps its line's
// indentation, spacing and trailing text; a new key goes where the GUI would have written it; a
// removed block takes its own comments with it; every other line keeps its bytes.
import { tokenize } from './lexer.ts';
import { keysFor, CANONICAL_ORDER, type Level, type ValueKind } from './keywords.ts';
import { blockName, LineNode, type BlockNode, type Node, type SyntaxTree } from './syntax.ts';
import { isStrictIPv4, looksLikeHostname } from './values.ts';
import { checkName, checkDevice } from './validate.ts';
import type { Diagnostic, Target } from './model.ts';
import type { Edit, EditValue } from './api-types.ts';

export class EditError extends Error {
  constructor(
    message: string,
    readonly target?: Target,
    readonly key?: string,
  ) {
    super(message);
  }
  toDiagnostic(): Diagnostic {
    const d: Diagnostic = { severity: 'error', code: 'EDIT', message: this.message, line: 0, column: 0, length: 0 };
    if (this.target) d.target = this.target;
    if (this.key) d.key = this.key;
    return d;
  }
}

/** The GUI's defaults for a new virtual server (lvs-cf-format.md §2.8 G4), in its key order. */
export const NEW_VIRTUAL_DEFAULTS: Record<string, EditValue> = {
  active: false,
  address: '0.0.0.0 eth0:1',
  port: 80,
  send: 'GET / HTTP/1.0\\r\\n\\r\\n',
  expect: 'HTTP',
  use_regex: false,
  load_monitor: 'none',
  scheduler: 'wlc',
  protocol: 'tcp',
  timeout: 6,
  reentry: 15,
  quiesce_server: false,
};

export const NEW_SERVER_DEFAULTS: Record<string, EditValue> = { address: '0.0.0.0', active: false, weight: 1 };

const INDENT: Record<Level, string> = { global: '', virtual: '     ', failover: '     ', server: '         ' };

function mkLine(text: string, eol: string): LineNode {
  return LineNode.fromText(text, eol as LineNode['eol']);
}

/** Turns an edit value into the exact text written after `key = `, or throws an EditError. */
export function formatValue(level: Level, key: string, value: EditValue, target?: Target): string {
  const kind: ValueKind | undefined = keysFor(level)[key];
  const fail = (m: string): never => {
    throw new EditError(m, target, key);
  };
  if (!kind) fail(`"${key}" is not a setting of ${level === 'global' ? 'the global section' : `a ${level} block`}`);
  if (value === null) fail(`"${key}" needs a value`);
  const s = typeof value === 'string' ? value : String(value);
  switch (kind!.kind) {
    case 'int':
    case 'port': {
      if (typeof value === 'boolean') fail('must be a whole number');
      const t = s.trim();
      if (!/^-?[0-9]{1,10}$/.test(t)) fail(`must be a whole number, not "${truncate(s)}"`);
      // The daemons hold a 32-bit int (fwmark: unsigned): a wider number would be read as another.
      const n = parseInt(t, 10);
      const [min, max] = key === 'fwmark' ? [0, 4294967295] : [-2147483648, 2147483647];
      if (n < min || n > max) fail(`must be between ${min} and ${max}, not ${n}`);
      return String(n);
    }
    case 'bool': {
      if (value === true || s === '1' || s === 'true' || s === 'on') return '1';
      if (value === false || s === '0' || s === 'false' || s === 'off' || s === '') return '0';
      return fail(`must be on or off, not "${truncate(s)}"`);
    }
    case 'host': {
      const t = s.trim();
      if (!isStrictIPv4(t) && !looksLikeHostname(t)) fail(`"${truncate(s)}" is not a valid IPv4 address`);
      return t;
    }
    case 'dotted': {
      const t = s.trim();
      if (!isStrictIPv4(t)) fail(`"${truncate(s)}" is not a dotted address like 255.255.255.0`);
      return t;
    }
    case 'enum': {
      if (!kind!.values.includes(s)) fail(`must be one of ${kind!.values.join(', ')}`);
      return s;
    }
    case 'hostDevice': {
      const parts = s.trim().split(/\s+/);
      if (parts.length !== 2) fail('needs an IP address and a device, e.g. "192.168.1.10 eth0:1"');
      const [ip, dev] = parts as [string, string];
      if (!isStrictIPv4(ip)) fail(`"${truncate(ip)}" is not a valid IPv4 address`);
      checkDevice(dev, (m) => fail(`the device ${m}`));
      return `${ip} ${dev}`;
    }
    case 'string': {
      if (kind!.quoted) {
        if (s.length > 1000) fail('is longer than 1000 characters');
        const bad = /[^\x20-\x7e]/.exec(s);
        if (bad) fail(`may only contain printable ASCII characters (found ${describeChar(bad[0]!)}); write a line break as \\r\\n`);
        if (s.includes('"')) fail('cannot contain a double quote (lvs.cf has no way to write one inside a value); use \\" for a quote in send/expect');
        return `"${s}"`;
      }
      if (!/^[\x21-\x7e]{1,255}$/.test(s)) fail('must be one word of printable ASCII characters, without spaces');
      if (/^["'#]/.test(s) || /[{}]/.test(s)) fail('cannot start with a quote or #, or contain braces');
      return s;
    }
    case 'list':
      return fail(`"${key}" is a legacy list setting the console does not edit`);
  }
}

function describeChar(c: string): string {
  if (c === '\n') return 'a line break';
  if (c === '\r') return 'a carriage return';
  if (c === '\t') return 'a tab';
  const code = c.codePointAt(0)!;
  return code < 32 || code === 127 ? `control character ${code}` : `"${c}"`;
}

function truncate(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

function checkedName(name: string, what: string, target?: Target): string {
  let n = name.trim();
  checkName(n, (m) => {
    throw new EditError(`The ${what} name ${m}`, target, 'name');
  });
  if (n === '{' || n === '}') throw new EditError(`The ${what} name cannot be a brace`, target, 'name');
  return n;
}

/** Applies edits to the tree in place. Throws EditError for a value the file cannot hold. */
export class TreeEditor {
  constructor(private readonly tree: SyntaxTree) {}

  private virtualBlocks(): BlockNode[] {
    return this.tree.children.filter((n): n is BlockNode => n.type === 'block' && n.level === 'virtual');
  }

  private locate(t: Target): { nodes: Node[]; level: Level; block: BlockNode | null } {
    if (t.scope === 'global') return { nodes: this.tree.children, level: 'global', block: null };
    const vb = this.virtualBlocks()[t.virtual];
    if (!vb) throw new EditError(`There is no virtual server number ${t.virtual + 1}`, t);
    if (t.scope === 'virtual') return { nodes: vb.children, level: 'virtual', block: vb };
    const sb = vb.children.filter((n): n is BlockNode => n.type === 'block')[t.server];
    if (!sb) throw new EditError(`There is no real server number ${t.server + 1} in "${blockName(vb)}"`, t);
    return { nodes: sb.children, level: 'server', block: sb };
  }

  apply(e: Edit): void {
    switch (e.op) {
      case 'set':
        return this.set(e.target, e.key, e.value);
      case 'setActive':
        return this.set(e.target, 'active', e.active);
      case 'addVirtual':
        return this.addVirtual(e.name, e.fields);
      case 'removeVirtual':
        return this.removeBlock({ scope: 'virtual', virtual: e.virtual });
      case 'renameVirtual':
        return this.rename({ scope: 'virtual', virtual: e.virtual }, e.name, 'virtual server');
      case 'addServer':
        return this.addServer(e.virtual, e.name, e.fields);
      case 'removeServer':
        return this.removeBlock({ scope: 'server', virtual: e.virtual, server: e.server });
      case 'renameServer':
        return this.rename({ scope: 'server', virtual: e.virtual, server: e.server }, e.name, 'real server');
      case 'useLfLineEndings':
        return this.useLfLineEndings(this.tree.children);
    }
  }

  /** Rewrites every line that ends in CR or CRLF with LF (the lines themselves hold no CR). */
  private useLfLineEndings(nodes: Node[]): void {
    this.tree.eol = '\n';
    const lf = (l: LineNode) => (l.eol === '\r\n' || l.eol === '\r' ? mkLine(l.text, '\n') : l);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.type === 'line') nodes[i] = lf(n);
      else {
        n.header = lf(n.header);
        if (n.close) n.close = lf(n.close);
        this.useLfLineEndings(n.children);
      }
    }
  }

  set(target: Target, key: string, value: EditValue): void {
    const { nodes, level } = this.locate(target);
    const stmts = nodes.filter((n): n is LineNode => n.type === 'line' && n.kind === 'stmt' && n.keyword === key);
    if (value === null) {
      for (const s of stmts) nodes.splice(nodes.indexOf(s), 1);
      return;
    }
    const text = formatValue(level, key, value, target);
    const last = stmts[stmts.length - 1];
    if (last && last.tokens.length >= 3) {
      const first = last.tokens[2]!;
      const end = last.tokens[last.tokens.length - 1]!;
      const oldValue = last.text.slice(first.col, end.col + end.text.length);
      if (oldValue === text) return;
      // Keep what surrounds the value (indentation, the spacing around =, trailing blanks).
      let replaced = last.text.slice(0, first.col) + text + last.text.slice(end.col + end.text.length);
      // The daemons refuse a one-word quoted value followed by blanks ("quotation mismatch"): those
      // trailing blanks are the one thing a new quoted value cannot keep.
      if (!tokenize(replaced).ok) replaced = replaced.replace(/[ \t]+$/, '');
      nodes[nodes.indexOf(last)] = mkLine(replaced, last.eol);
      return;
    }
    if (last) {
      // A statement missing its value (an error in the file): rewrite it whole.
      nodes[nodes.indexOf(last)] = mkLine(`${leadingBlanks(last.text)}${key} = ${text}`, last.eol);
      return;
    }
    this.insertStatement(nodes, level, key, text);
  }

  private insertStatement(nodes: Node[], level: Level, key: string, valueText: string): void {
    const order = CANONICAL_ORDER[level];
    const rank = (k: string) => {
      const i = order.indexOf(k);
      return i < 0 ? order.length : i;
    };
    const myRank = rank(key);
    // A new line may land after the file's last line: that one needs its ending first.
    this.ensureFinalEol();
    const stmts = nodes.filter((n): n is LineNode => n.type === 'line' && n.kind === 'stmt');
    const indent = stmts.length ? leadingBlanks(stmts[0]!.text) : INDENT[level];
    const line = mkLine(`${indent}${key} = ${valueText}`, this.tree.eol);
    let anchor: LineNode | null = null;
    for (const s of stmts) if (rank(s.keyword) <= myRank) anchor = s;
    if (anchor) {
      nodes.splice(nodes.indexOf(anchor) + 1, 0, line);
      return;
    }
    if (stmts.length) {
      // Everything present comes later in the GUI's order: go just before the first statement.
      nodes.splice(nodes.indexOf(stmts[0]!), 0, line);
      return;
    }
    const firstBlock = nodes.findIndex((n) => n.type === 'block');
    if (level === 'global') {
      if (firstBlock >= 0) nodes.splice(firstBlock, 0, line);
      else this.append(nodes, [line]);
    } else {
      nodes.splice(firstBlock >= 0 ? firstBlock : nodes.length, 0, line);
    }
  }

  /** Appends lines at the end of `nodes`, giving the file's last line an ending first if it lacks one. */
  private append(nodes: Node[], add: Node[]): void {
    this.ensureFinalEol();
    nodes.push(...add);
  }

  private ensureFinalEol(): void {
    const last = lastLine(this.tree.children);
    if (last && last.node.eol === '') last.replace(mkLine(last.node.text, this.tree.eol));
  }

  private blockLines(level: 'virtual' | 'server', name: string, fields: Record<string, EditValue>, indent: { header: string; key: string; close: string }): BlockNode {
    const eol = this.tree.eol;
    const header = mkLine(`${indent.header}${level} ${name} {`, eol);
    const children: Node[] = [];
    const order = CANONICAL_ORDER[level];
    const keys = Object.keys(fields).sort((a, b) => rankIn(order, a) - rankIn(order, b));
    for (const k of keys) {
      const v = fields[k];
      if (v === null || v === undefined) continue;
      children.push(mkLine(`${indent.key}${k} = ${formatValue(level, k, v)}`, eol));
    }
    return { type: 'block', level, name, header, close: mkLine(`${indent.close}}`, eol), children };
  }

  addVirtual(name: string, fields: Record<string, EditValue> = {}): void {
    const n = checkedName(name, 'virtual server');
    const all = { ...NEW_VIRTUAL_DEFAULTS, ...fields };
    const existing = this.virtualBlocks()[0];
    const keyIndent = existing ? firstStmtIndent(existing) ?? INDENT.virtual : INDENT.virtual;
    const block = this.blockLines('virtual', n, all, { header: '', key: keyIndent, close: '' });
    const nodes = this.tree.children;
    let lastBlock = -1;
    nodes.forEach((x, i) => {
      if (x.type === 'block') lastBlock = i;
    });
    if (lastBlock >= 0 && lastBlock < nodes.length - 1) {
      this.ensureFinalEol();
      nodes.splice(lastBlock + 1, 0, block);
    } else this.append(nodes, [block]);
  }

  addServer(virtual: number, name: string, fields: Record<string, EditValue> = {}): void {
    const target: Target = { scope: 'virtual', virtual };
    const { block } = this.locate(target);
    const vb = block!;
    const n = checkedName(name, 'real server', target);
    const servers = vb.children.filter((x): x is BlockNode => x.type === 'block');
    const model = servers[servers.length - 1];
    const indent = model
      ? { header: leadingBlanks(model.header.text), key: firstStmtIndent(model) ?? INDENT.server, close: model.close ? leadingBlanks(model.close.text) : INDENT.virtual }
      : { header: firstStmtIndent(vb) ?? INDENT.virtual, key: INDENT.server, close: firstStmtIndent(vb) ?? INDENT.virtual };
    const sb = this.blockLines('server', n, { ...NEW_SERVER_DEFAULTS, ...fields }, indent);
    if (model) vb.children.splice(vb.children.indexOf(model) + 1, 0, sb);
    else {
      // After the virtual's last statement, before trailing blank lines and comments.
      let at = vb.children.length;
      while (at > 0 && (vb.children[at - 1] as LineNode).type === 'line' && (vb.children[at - 1] as LineNode).kind !== 'stmt') at--;
      if (!vb.close) this.ensureFinalEol();
      vb.children.splice(at, 0, sb);
    }
  }

  removeBlock(t: Target): void {
    const { block } = this.locate(t);
    const container = t.scope === 'server' ? this.locate({ scope: 'virtual', virtual: t.virtual }).nodes : this.tree.children;
    let i = container.indexOf(block!);
    container.splice(i, 1);
    // The comment lines right above a block describe it: they go with it.
    while (i > 0) {
      const prev = container[i - 1]!;
      if (prev.type !== 'line' || prev.kind !== 'comment') break;
      container.splice(--i, 1);
    }
  }

  rename(t: Target, name: string, what: string): void {
    const { block } = this.locate(t);
    const b = block!;
    const n = checkedName(name, what, t);
    const tok = b.header.tokens[1];
    if (!tok) throw new EditError(`The ${what} header line is damaged; fix it by hand`, t, 'name');
    b.header = mkLine(b.header.text.slice(0, tok.col) + n + b.header.text.slice(tok.col + tok.text.length), b.header.eol);
    b.name = n;
  }
}

function rankIn(order: string[], k: string): number {
  const i = order.indexOf(k);
  return i < 0 ? order.length : i;
}

function leadingBlanks(s: string): string {
  return /^[ \t]*/.exec(s)![0];
}

function firstStmtIndent(b: BlockNode): string | null {
  const s = b.children.find((n): n is LineNode => n.type === 'line' && n.kind === 'stmt');
  return s ? leadingBlanks(s.text) : null;
}

/** The last printed line of a node list, with a way to replace it. */
function lastLine(nodes: Node[]): { node: LineNode; replace: (l: LineNode) => void } | null {
  const n = nodes[nodes.length - 1];
  if (!n) return null;
  if (n.type === 'line') return { node: n, replace: (l) => (nodes[nodes.length - 1] = l) };
  if (n.close) return { node: n.close, replace: (l) => (n.close = l) };
  const inner = lastLine(n.children);
  if (inner) return inner;
  return { node: n.header, replace: (l) => (n.header = l) };
}
