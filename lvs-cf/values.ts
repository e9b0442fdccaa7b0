// Readers for the value kinds of lvs.cf, each reproducing how the C parser reads a token
// (strtol with base 0, inet_aton, getservbyname), plus the stricter checks we add on top.

/** strtol(tok, &end, 0) that must consume the whole token: decimal, 0x hex, leading-0 octal, sign. */
export function readCInteger(tok: string): { value: number; octal: boolean } | null {
  // Fast path, without a regular expression: a plain decimal without sign or leading zero.
  const n = tok.length;
  if (n > 0 && n < 16) {
    let v = 0;
    let i = 0;
    for (; i < n; i++) {
      const c = tok.charCodeAt(i) - 48;
      if (c < 0 || c > 9 || (i === 0 && c === 0 && n > 1)) break;
      v = v * 10 + c;
    }
    if (i === n) return { value: v, octal: false };
  }
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(tok);
  if (!m) return null;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!;
  let value: number;
  let octal = false;
  if (/^0[xX]/.test(body)) value = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body.startsWith('0')) {
    value = parseInt(body, 8);
    octal = true;
  } else value = parseInt(body, 10);
  return { value: sign * value, octal };
}

/**
 * inet_aton: 1 to 4 parts, each decimal, 0x hex or 0-octal; the last part fills the remaining bytes.
 * Returns the 32-bit address or null. `short` is true for the 1–3 part forms (10.1 = 10.0.0.1).
 */
export function inetAton(tok: string): { value: number; short: boolean; nonDecimal: boolean } | null {
  const strict = parseStrictIPv4(tok);
  if (strict !== null) return { value: strict, short: false, nonDecimal: false };
  const parts = tok.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  let nonDecimal = false;
  for (const p of parts) {
    const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(p);
    if (!m) return null;
    let v: number;
    if (/^0[xX]/.test(p)) {
      v = parseInt(p.slice(2), 16);
      nonDecimal = true;
    } else if (p.length > 1 && p.startsWith('0')) {
      v = parseInt(p, 8);
      nonDecimal = true;
    } else v = parseInt(p, 10);
    nums.push(v);
  }
  const maxLast = [0xffffffff, 0xffffff, 0xffff, 0xff][nums.length - 1]!;
  for (let i = 0; i < nums.length - 1; i++) if (nums[i]! > 255) return null;
  if (nums[nums.length - 1]! > maxLast) return null;
  let value = 0;
  for (let i = 0; i < nums.length - 1; i++) value += nums[i]! * 2 ** (8 * (3 - i));
  value += nums[nums.length - 1]!;
  return { value, short: nums.length < 4, nonDecimal };
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join('.');
}

/** A strict dotted quad: four decimal octets 0–255 without leading zeros. */
export function isStrictIPv4(s: string): boolean {
  return parseStrictIPv4(s) !== null;
}

/** The value of a strict dotted quad, scanned by hand: it runs for every address of a large file. */
export function parseStrictIPv4(s: string): number | null {
  const n = s.length;
  if (n < 7 || n > 15) return null;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      if (i < n && ++dots > 3) return null;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros: "010" is octal to inet_aton, so it is not a plain dotted quad.
      if (digits === 1 && part === 0) return null;
      part = part * 10 + (c - 48);
      if (++digits > 3) return null;
    } else return null;
  }
  return dots === 3 ? value : null;
}

/** True when the mask's one bits are contiguous from the top (255.255.255.0 yes, 255.0.255.0 no). */
export function isContiguousMask(value: number): boolean {
  const inverted = (~value >>> 0) >>> 0;
  return ((inverted + 1) & inverted) >>> 0 === 0;
}

export function maskPrefixLength(value: number): number {
  let bits = 0;
  for (let v = value >>> 0; v & 0x80000000; v = (v << 1) >>> 0) bits++;
  return bits;
}

/** A name that gethostbyname could resolve: labels of letters, digits and hyphens. */
export function looksLikeHostname(s: string): boolean {
  return /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(s) && /[A-Za-z]/.test(s);
}

/**
 * getservbyname(name, "tcp") for the services an LVS router plausibly names. The daemons consult
 * /etc/services; a fixed table keeps parsing independent of the machine and is documented.
 */
export const TCP_SERVICES: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, www: 80, 'www-http': 80, pop3: 110,
  nntp: 119, ntp: 123, imap: 143, imap2: 143, snmp: 161, ldap: 389, https: 443, smtps: 465, submission: 587,
  ldaps: 636, imaps: 993, pop3s: 995, 'ms-sql-s': 1433, nfs: 2049, mysql: 3306, 'sip': 5060, postgresql: 5432,
  'http-alt': 8080, webcache: 8080,
};

export function readPort(tok: string): { value: number; service: boolean } | null {
  const n = readCInteger(tok);
  if (n) return { value: n.value, service: false };
  const s = TCP_SERVICES[tok];
  return s === undefined ? null : { value: s, service: true };
}

/** The nanny escapes of manual §6.3. */
export const SEND_EXPECT_ESCAPES = ['\\\\', '\\r', '\\n', '\\t', "\\'", '\\"'];
