// The console's host allowlist: Apache mod_access_compat `Order` / `Allow from` / `Deny from`,
// evaluated exactly like httpd 2.4 + APR (see docs/security.md). IPv4 addresses are read by the
// project's one reader (common/ipv4.ts); the rest is our own code because npm IP libraries disagree
// with Apache about partial addresses (`10.1` is 10.1.0.0/16 here) and about IPv6: ipaddr.js reads
// `::a.b.c.d` as IPv4-mapped (APR does not) and accepts `::01.2.3.4`.
import { parseIPv4 } from '../common/ipv4.ts';
//
// Pure module: no I/O. The watcher (allowlist-watcher.ts) reads the files and keeps the last good
// rule set; this file only turns text into rules and rules plus a client address into a verdict.
//
// Anything we do not support is an error, never silently skipped: an ignored `Deny from host`
// would fail open. Errors name the file and line so the console can show them.

export type Order = 'deny,allow' | 'allow,deny' | 'mutual-failure';

/** One host pattern of an Allow/Deny line. `bytes`/`mask` are network-order (4 or 16 bytes). */
export type Matcher =
  | { kind: 'all'; line: number; text: string }
  | { kind: 'ip'; family: 4 | 6; bytes: Uint8Array; mask: Uint8Array; line: number; text: string };

export type AllowlistRules = { order: Order; allow: Matcher[]; deny: Matcher[]; source: string };

export class AllowlistError extends Error {
  line: number;
  file: string;
  /** The problem without the `file:line:` prefix, for display beside the file name. */
  problem: string;
  constructor(file: string, line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'AllowlistError';
    this.file = file;
    this.line = line;
    this.problem = problem;
  }
}

/** Larger files are refused: an allowlist is a handful of lines, and parsing must stay cheap. */
export const MAX_ALLOWLIST_BYTES = 256 * 1024;

const ORDERS: Record<string, Order> = {
  'deny,allow': 'deny,allow',
  'allow,deny': 'allow,deny',
  'mutual-failure': 'mutual-failure',
};

export function parseAllowlist(text: string, file: string): AllowlistRules {
  if (text.length > MAX_ALLOWLIST_BYTES) {
    throw new AllowlistError(file, 1, `the file is larger than ${MAX_ALLOWLIST_BYTES} bytes`);
  }
  let order: Order | null = null;
  let orderLine = 0;
  const allow: Matcher[] = [];
  const deny: Matcher[] = [];

  for (const { line, text: logical } of logicalLines(text, file)) {
    const trimmed = logical.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (/["']/.test(trimmed)) {
      throw new AllowlistError(file, line, 'quoted arguments are not supported; write the values without quotes');
    }
    if (trimmed.startsWith('<')) {
      throw new AllowlistError(file, line, `sections such as ${trimmed.split(/\s/)[0]} are not supported: the allowlist applies to every request and method`);
    }
    const words = trimmed.split(/[ \t]+/);
    const directive = words[0].toLowerCase();
    const args = words.slice(1);

    switch (directive) {
      case 'order': {
        if (args.length !== 1) {
          throw new AllowlistError(file, line, 'Order takes exactly one argument (Deny,Allow, Allow,Deny or Mutual-failure) with no spaces around the comma');
        }
        const value = ORDERS[args[0].toLowerCase()];
        if (!value) {
          throw new AllowlistError(file, line, `unknown order "${args[0]}": use Deny,Allow, Allow,Deny or Mutual-failure`);
        }
        if (order !== null) {
          // Apache lets the last one win; a second Order is almost always a mistake, so we refuse.
          throw new AllowlistError(file, line, `Order is given twice (first on line ${orderLine})`);
        }
        order = value;
        orderLine = line;
        break;
      }
      case 'allow':
      case 'deny': {
        const name = directive === 'allow' ? 'Allow' : 'Deny';
        if (args.length === 0 || args[0].toLowerCase() !== 'from') {
          throw new AllowlistError(file, line, `${name} must be followed by "from" (for example: ${name} from 192.168.1.0/24)`);
        }
        if (args.length === 1) {
          throw new AllowlistError(file, line, `${name} from needs at least one host: all, an IP address, a partial IPv4 address or a network`);
        }
        const list = directive === 'allow' ? allow : deny;
        for (const host of args.slice(1)) list.push(parseHost(host, file, line));
        break;
      }
      case 'satisfy': {
        if (args.length === 1 && args[0].toLowerCase() === 'all') break; // our only behaviour
        if (args.length === 1 && args[0].toLowerCase() === 'any') {
          throw new AllowlistError(file, line, 'Satisfy Any is not supported: the console always requires both an allowed address and the password');
        }
        throw new AllowlistError(file, line, 'Satisfy takes one argument, and only "All" is supported');
      }
      default:
        throw new AllowlistError(file, line, `unsupported directive "${words[0]}": only Order, Allow from, Deny from and Satisfy All are understood`);
    }
  }
  return { order: order ?? 'deny,allow', allow, deny, source: file };
}

/** Splits into physical lines (LF or CRLF), joins Apache's trailing-backslash continuations. */
function* logicalLines(text: string, file: string): Generator<{ line: number; text: string }> {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let current = lines[i].replace(/\r$/, '');
    if (current.includes('\0')) throw new AllowlistError(file, start, 'the line contains a NUL byte');
    while (current.endsWith('\\') && i + 1 < lines.length) {
      i++;
      current = current.slice(0, -1) + lines[i].replace(/\r$/, '');
    }
    yield { line: start, text: current };
  }
}

const DIGITS = /^[0-9]+$/;

function parseHost(token: string, file: string, line: number): Matcher {
  const lower = token.toLowerCase();
  const fail = (problem: string): never => {
    throw new AllowlistError(file, line, `"${token}": ${problem}`);
  };
  if (lower === 'all') return { kind: 'all', line, text: token };
  if (lower.startsWith('env=')) {
    return fail('env= rules are not supported (there is no SetEnvIf here); the whole file is refused so that nothing is silently ignored');
  }
  const slash = token.indexOf('/');
  const address = slash === -1 ? token : token.slice(0, slash);
  const maskText = slash === -1 ? null : token.slice(slash + 1);

  if (address.includes(':')) return parseIpv6Rule(address, maskText, token, line, fail);

  if (!/^[0-9.]+$/.test(address)) {
    if (token.includes('#')) return fail('no comments are allowed here; put comments on their own line starting with #');
    if (slash !== -1) return fail('an IP address was expected before the /');
    return fail('host names are not supported (they need double reverse DNS); use an IP address or network. The whole file is refused so that nothing is silently ignored');
  }

  if (maskText === null) {
    // Full address (/32) or Apache's partial form: 1 to 3 leading octets, optional trailing dot.
    const v4 = parseIpv4Parts(address, true, fail);
    return { kind: 'ip', family: 4, bytes: v4.bytes, mask: v4.mask, line, text: token };
  }
  const v4 = parseIpv4Parts(address, false, fail);
  let mask: Uint8Array;
  if (maskText.includes('.')) {
    const m = parseIpv4Parts(maskText, false, fail, 'the netmask');
    const value = toUint32(m.bytes);
    if (value === 0) return fail('a netmask of 0.0.0.0 matches everyone; write "all" instead');
    const inverted = ~value >>> 0;
    if ((inverted & (inverted + 1)) !== 0) {
      return fail('the netmask is not contiguous (Apache accepts this, we refuse it because it is almost always a typo)');
    }
    mask = m.bytes;
  } else {
    mask = prefixMask(parseBits(maskText, 32, fail), 4);
  }
  return { kind: 'ip', family: 4, bytes: applyMask(v4.bytes, mask), mask, line, text: token };
}

function parseBits(text: string, max: number, fail: (p: string) => never): number {
  if (!DIGITS.test(text) || (text.length > 1 && text.startsWith('0'))) {
    return fail(`the prefix length must be a number from 1 to ${max}`);
  }
  const bits = Number(text);
  if (bits === 0) return fail('a prefix length of /0 is not allowed; write "all" instead');
  if (bits > max) return fail(`the prefix length must be a number from 1 to ${max}`);
  return bits;
}

function parseIpv4Parts(
  text: string,
  partialAllowed: boolean,
  fail: (p: string) => never,
  what = 'the IPv4 address',
): { bytes: Uint8Array; mask: Uint8Array } {
  // A single trailing dot is Apache's way of writing a partial address (`172.16.57.`).
  const body = partialAllowed && text.endsWith('.') ? text.slice(0, -1) : text;
  const parts = body.split('.');
  if (parts.length > 4) return fail(`${what} has more than four parts`);
  if (!partialAllowed && parts.length !== 4) return fail(`${what} must have four parts (a.b.c.d)`);
  // A partial address is read as the network it starts (10.1 is 10.1.0.0), masked to the parts given.
  const value = parseIPv4([...parts, '0', '0', '0'].slice(0, 4).join('.'));
  if (value === null) return fail(whyNotIpv4(parts, what));
  const bytes = ipv4Bytes(value);
  const mask = new Uint8Array(4).map((_, i) => (i < parts.length ? 0xff : 0));
  return { bytes, mask };
}

/** Why dotted parts make no address, naming the first part at fault. */
function whyNotIpv4(parts: string[], what: string): string {
  for (const part of parts) {
    if (!DIGITS.test(part)) return `${what} has an empty or non-decimal part`;
    if (part.length > 1 && part.startsWith('0')) {
      return `${what} has a part with a leading zero ("${part}"), which some tools read as octal; write it without leading zeros`;
    }
    if (Number(part) > 255) break;
  }
  return `${what} has a part greater than 255`;
}

function ipv4Bytes(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function parseIpv6Rule(
  address: string,
  maskText: string | null,
  token: string,
  line: number,
  fail: (p: string) => never,
): Matcher {
  const bytes = parseIpv6(address);
  if (!bytes) return fail('not a valid IPv6 address');
  if (isV4Mapped(bytes)) {
    return fail('IPv4-mapped IPv6 addresses are not accepted in rules (as in Apache); write the IPv4 address as a.b.c.d');
  }
  if (maskText !== null && maskText.includes('.')) return fail('a dotted netmask is only allowed with IPv4; use /bits');
  const mask = prefixMask(maskText === null ? 128 : parseBits(maskText, 128, fail), 6);
  return { kind: 'ip', family: 6, bytes: applyMask(bytes, mask), mask, line, text: token };
}

/** Parses a textual IPv6 address (with optional trailing dotted IPv4) to 16 bytes; null if invalid. */
export function parseIpv6(text: string): Uint8Array | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  // A dotted IPv4 tail is only allowed as the very last part of the whole address.
  const groupsOf = (s: string, last: boolean): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const pieces = s.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (last && i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1], true) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * The socket peer address as the console sees it (`request.ip`), normalised for matching:
 * `::ffff:a.b.c.d` becomes IPv4 (Apache's apr_ipsubnet_test matches IPv4 rules against mapped
 * peers), an IPv6 zone (`%eth0`) is dropped. Null when it is not an IP address at all.
 */
export function parseClientAddress(ip: string): { family: 4 | 6; bytes: Uint8Array } | null {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return { family: 4, bytes: ipv4Bytes(v4) };
  const zone = ip.indexOf('%');
  const v6 = parseIpv6(zone === -1 ? ip : ip.slice(0, zone));
  if (!v6) return null;
  if (isV4Mapped(v6)) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

function prefixMask(bits: number, family: 4 | 6): Uint8Array {
  const mask = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i < mask.length; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    mask[i] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
  }
  return mask;
}

/** Apache clears host bits (`fix_subnet`), so 10.1.2.3/16 is 10.1.0.0/16. */
function applyMask(bytes: Uint8Array, mask: Uint8Array): Uint8Array {
  return bytes.map((b, i) => b & mask[i]);
}

function toUint32(b: Uint8Array): number {
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

function matches(m: Matcher, client: { family: 4 | 6; bytes: Uint8Array }): boolean {
  if (m.kind === 'all') return true;
  if (m.family !== client.family) return false;
  for (let i = 0; i < m.bytes.length; i++) {
    if ((client.bytes[i] & m.mask[i]) !== m.bytes[i]) return false;
  }
  return true;
}

/** One file's verdict, as httpd's check_dir_access(): every line is considered, not first-match. */
function allowedBy(rules: AllowlistRules, client: { family: 4 | 6; bytes: Uint8Array }): boolean {
  const inAllow = rules.allow.some((m) => matches(m, client));
  const inDeny = rules.deny.some((m) => matches(m, client));
  switch (rules.order) {
    case 'deny,allow':
      return inAllow || !inDeny;
    case 'allow,deny':
    case 'mutual-failure':
      return inAllow && !inDeny;
  }
}

/**
 * True when every given rule set allows the client (the console is covered by both
 * web/.htaccess and web/secure/.htaccess). No rule sets allows everyone; an address that is
 * not an IP address at all is refused.
 */
export function isAllowed(rules: AllowlistRules[], clientIp: string): boolean {
  if (rules.length === 0) return true;
  const client = parseClientAddress(clientIp);
  if (!client) return false;
  return rules.every((r) => allowedBy(r, client));
}
