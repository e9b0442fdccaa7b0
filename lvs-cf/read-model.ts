// Reads the model out of the syntax tree the way lvsParseConfig() does: section by section, with
// the daemons' defaults and their order dependence (quirk Q7). One statement is read by
// statement.ts, its value words by read-values.ts.
import { keysFor, type Level } from './keywords.ts';
import { diag, tolerated } from './diagnostics.ts';
import { readStatement, read } from './statement.ts';
import { at, UNCHANGED, type Value } from './read-values.ts';
import { makeLocator, type Locator } from './locator.ts';
import { blockName, type BlockNode, type LineNode, type Node, type SyntaxTree } from './syntax.ts';
import type { Diagnostic, LvsConfig, RealServer, Target, VirtualServer } from './model.ts';

export type { Locator } from './locator.ts';

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

export interface ReadResult {
  model: LvsConfig;
  locate: Locator;
  diagnostics: Diagnostic[];
}

/** Keyword → small integer, per level, so duplicate keys are tracked in arrays, not maps. */
const KEY_IDS: Record<Level, Record<string, number>> = {
  global: Object.fromEntries(Object.keys(keysFor('global')).map((k, i) => [k, i])),
  virtual: Object.fromEntries(Object.keys(keysFor('virtual')).map((k, i) => [k, i])),
  failover: Object.fromEntries(Object.keys(keysFor('failover')).map((k, i) => [k, i])),
  server: Object.fromEntries(Object.keys(keysFor('server')).map((k, i) => [k, i])),
};

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

  /** Reads the statements of one section into `into`; returns whether a `port` line was among them. */
  readSection(nodes: Node[], level: Level, target: Target, into: Record<string, unknown>, vs: VirtualServer | null): boolean {
    const ids = KEY_IDS[level];
    const seen = this.lastSeen[level];
    const id = ++this.section;
    let sawPort = false;
    // parseVirtualServer() checks the quoting of a virtual block's first line only.
    const checksEveryLine = level === 'global' || level === 'server';
    let sawLine = false;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.type === 'block') {
        sawLine = true;
        if (n.level === 'server' && vs) this.readServer(n, vs, (target as { virtual: number }).virtual);
        continue;
      }
      const kind = n.kind;
      if (kind === 'blank' || kind === 'comment') continue;
      const lenient = sawLine && !checksEveryLine;
      sawLine = true;
      if (kind !== 'stmt') continue;
      const v = readStatement(n, level, target, this.diagnostics, lenient);
      if (v === undefined) continue;
      const key = read.key;
      const kid = ids[key]!;
      if (seen[kid] === id) {
        const num = n.num ?? 0;
        this.diagnostics.push(
          diag('warning', 'DUPKEY', `"${key}" is set more than once in this section; the daemons use the last value`, { line: num, column: (n.keyStart < 0 ? 0 : n.keyStart) + 1, length: key.length }, target, key),
        );
      }
      seen[kid] = id;
      if (key === 'port') sawPort = true;
      if (v === UNCHANGED) continue;
      if (vs && level !== 'server') this.assignVirtual(vs, key, v, n, target);
      else into[key] = v;
    }
    return sawPort;
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
    } else if (key === 'pmask' && line.tokens[2]?.value === '255.255.255.255') {
      // lvsconfig.c compares the word itself with "255.255.255.255" and stores no mask for it.
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
          tolerated(
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

