// Reads the model out of the syntax tree the way lvsParseConfig() does: keyword by keyword, with
// the daemons' defaults, integer and address readers, and their order dependence (quirk Q7).
import type { Token } from './lexer.ts';
import { stripDoubleQuotes, tokenize } from './lexer.ts';
import { keysFor, arity, type Level, type ValueKind } from './keywords.ts';
import { syntaxError, diag, type Pos } from './diagnostics.ts';
import { readCInteger, inetAton, formatIPv4, readPort, looksLikeHostname } from './values.ts';
import { blockName, type BlockNode, type LineNode, type Node, type SyntaxTree } from './syntax.ts';
import type { Diagnostic, LvsConfig, RealServer, Target, VirtualServer } from './model.ts';

export function defaultConfig(): LvsConfig {
  return {
    serial_no: 0, primary: null, primary_private: null, primary_shared: null, backup: null, backup_private: null,
    backup_shared: null, backup_active: false, heartbeat: false, heartbeat_port: 539, keepalive: 2, deadtime: 5,
    rsh_command: 'rsh', network: 'nat', nat_router: null, nat_nmask: null, service: 'lvs', reservation_conflict_action: null,
    debug_level: 'NONE', monitor_links: 0, syncdaemon: false, syncd_iface: 'eth0', syncd_id: 0, tcp_timeout: 0,
    tcpfin_timeout: 0, udp_timeout: 0, hard_shutdown: true, active_cmd: null, inactive_cmd: null, ipvsadm: '/sbin/ipvsadm',
    sync: false, virtuals: [], failovers: [],
  };
}

export function defaultVirtual(kind: 'virtual' | 'failover', name: string, line: number): VirtualServer {
  return {
    kind, name, active: false, address: null, device: null, vip_nmask: null, sorry_server: null, fwmark: 0, protocol: 'tcp',
    port: 80, scheduler: 'wlc', persistent: 0, pmask: null, send: null, expect: null, use_regex: false, send_program: null,
    load_monitor: null, timeout: 10, reentry: 180, quiesce_server: false, client_monitor: null, start_cmd: null, stop_cmd: null,
    servers: [], line,
  };
}

/**
 * Where a key's value sits and whether it is written at all, looked up in the tree only when a
 * check needs it: recording a position for every statement up front cost more than the rest of
 * reading a large file.
 */
export interface Locator {
  where(t: Target, key: string): Pos | undefined;
  has(t: Target, key: string): boolean;
}

type Value = string | number | boolean | null | { address: string; device: string } | string[];

export interface ReadResult {
  model: LvsConfig;
  locate: Locator;
  diagnostics: Diagnostic[];
}

function lastStatement(nodes: Node[], key: string): LineNode | undefined {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (n.type === 'line' && n.kind === 'stmt' && n.tokens[0]?.text === key) return n;
  }
  return undefined;
}

function makeLocator(tree: SyntaxTree, blocks: BlockNode[]): Locator {
  const find = (t: Target): BlockNode | null | undefined => {
    if (t.scope === 'global') return null;
    const vb = blocks[t.virtual];
    if (!vb || t.scope === 'virtual') return vb;
    return vb.children.filter((n): n is BlockNode => n.type === 'block')[t.server];
  };
  return {
    where(t, key) {
      const b = find(t);
      if (b === undefined) return undefined;
      if (key === '@header') return b ? { line: b.header.num ?? 0, column: 1, length: b.header.text.length } : undefined;
      const stmt = lastStatement(b ? b.children : tree.children, key);
      if (!stmt || stmt.tokens.length < 3) return undefined;
      const first = stmt.tokens[2]!;
      const last = stmt.tokens[stmt.tokens.length - 1]!;
      return { line: stmt.num ?? 0, column: first.col + 1, length: last.col + last.text.length - first.col };
    },
    has(t, key) {
      const b = find(t);
      return b !== undefined && lastStatement(b ? b.children : tree.children, key) !== undefined;
    },
  };
}

/** Keyword → small integer, per level, so duplicate keys are tracked in arrays, not maps. */
const KEY_IDS: Record<Level, Record<string, number>> = {
  global: Object.fromEntries(Object.keys(keysFor('global')).map((k, i) => [k, i])),
  virtual: Object.fromEntries(Object.keys(keysFor('virtual')).map((k, i) => [k, i])),
  failover: Object.fromEntries(Object.keys(keysFor('failover')).map((k, i) => [k, i])),
  server: Object.fromEntries(Object.keys(keysFor('server')).map((k, i) => [k, i])),
};

/**
 * The keywords of each level bucketed by length and first character, so a statement's keyword is
 * found by comparing in place instead of cutting a string out of the line first.
 */
const KEYWORD_BUCKETS: Record<Level, Map<number, string[]>> = {
  global: buckets('global'),
  virtual: buckets('virtual'),
  failover: buckets('failover'),
  server: buckets('server'),
};

function buckets(level: Level): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const k of Object.keys(keysFor(level))) {
    const id = k.length * 256 + k.charCodeAt(0);
    m.set(id, [...(m.get(id) ?? []), k]);
  }
  return m;
}

function findKeyword(level: Level, text: string, start: number, end: number): string | null {
  const list = KEYWORD_BUCKETS[level].get((end - start) * 256 + text.charCodeAt(start));
  if (list) for (let i = 0; i < list.length; i++) if (text.startsWith(list[i]!, start)) return list[i]!;
  return null;
}

/** The value of text[start, end) when it is a plain decimal number (no sign, no leading zero), else -1. */
function plainDecimal(text: string, start: number, end: number): number {
  if (end - start > 9) return -1;
  const first = text.charCodeAt(start);
  if (first === 48) return end - start === 1 ? 0 : -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

const SPACE = 32;
const TAB = 9;
const EQUALS = 61;
const DQUOTE = 34;
const SQUOTE = 39;

class ModelReader {
  readonly model = defaultConfig();
  readonly diagnostics: Diagnostic[] = [];
  /** For each level and keyword, the number of the section it was last seen in (duplicate keys). */
  private readonly lastSeen: Record<Level, Int32Array> = {
    global: new Int32Array(Object.keys(KEY_IDS.global).length),
    virtual: new Int32Array(Object.keys(KEY_IDS.virtual).length),
    failover: new Int32Array(Object.keys(KEY_IDS.failover).length),
    server: new Int32Array(Object.keys(KEY_IDS.server).length),
  };
  private section = 0;
  /** The keyword of the statement readStatement() last read. */
  private key = '';

  /** Reads the statements of one section into `into`; returns whether a `port` line was among them. */
  readSection(nodes: Node[], level: Level, target: Target, into: Record<string, unknown>, vs: VirtualServer | null): boolean {
    const keys = keysFor(level);
    const ids = KEY_IDS[level];
    const seen = this.lastSeen[level];
    const id = ++this.section;
    let sawPort = false;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.type === 'block') {
        if (n.level === 'server' && vs) this.readServer(n, vs, (target as { virtual: number }).virtual);
        continue;
      }
      if (n.kind !== 'stmt') continue;
      const v = this.readStatement(n, keys, level, target);
      if (v === undefined) continue;
      const key = this.key;
      const kid = ids[key]!;
      if (seen[kid] === id) {
        const num = n.num ?? 0;
        this.diagnostics.push(
          diag('warning', 'DUPKEY', `"${key}" is set more than once in this section; the daemons use the last value`, { line: num, column: (n.keyStart < 0 ? 0 : n.keyStart) + 1, length: key.length }, target, key),
        );
      }
      seen[kid] = id;
      if (key === 'port') sawPort = true;
      if (vs && level !== 'server') this.assignVirtual(vs, key, v, n, target);
      else into[key] = v;
    }
    return sawPort;
  }

  /**
   * Reads one `key = value` line. The usual line (a known keyword, `=`, one plain word) is read
   * with a single scan; anything else is tokenized the daemons' way and checked word by word.
   */
  private readStatement(n: LineNode, keys: Record<string, ValueKind>, level: Level, target: Target): Value | undefined {
    const num = n.num ?? 0;
    if (n.keyStart >= 0) {
      // Scan the line where it sits in the file; only the value is cut out.
      const src = n.src;
      const base = n.start;
      const len = n.end;
      let i = base + n.keyEnd;
      let c = 0;
      while (i < len && ((c = src.charCodeAt(i)) === SPACE || c === TAB)) i++;
      if (c === EQUALS && i + 1 < len && ((c = src.charCodeAt(i + 1)) === SPACE || c === TAB)) {
        i += 2;
        while (i < len && ((c = src.charCodeAt(i)) === SPACE || c === TAB)) i++;
        const vs = i;
        if (vs < len && c !== DQUOTE && c !== SQUOTE) {
          while (i < len && (c = src.charCodeAt(i)) !== SPACE && c !== TAB) i++;
          const ve = i;
          while (i < len && ((c = src.charCodeAt(i)) === SPACE || c === TAB)) i++;
          if (i === len) {
            const key = findKeyword(level, src, base + n.keyStart, base + n.keyEnd);
            const kind = key === null ? undefined : keys[key];
            if (key !== null && kind !== undefined && kind.kind !== 'list' && kind.kind !== 'hostDevice') {
              this.key = key;
              // Plain decimal numbers (most values of a large file) are read without cutting a string.
              if (kind.kind === 'int' || kind.kind === 'bool' || kind.kind === 'port') {
                const d = plainDecimal(src, vs, ve);
                if (d >= 0 && (kind.kind !== 'bool' || d <= 1)) return kind.kind === 'bool' ? d === 1 : d;
              }
              return readOne(kind, key, src.slice(vs, ve), vs - base, null, num, target, this.diagnostics);
            }
          }
        }
      }
    }
    const text = n.text;
    const tk = tokenize(text);
    if (!tk.ok) {
      this.diagnostics.push(syntaxError('BADQUOTING', 'this quote is never closed on its line', { line: num, column: tk.col + 1, length: tk.length }, target));
      return undefined;
    }
    const tokens = tk.tokens;
    if (tokens.length > 99) {
      // tokenizeString() keeps 99 words and drops the rest of the line unread.
      this.diagnostics.push(syntaxError('TOOMANYARGS', 'more than 99 words on one line; the daemons drop the rest of the line', at(num, tokens[99]), target));
      return undefined;
    }
    const kw = tokens[0]!;
    const eq = tokens[1];
    const kind = keys[kw.text];
    if (!kind) {
      this.diagnostics.push(unknownCommand(kw, num, level, target));
      return undefined;
    }
    if (!eq || eq.text !== '=') {
      this.diagnostics.push(syntaxError('EQUALEXPECTED', `"${kw.text}" must be followed by " = " (with spaces around the =)`, at(num, eq ?? kw), target, kw.text));
      return undefined;
    }
    this.key = kw.text;
    return readValue(kind, tokens, num, kw, eq, target, this.diagnostics);
  }

  private readServer(b: BlockNode, vs: VirtualServer, virtual: number): void {
    const num = b.header.num ?? 0;
    // Quirk Q7: the real server's default port is the virtual's port *as parsed so far*.
    const rs: RealServer = { name: blockName(b), address: '0.0.0.0', active: false, weight: 1, port: vs.port, line: num };
    const target: Target = { scope: 'server', virtual, server: vs.servers.length };
    vs.servers.push(rs);
    if (!this.readSection(b.children, 'server', target, rs as unknown as Record<string, unknown>, null)) this.inherited.push(target.server);
  }

  /** Servers of the virtual being read that took its port (quirk Q7). */
  private inherited: number[] = [];

  private assignVirtual(vs: VirtualServer, key: string, v: Value, line: LineNode, target: Target): void {
    if (key === 'address') {
      const hd = v as { address: string; device: string };
      vs.address = hd.address;
      vs.device = hd.device;
    } else if (key === 'pmask' && v === '255.255.255.255') {
      this.diagnostics.push(
        diag('warning', 'PMASKALLONES', 'the daemons read pmask = 255.255.255.255 as "no persistence netmask" (which means the same: one client address per entry); remove the line', at(line.num ?? 0, line.tokens[2]), target, key),
      );
      vs.pmask = null;
    } else if ((key === 'vip_nmask' || key === 'pmask') && v === '0.0.0.0') {
      vs[key] = null;
    } else if (key === 'sorry_server' && v === '0.0.0.0') {
      vs.sorry_server = null;
    } else {
      (vs as unknown as Record<string, Value>)[key] = v;
    }
  }

  readVirtual(b: BlockNode, index: number): VirtualServer {
    const num = b.header.num ?? 0;
    const vs = defaultVirtualFor(b, num);
    const target: Target = { scope: 'virtual', virtual: index };
    this.inherited = [];
    this.readSection(b.children, b.level, target, vs as unknown as Record<string, unknown>, vs);
    // Q7: a server that inherited the port before a later `port` line gets a port other than the
    // virtual server's: the daemons run it on the earlier value.
    for (const si of this.inherited) {
      const rs = vs.servers[si]!;
      if (rs.port !== vs.port) {
        this.diagnostics.push(
          diag(
            'error',
            'PORTORDER',
            `real server "${rs.name}" has no port and comes before the virtual server's "port = ${vs.port}" line: the daemons give it port ${rs.port}; move "port" above the server blocks or give the server its own port`,
            { line: rs.line, column: 1, length: 6 },
            { scope: 'server', virtual: index, server: si },
            'port',
          ),
        );
      }
    }
    return vs;
  }
}

export function readModel(tree: SyntaxTree): ReadResult {
  const reader = new ModelReader();
  const model = reader.model;
  reader.readSection(tree.children, 'global', { scope: 'global' }, model as unknown as Record<string, unknown>, null);
  const blocks = tree.children.filter((n): n is BlockNode => n.type === 'block');
  // Targets number the virtual blocks first, then the failover blocks.
  const ordered = [...blocks.filter((b) => b.level === 'virtual'), ...blocks.filter((b) => b.level === 'failover')];
  for (const b of ordered) {
    const vs = reader.readVirtual(b, model.virtuals.length + model.failovers.length);
    (b.level === 'virtual' ? model.virtuals : model.failovers).push(vs);
  }
  if (model.nat_nmask === '0.0.0.0') model.nat_nmask = null;
  return { model, locate: makeLocator(tree, ordered), diagnostics: reader.diagnostics };
}

function defaultVirtualFor(b: BlockNode, num: number): VirtualServer {
  return defaultVirtual(b.level === 'failover' ? 'failover' : 'virtual', blockName(b), num);
}

function at(line: number, t: Token | undefined): Pos {
  return { line, column: (t?.col ?? 0) + 1, length: t?.text.length ?? 1 };
}

const LEVEL_WORDS: Record<Level, string> = { global: 'at the top level', virtual: 'inside a virtual block', failover: 'inside a failover block', server: 'inside a server block' };

function unknownCommand(kw: Token, line: number, level: Level, target: Target): Diagnostic {
  let hint = '';
  const eq = kw.text.indexOf('=');
  if (eq > 0) hint = ` — write "${kw.text.slice(0, eq)} = ${kw.text.slice(eq + 1)}" with spaces around the =`;
  else {
    const elsewhere = (['global', 'virtual', 'server'] as Level[]).filter((l) => l !== level && keysFor(l)[kw.text]);
    if (elsewhere.length) hint = ` — "${kw.text}" belongs ${LEVEL_WORDS[elsewhere[0]!]}`;
    else if (kw.text === 'virtual' || kw.text === 'failover' || kw.text === 'server') hint = ' — blocks cannot be nested here';
    else if (kw.text.toLowerCase() !== kw.text && keysFor(level)[kw.text.toLowerCase()]) hint = ` — keywords are lower case: "${kw.text.toLowerCase()}"`;
  }
  return syntaxError('BADCOMMAND', `"${kw.text}" is not a keyword ${LEVEL_WORDS[level]}${hint}`, at(line, kw), target);
}

function readValue(kind: ValueKind, tokens: Token[], line: number, kw: Token, eq: Token, target: Target, out: Diagnostic[]): Value | undefined {
  const key = kw.text;
  // Statements are read by index into the line's tokens: copying them costs a large file dearly.
  const count = tokens.length - 2;
  if (kind.kind === 'list') {
    const values = tokens.slice(2);
    const first = values[0];
    const last = values[values.length - 1];
    if (!first || first.text !== '[' || !last || last.text !== ']' || values.length < 2) {
      out.push(syntaxError('LISTEXPECTED', `"${key}" takes a list: ${key} = [ a b c ] with the brackets as separate words`, at(line, first ?? eq), target, key));
      return undefined;
    }
    return values.slice(1, -1).map((t) => t.text);
  }
  const need = arity(kind);
  if (count < need) {
    const what = kind.kind === 'hostDevice' ? 'an address and a device, e.g. "192.168.1.10 eth0:1"' : 'a value';
    out.push(syntaxError('MISSINGARGS', `"${key}" needs ${what}`, at(line, tokens[2] ?? eq), target, key));
    return undefined;
  }
  if (count > need) {
    const values = tokens.slice(2);
    const extra = values[need]!;
    const hint = extra.text.startsWith('#') ? ' (lvs.cf has no comments after a value: put the comment on its own line)' : kind.kind === 'string' && !kind.quoted ? '' : ' (quote text that contains spaces)';
    out.push(
      syntaxError('EXTRAARGS', `"${key}" takes ${need === 1 ? 'one value' : 'two values'}; "${values.slice(need).map((t) => t.text).join(' ')}" is left over${hint}`, {
        line,
        column: extra.col + 1,
        length: values[values.length - 1]!.col + values[values.length - 1]!.text.length - extra.col,
      }, target, key),
    );
    return undefined;
  }
  const tok = tokens[2]!;
  const v = readOne(kind, key, tok.text, tok.col, tok.quote, line, target, out);
  if (v === undefined || kind.kind !== 'hostDevice') return v;
  return { address: v as string, device: tokens[3]!.text };
}

/** Reads one value word (the daemons' integer, boolean, port, host, mask, enum and string readers). */
function readOne(kind: ValueKind, key: string, text: string, col: number, quote: Token['quote'], line: number, target: Target, out: Diagnostic[]): Value | undefined {
  switch (kind.kind) {
    case 'int': {
      const n = readCInteger(text);
      if (!n) {
        out.push(syntaxError('INTEXPECTED', `"${key}" must be a whole number, not "${text}"`, pos(line, col, text), target, key));
        return undefined;
      }
      if (n.octal) out.push(diag('warning', 'OCTAL', `"${text}" starts with 0, so the daemons read it as octal: ${n.value}`, pos(line, col, text), target, key));
      // fwmark is unsigned in the daemons: -1 wraps to 4294967295.
      if (key === 'fwmark' && n.value < 0) return n.value >>> 0;
      return n.value;
    }
    case 'bool': {
      const n = readCInteger(text);
      // getBoolean() reads an integer first: a word is "integer expected", 2 is "boolean expected".
      if (!n) {
        out.push(syntaxError('INTEXPECTED', `"${key}" must be 0 or 1, not "${text}"`, pos(line, col, text), target, key));
        return undefined;
      }
      if (n.value !== 0 && n.value !== 1) {
        out.push(syntaxError('BOOLEXPECTED', `"${key}" must be 0 or 1, not "${text}"`, pos(line, col, text), target, key));
        return undefined;
      }
      return n.value === 1;
    }
    case 'port': {
      if (!kind.services) {
        const n = readCInteger(text);
        if (!n) {
          out.push(syntaxError('INTEXPECTED', `a real server's port must be a number, not "${text}"`, pos(line, col, text), target, key));
          return undefined;
        }
        if (n.octal) out.push(diag('warning', 'OCTAL', `"${text}" starts with 0, so the daemons read it as octal: ${n.value}`, pos(line, col, text), target, key));
        return n.value;
      }
      const port = readPort(text);
      if (!port) {
        out.push(syntaxError('BADARGUMENT', `"${text}" is neither a port number nor a known service name`, pos(line, col, text), target, key));
        return undefined;
      }
      if (!port.service && readCInteger(text)?.octal) out.push(diag('warning', 'OCTAL', `"${text}" starts with 0, so the daemons read it as octal: ${port.value}`, pos(line, col, text), target, key));
      return port.value;
    }
    case 'host':
      return readHost(text, key, kind.zeroAllowed, pos(line, col, text), target, out);
    case 'dotted': {
      const a = inetAton(text);
      if (!a) {
        out.push(
          kind.mask
            ? syntaxError('BADNETMASK', `"${text}" is not a dotted netmask like 255.255.255.0`, pos(line, col, text), target, key)
            : syntaxError('BADHOSTNAME', `"${text}" is not an IP address (a host name is not accepted here)`, pos(line, col, text), target, key),
        );
        return undefined;
      }
      if (a.short || a.nonDecimal) out.push(shortAddr(text, a.value, pos(line, col, text), target, key));
      return a.short || a.nonDecimal ? formatIPv4(a.value) : text;
    }
    case 'enum': {
      if (!kind.values.includes(text)) {
        const lower = kind.values.includes(text.toLowerCase()) ? ` (values are lower case: "${text.toLowerCase()}")` : '';
        out.push(syntaxError('BADARGUMENT', `"${key}" must be one of ${kind.values.join(', ')}, not "${text}"${lower}`, pos(line, col, text), target, key));
        return undefined;
      }
      return text;
    }
    case 'string': {
      if (kind.quoted && quote === "'") {
        out.push(diag('warning', 'SINGLEQUOTE', `the daemons strip only double quotes: the single quotes of ${text} are part of the value`, pos(line, col, text), target, key));
      }
      return kind.quoted ? stripDoubleQuotes(text) : text;
    }
    case 'hostDevice':
      return readHost(text, key, key === 'address', pos(line, col, text), target, out);
    case 'list':
      return undefined;
  }
}

function pos(line: number, col: number, text: string): Pos {
  return { line, column: col + 1, length: text.length };
}

function shortAddr(text: string, value: number, p: Pos, target: Target, key: string): Diagnostic {
  return diag('warning', 'SHORTADDR', `"${text}" is not a plain dotted quad; the daemons read it as ${formatIPv4(value)}`, p, target, key);
}

function readHost(text: string, key: string, zeroAllowed: boolean, p: Pos, target: Target, out: Diagnostic[]): string | undefined {
  const a = inetAton(text);
  if (a) {
    if (a.value === 0 && !zeroAllowed) {
      out.push(syntaxError('BADHOSTNAME', `"${key}" cannot be 0.0.0.0`, p, target, key));
      return undefined;
    }
    if (a.short || a.nonDecimal) {
      out.push(shortAddr(text, a.value, p, target, key));
      return formatIPv4(a.value);
    }
    return text;
  }
  if (looksLikeHostname(text)) {
    out.push(diag('warning', 'HOSTNAME', `"${text}" is a host name: the daemons resolve it through DNS when they start, and refuse the whole file if that fails; prefer the IP address`, p, target, key));
    return text;
  }
  out.push(syntaxError('BADARGUMENT', `"${text}" is neither an IP address nor a host name`, p, target, key));
  return undefined;
}
