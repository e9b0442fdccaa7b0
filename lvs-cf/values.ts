// Readers for the value kinds of lvs.cf, each reproducing how the C parser reads a word: strtol()
// with base 0 into a 32-bit int (getNum), inet_aton (getHostname and the dotted-only keys) and
// getservbyname (getPort). The model holds what the daemons read; the warnings say where that is
// not what the text seems to say.
import { TCP_SERVICES } from './services.ts';
import { isIPv4, parseIPv4 } from '../common/ipv4.ts';

export interface CInteger {
  /** What the daemons hold: strtol's long, truncated to a 32-bit int. */
  value: number;
  /**
   * Whether that is the number written: `int` when it is, `uint` when only the unsigned reading of
   * the same 32 bits is (4294967295 is -1 as an int), `no` when the number did not fit at all.
   */
  fits: 'int' | 'uint' | 'no';
  /** The empty word, which the daemons read as 0. */
  empty: boolean;
  /** A leading 0 made it octal (`010` is 8). */
  octal: boolean;
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return 99;
}

/**
 * getNum(): `strtol(tok, &end, 0)` that must reach the end of the word, stored in an int. So
 * leading blanks (of a quoted word) and a sign are allowed, `0x` is hex and a leading 0 octal; the
 * empty word is 0 (strtol converts nothing and stops at the terminator); a number beyond a long is
 * clamped, and any number keeps only its low 32 bits (4294967296 is 0).
 */
export function readCInteger(tok: string): CInteger | null {
  const n = tok.length;
  // Fast path, without a regular expression: a plain decimal without sign or leading zero.
  if (n > 0 && n < 10) {
    let v = 0;
    let i = 0;
    for (; i < n; i++) {
      const c = tok.charCodeAt(i) - 48;
      if (c < 0 || c > 9 || (i === 0 && c === 0 && n > 1)) break;
      v = v * 10 + c;
    }
    if (i === n) return { value: v, fits: 'int', empty: false, octal: false };
  }
  let i = 0;
  while (i < n && isSpace(tok.charCodeAt(i))) i++;
  let negative = false;
  const sign = tok.charCodeAt(i);
  if (sign === 43 || sign === 45) {
    negative = sign === 45;
    i++;
  }
  let base = 10;
  if (tok.charCodeAt(i) === 48) {
    const x = tok.charCodeAt(i + 1) | 32;
    if (x === 120 && digitValue(tok.charCodeAt(i + 2)) < 16) {
      base = 16;
      i += 2;
    } else base = 8;
  }
  const digits = i;
  let magnitude = 0n;
  for (; i < n; i++) {
    const d = digitValue(tok.charCodeAt(i));
    if (d >= base) break;
    magnitude = magnitude * BigInt(base) + BigInt(d);
  }
  if (i === digits) return n === 0 ? { value: 0, fits: 'int', empty: true, octal: false } : null;
  if (i < n) return null;
  const written = negative ? -magnitude : magnitude;
  const long = written > LONG_MAX ? LONG_MAX : written < LONG_MIN ? LONG_MIN : written;
  const value = Number(BigInt.asIntN(32, long));
  const fits = written === BigInt(value) ? 'int' : written === BigInt(value >>> 0) ? 'uint' : 'no';
  return { value, fits, empty: false, octal: base === 8 && i - digits > 1 };
}

export interface InetAddress {
  /** The 32-bit address. */
  value: number;
  /** Four decimal parts without leading zeros and nothing after: the form the console writes. */
  plain: boolean;
}

/**
 * glibc's inet_aton, the way the daemons read every address. The plain dotted quad is read by the
 * project's one IPv4 reader (common/ipv4.ts); the other forms inet_aton takes are read here, the one
 * extra reader the project keeps: one to four parts, each decimal, 0x hex or 0-octal, every part but
 * the last at most 255 and the last filling the remaining bytes (`10.1` is 10.0.0.1); anything after
 * a whitespace character is ignored (`"10.0.0.1 x"` is 10.0.0.1). ipaddr.js reads the same forms
 * except that last one (values.test.ts holds the two together).
 */
export function inetAton(s: string): InetAddress | null {
  // The plain form first, with the project's one reader of it (common/ipv4.ts), which allocates nothing.
  const quad = parseIPv4(s);
  if (quad !== null) return { value: quad, plain: true };
  const n = s.length;
  const parts: number[] = [];
  let i = 0;
  let plain = true;
  for (;;) {
    const first = s.charCodeAt(i);
    if (!(first >= 48 && first <= 57)) return null;
    // strtoul(part, &end, 0), which starts at a digit here (no blanks, no sign).
    let base = 10;
    if (first === 48) {
      if ((s.charCodeAt(i + 1) | 32) === 120 && digitValue(s.charCodeAt(i + 2)) < 16) {
        base = 16;
        i += 2;
      } else base = 8;
    }
    const start = i;
    let v = 0;
    for (; i < n; i++) {
      const d = digitValue(s.charCodeAt(i));
      if (d >= base) break;
      v = v * base + d;
      if (v > 0xffffffff) return null;
    }
    if (base !== 10 && !(base === 8 && i - start === 1)) plain = false;
    if (i - start > 3) plain = false;
    if (s.charCodeAt(i) === 46) {
      if (parts.length > 2 || v > 0xff) return null;
      parts.push(v);
      i++;
      continue;
    }
    parts.push(v);
    break;
  }
  if (i < n) {
    const c = s.charCodeAt(i);
    if (!(c < 128 && isSpace(c))) return null;
    plain = false;
  }
  const last = parts[parts.length - 1]!;
  if (last > [0xffffffff, 0xffffff, 0xffff, 0xff][parts.length - 1]!) return null;
  let value = 0;
  for (let k = 0; k < parts.length - 1; k++) value += parts[k]! * 2 ** (8 * (3 - k));
  value += last;
  return { value, plain: plain && parts.length === 4 };
}

export function formatIPv4(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/** A plain dotted quad: four decimal octets 0–255 without leading zeros (the project's reader). */
export const isStrictIPv4 = isIPv4;

/** The value of a plain dotted quad, else null. */
export const parseStrictIPv4 = parseIPv4;

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

/** A name gethostbyname could look up (in /etc/hosts or DNS): labels of letters, digits, - and _. */
export function looksLikeHostname(s: string): boolean {
  return /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/.test(s) && /[A-Za-z_]/.test(s);
}

/** getPort(): an integer (getNum), else a TCP service name. */
export function readPort(tok: string): { value: number; service: boolean; int: CInteger | null } | null {
  const n = readCInteger(tok);
  if (n) return { value: n.value, service: false, int: n };
  const s = TCP_SERVICES.get(tok);
  return s === undefined ? null : { value: s, service: true, int: null };
}

/** The nanny escapes of manual §6.3. */
export const SEND_EXPECT_ESCAPES = ['\\\\', '\\r', '\\n', '\\t', "\\'", '\\"'];
