// Semantic validation: what the daemons never checked but a router needs to be right. The daemons
// run a file that breaks these rules, so in a file they are warnings (`writeError`: the console
// refuses to write such a value); only the closed list of exceptions in docs/lvs-cf.md stays an
// error, because the daemons would fail at run time. Each problem points at the value it is about.
import { lvsConfigSchema, type Diagnostic, type LvsConfig, type Target } from './model.ts';
import type { DiagnosticCode } from './codes.ts';
import { diag, tolerated, type Pos } from './diagnostics.ts';
import { isStrictIPv4, parseStrictIPv4, isContiguousMask, looksLikeHostname } from './values.ts';
import type { Locator } from './locator.ts';

const NOWHERE: Pos = { line: 0, column: 0, length: 0 };

/**
 * Checks a model. `locate` points problems at the file; `trusted` skips the zod shape check for a
 * model this library has just read itself (its shape is right by construction, and zod over tens
 * of thousands of objects is most of the time a large file takes to check).
 */
export function validateModel(model: LvsConfig, locate?: Locator, trusted = false): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!trusted) {
    const shape = lvsConfigSchema.safeParse(model);
    if (!shape.success) {
      for (const issue of shape.error.issues) out.push(diag('error', 'V-SHAPE', `${issue.path.join('.')}: ${issue.message}`, NOWHERE));
      return out;
    }
  }
  const where = (t: Target, key: string): Pos => locate?.where(t, key) ?? locate?.where(t, '@header') ?? NOWHERE;
  const has = (t: Target, key: string) => locate?.has(t, key) ?? true;
  /** An exception: the daemons run the file but fail at run time. */
  const fatal = (t: Target, key: string, code: DiagnosticCode, msg: string) => out.push(diag('error', code, msg, where(t, key), t, key));
  /** The daemons run it as written: a warning here, refused in what the console writes. */
  const err = (t: Target, key: string, code: DiagnosticCode, msg: string) => out.push(tolerated(code, msg, where(t, key), t, key));
  const warn = (t: Target, key: string, code: DiagnosticCode, msg: string) => out.push(diag('warning', code, msg, where(t, key), t, key));

  const g: Target = { scope: 'global' };
  const checkAddress = (t: Target, key: string, v: string | null, label: string) => {
    if (v === null) return;
    if (!isStrictIPv4(v) && !looksLikeHostname(v)) err(t, key, 'V-ADDRESS', `${label} "${v}" is not a valid IPv4 address`);
  };
  const checkMask = (t: Target, key: string, v: string | null, label: string) => {
    if (v === null) return;
    const n = parseStrictIPv4(v);
    if (n === null) err(t, key, 'V-NETMASK', `${label} "${v}" is not a dotted netmask`);
    else if (!isContiguousMask(n)) err(t, key, 'V-NETMASK', `${label} ${v} is not a contiguous netmask (its one bits must all come first, as in 255.255.255.0)`);
  };
  const checkPort = (t: Target, key: string, v: number, label: string) => {
    if (!Number.isInteger(v) || v < 1 || v > 65535) err(t, key, 'V-PORT', `${label} must be between 1 and 65535, not ${v}`);
  };

  checkAddress(g, 'primary', model.primary, 'The primary server address');
  checkAddress(g, 'primary_private', model.primary_private, 'The primary private address');
  checkAddress(g, 'backup', model.backup, 'The backup server address');
  checkAddress(g, 'backup_private', model.backup_private, 'The backup private address');
  checkPort(g, 'heartbeat_port', model.heartbeat_port, 'The heartbeat port');
  if (model.keepalive < 1) err(g, 'keepalive', 'V-KEEPALIVE', `The heartbeat interval must be at least 1 second, not ${model.keepalive}`);
  if (model.deadtime < 1) err(g, 'deadtime', 'V-DEADTIME', `"Assume dead after" must be at least 1 second, not ${model.deadtime}`);
  else if (model.deadtime <= model.keepalive && model.backup_active)
    warn(g, 'deadtime', 'V-DEADTIME', `"Assume dead after" (${model.deadtime} s) should be several heartbeat intervals (${model.keepalive} s), or a single lost heartbeat causes a failover`);
  for (const k of ['tcp_timeout', 'tcpfin_timeout', 'udp_timeout', 'syncd_id'] as const) {
    if (model[k] < 0) err(g, k, 'V-NEGATIVE', `${k} cannot be negative`);
  }
  if (model.syncd_id > 255) err(g, 'syncd_id', 'V-SYNCID', `The sync daemon ID must be between 0 and 255, not ${model.syncd_id}`);
  if (model.backup_active) {
    if (!model.backup || model.backup === '0.0.0.0')
      err(g, 'backup', 'V-BACKUP', 'Redundancy is enabled but the redundant server public IP is not set (pulse would silently disable the backup)');
    if (model.primary_private && has(g, 'primary_private') && !model.backup_private)
      err(g, 'backup_private', 'V-BACKUP', 'The primary has a private address, so the redundant server needs a private address too');
  }
  if (model.nat_router) {
    checkAddress(g, 'nat_router', model.nat_router.address, 'The NAT router IP');
    checkDevice(model.nat_router.device, (m) => err(g, 'nat_router', 'V-DEVICE', `The NAT router device ${m}`));
  }
  checkMask(g, 'nat_nmask', model.nat_nmask, 'The NAT router netmask');
  const usesNat = model.network === 'nat' && model.service === 'lvs' && model.virtuals.some((v) => v.active);
  if (usesNat && !model.nat_router) {
    if (has(g, 'network')) err(g, 'network', 'V-NATROUTER', 'Network type is NAT but no NAT router IP and device are set (the real servers need it as their gateway)');
    else warn(g, 'network', 'V-NATROUTER', 'No network type is set, so the daemons use NAT, but no NAT router is set: choose Direct Routing or set the NAT router');
  }
  for (const k of ['active_cmd', 'inactive_cmd'] as const) {
    const v = model[k];
    if (v !== null && !v.startsWith('/')) err(g, k, 'V-PROGRAM', `${k} must start with an absolute path (pulse runs it without a shell or PATH search)`);
  }

  const all = [...model.virtuals, ...model.failovers];
  const names = new Map<string, number>();
  all.forEach((vs, i) => {
    const t: Target = { scope: 'virtual', virtual: i };
    const label = `Virtual server "${vs.name}"`;
    checkName(vs.name, (m) => err(t, '@header', 'V-NAME', `${label}: the name ${m}${NAME_NOTE}`));
    const prev = names.get(vs.name);
    // The agent and the console address a virtual server by its name (check now, status): with two
    // of one name, what is meant for the second reaches the first.
    if (prev !== undefined) fatal(t, '@header', 'V-DUPNAME', `There are two virtual servers named "${vs.name}"; names must be unique (the console and the agent address a virtual server by its name): rename one`);
    else names.set(vs.name, i);
    if (vs.active && (!vs.address || vs.address === '0.0.0.0')) err(t, 'address', 'V-VIP', `${label} is active but has no virtual IP address`);
    if (vs.address !== null) checkAddress(t, 'address', vs.address, 'The virtual IP');
    if (vs.address !== null && !vs.device) err(t, 'address', 'V-DEVICE', `${label} needs a device for its virtual IP, e.g. eth0:1`);
    if (vs.device) checkDevice(vs.device, (m) => err(t, 'address', 'V-DEVICE', `The device ${m}`));
    checkMask(t, 'vip_nmask', vs.vip_nmask, 'The virtual IP netmask');
    checkMask(t, 'pmask', vs.pmask, 'The persistence netmask');
    if (vs.sorry_server !== null) checkAddress(t, 'sorry_server', vs.sorry_server, 'The sorry server');
    checkPort(t, 'port', vs.port, 'The application port');
    if (vs.fwmark < 0 || vs.fwmark > 0xffffffff) err(t, 'fwmark', 'V-FWMARK', 'The firewall mark must be between 0 and 4294967295');
    if (vs.persistent < 0) err(t, 'persistent', 'V-PERSIST', 'Persistence cannot be negative');
    if (vs.pmask && vs.persistent === 0) warn(t, 'pmask', 'V-PMASK', 'A persistence netmask has no effect without a persistence time');
    // nanny divides the re-entry time by the timeout: 0 kills it with SIGFPE, and lvsd then shuts
    // the whole router down (hard_shutdown).
    if (vs.timeout === 0) fatal(t, 'timeout', 'V-TIMEOUT', 'The service timeout must be at least 1 second, not 0: nanny divides by it and crashes, which shuts LVS down; set it to 6 (the GUI\'s default) or more');
    else if (vs.timeout < 1) err(t, 'timeout', 'V-TIMEOUT', `The service timeout must be at least 1 second, not ${vs.timeout}`);
    if (vs.reentry < 0) err(t, 'reentry', 'V-REENTRY', 'The re-entry time cannot be negative');
    if (vs.send !== null) checkSendExpect(vs.send, (code, m) => (code === 'V-ESCAPE' ? warn : err)(t, 'send', code, `Send: ${m}`));
    if (vs.expect !== null) checkSendExpect(vs.expect, (code, m) => (code === 'V-ESCAPE' ? warn : err)(t, 'expect', code, `Expect: ${m}`));
    if (vs.use_regex && vs.expect) {
      try {
        new RegExp(vs.expect);
      } catch (e) {
        err(t, 'expect', 'V-REGEX', `Expect is not a valid regular expression: ${(e as Error).message}`);
      }
    }
    if (vs.send_program !== null && vs.send_program !== '') {
      if (!vs.send_program.startsWith('/')) err(t, 'send_program', 'V-PROGRAM', 'The sending program must start with an absolute path, e.g. /usr/local/bin/check %h');
      if (/[^\x20-\x7e]/.test(vs.send_program)) err(t, 'send_program', 'V-PROGRAM', 'The sending program may only contain printable ASCII characters');
    }
    // Runs for every real server of a large file: nothing is allocated unless a check fails.
    const sNames = new Set<string>();
    for (let si = 0; si < vs.servers.length; si++) {
      const rs = vs.servers[si]!;
      const nameProblem = nameError(rs.name);
      if (nameProblem) err(serverTarget(i, si), '@header', 'V-NAME', `Real server "${rs.name}": the name ${nameProblem}${NAME_NOTE}`);
      if (sNames.has(rs.name)) err(serverTarget(i, si), '@header', 'V-DUPNAME', `${label} has two real servers named "${rs.name}"`);
      sNames.add(rs.name);
      if (rs.active && (rs.address === '0.0.0.0' || !rs.address)) err(serverTarget(i, si), 'address', 'V-ADDRESS', `Real server "${rs.name}" is active but has no address`);
      else if (!isStrictIPv4(rs.address) && !looksLikeHostname(rs.address)) err(serverTarget(i, si), 'address', 'V-ADDRESS', `The real server address "${rs.address}" is not a valid IPv4 address`);
      if (!(rs.port >= 1 && rs.port <= 65535 && Number.isInteger(rs.port))) err(serverTarget(i, si), 'port', 'V-PORT', `Real server "${rs.name}": the port must be between 1 and 65535, not ${rs.port}`);
      if (rs.weight < 0) err(serverTarget(i, si), 'weight', 'V-WEIGHT', `Real server "${rs.name}": the weight cannot be negative`);
      else if (rs.weight > 65535) err(serverTarget(i, si), 'weight', 'V-WEIGHT', `Real server "${rs.name}": the weight must be at most 65535`);
    }
  });

  // Manual §6.1: virtual servers grouped by one firewall mark form one IPVS service, so they must
  // agree on persistence.
  const byMark = new Map<number, number[]>();
  model.virtuals.forEach((vs, i) => {
    if (vs.fwmark) byMark.set(vs.fwmark, [...(byMark.get(vs.fwmark) ?? []), i]);
  });
  for (const [mark, idx] of byMark) {
    const first = model.virtuals[idx[0]!]!;
    for (const i of idx.slice(1)) {
      const vs = model.virtuals[i]!;
      if (vs.persistent !== first.persistent || (vs.pmask ?? '') !== (first.pmask ?? '')) {
        err({ scope: 'virtual', virtual: i }, 'persistent', 'V-FWMARK-PERSIST', `Virtual servers "${first.name}" and "${vs.name}" share firewall mark ${mark}, so they must have the same persistence and persistence netmask`);
      }
    }
  }
  return out;
}

const NAME_NOTE = '; the daemons accept it and the console keeps it, but a name typed into the console must follow that rule';

export function checkName(name: string, fail: (m: string) => void): void {
  const problem = nameError(name);
  if (problem) fail(problem);
}

function serverTarget(virtual: number, server: number): Target {
  return { scope: 'server', virtual, server };
}

/** What is wrong with a virtual or real server name (completing "the name …"), or null. */
export function nameError(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.length > 64) return 'is longer than 64 characters';
  if (!/^[\x21-\x7e]+$/.test(name)) return 'may only contain printable ASCII characters without spaces';
  if (/["'{}#\\]/.test(name)) return 'may not contain quotes, braces, # or backslashes';
  return null;
}

export function checkDevice(dev: string, fail: (m: string) => void): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,19}$/.test(dev)) fail(`"${dev}" is not a valid interface name (e.g. eth0:1)`);
}

const ESCAPE_OK = new Set(['\\', 'r', 'n', 't', "'", '"']);

/** Manual §6.3: printable ASCII plus the escapes \\ \r \n \t \' \". */
export function checkSendExpect(s: string, fail: (code: 'V-SENDEXPECT' | 'V-ESCAPE', m: string) => void): void {
  const bad = /[^\x20-\x7e]/.exec(s);
  if (bad) {
    fail('V-SENDEXPECT', `only printable ASCII is allowed (found character code ${bad[0]!.charCodeAt(0)}); use \\r \\n \\t for control characters`);
    return;
  }
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') continue;
    const next = s[i + 1];
    if (next === undefined || !ESCAPE_OK.has(next)) {
      fail('V-ESCAPE', `"\\${next ?? ''}" is not one of the escapes \\\\ \\r \\n \\t \\' \\" and is sent as is`);
      return;
    }
    i++;
  }
}

