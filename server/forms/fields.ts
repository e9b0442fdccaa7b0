// Field validators shared by every panel: zod schemas over the raw form strings, each with a message
// an administrator understands. They are deliberately stricter than the daemons' parser: lvs.cf is a
// command channel to root (send_program runs as root), so nothing that could end a line, a quoted
// value or a block ever reaches the file.
import { z } from 'zod';
import { isIPv4 } from '../../common/ipv4.ts';

const CONTROL = /[\x00-\x1f\x7f]/;
const NON_ASCII = /[^\x00-\x7f]/;

/** One line of plain ASCII text: the first checks of every field. */
function plain(max: number) {
  return z
    .string()
    .refine((s) => !CONTROL.test(s), 'Must be on one line, without control characters (newline, tab).')
    .refine((s) => !NON_ASCII.test(s), 'Only plain ASCII characters are allowed here.')
    .refine((s) => s.length <= max, `Too long: at most ${max} characters.`);
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const DEVICE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}(:[A-Za-z0-9_]{1,15})?$/;

export const ipv4 = plain(15)
  .transform((s) => s.trim())
  .refine((s) => s !== '', 'Required: enter an IPv4 address such as 192.168.1.10.')
  .refine((s) => s === '' || isIPv4(s), 'Not an IPv4 address: use four numbers 0-255 separated by dots, e.g. 192.168.1.10.');

export const optionalIpv4 = plain(15)
  .transform((s) => s.trim())
  .refine((s) => s === '' || isIPv4(s), 'Not an IPv4 address: use four numbers 0-255 separated by dots, e.g. 192.168.1.10, or leave it blank.');

/** An address the daemons resolve: IPv4 preferred, a host name accepted (resolved when pulse starts). */
export const host = plain(253)
  .transform((s) => s.trim())
  .refine((s) => s !== '', 'Required: enter an IPv4 address such as 192.168.1.10.')
  .refine((s) => s === '' || isIPv4(s) || (HOSTNAME.test(s) && !/^[\d.]+$/.test(s)), 'Not an IPv4 address or host name (e.g. 192.168.1.10).');

export const optionalHost = plain(253)
  .transform((s) => s.trim())
  .refine((s) => s === '' || isIPv4(s) || (HOSTNAME.test(s) && !/^[\d.]+$/.test(s)), 'Not an IPv4 address or host name (e.g. 192.168.1.10); leave it blank for none.');

export const device = plain(31)
  .transform((s) => s.trim())
  .refine((s) => s !== '', 'Required: enter an interface name such as eth0:1.')
  .refine((s) => s === '' || DEVICE.test(s), 'Not an interface name: letters, digits, _ . - and an optional :alias, e.g. eth0:1.');

export const optionalDevice = plain(31)
  .transform((s) => s.trim())
  .refine((s) => s === '' || DEVICE.test(s), 'Not an interface name: letters, digits, _ . - and an optional :alias, e.g. eth1:1.');

function integer(min: number, max: number, what: string, optional: boolean) {
  return plain(12)
    .transform((s) => s.trim())
    .refine((s) => optional || s !== '', `Required: enter ${what}.`)
    .refine((s) => s === '' || /^\d+$/.test(s), `Must be a whole number (${what}).`)
    .refine((s) => s === '' || !/^\d+$/.test(s) || (Number(s) >= min && Number(s) <= max), `Must be between ${min} and ${max}.`)
    .transform((s) => (s === '' ? '' : String(Number(s))));
}

export const port = integer(1, 65535, 'a port number 1-65535', false);
export const optionalPort = integer(1, 65535, 'a port number 1-65535', true);
export const seconds = (min = 1) => integer(min, 2_147_483_647, 'a number of seconds', false);
export const optionalSeconds = integer(0, 2_147_483_647, 'a number of seconds', true);
export const weight = integer(0, 65535, 'a weight 0-65535', false);
export const fwmark = integer(0, 4_294_967_295, 'a firewall mark', true);
export const syncdId = integer(0, 255, 'an ID 0-255', false);

/** The netmasks the original offered in its drop-downs (/32 … /16, /23 included). */
export const NETMASKS = [
  '255.255.255.255', '255.255.255.254', '255.255.255.252', '255.255.255.248', '255.255.255.240',
  '255.255.255.224', '255.255.255.192', '255.255.255.128', '255.255.255.0', '255.255.254.0',
  '255.255.252.0', '255.255.248.0', '255.255.240.0', '255.255.224.0', '255.255.192.0',
  '255.255.128.0', '255.255.0.0',
];

/** '' means "Unused". */
export const netmask = plain(15)
  .transform((s) => s.trim())
  .refine((s) => s === '' || NETMASKS.includes(s), 'Choose a netmask from the list.');

export const checkbox = z
  .string()
  .transform((s) => (s === '' ? '0' : '1'));

export function choice<T extends string>(values: readonly T[], message: string) {
  return z.string().refine((s): s is T => (values as readonly string[]).includes(s), message);
}

/**
 * A virtual or real server name: one token of lvs.cf. Spaces become `_` (the original did the same,
 * and the user is told); anything that could break the block header is refused.
 */
export const serverName = plain(64)
  .transform((s) => s.trim().replace(/ +/g, '_'))
  .refine((s) => s !== '', 'Required: enter a name.')
  .refine((s) => !/["'`{}#\\]/.test(s), 'A name cannot contain quotes, braces, # or backslashes.')
  .refine((s) => s !== '=', 'A name cannot be just "=".');

/**
 * Text stored between double quotes (send, expect, send_program). The parser has no escape for `"`,
 * so it is refused; the escapes \n \r \t \\ of manual §6.3 are kept as typed (nanny interprets them).
 */
export const quotedText = plain(255).refine(
  (s) => !s.includes('"'),
  'Cannot contain a double quote ("): the value is stored between double quotes in lvs.cf.',
);

export type FieldErrors = Record<string, string>;

/** First issue per field, keyed by the field name (the first element of the issue path). */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? '_form');
    if (!(key in out)) out[key] = issue.message;
  }
  return out;
}

/** The raw form body as strings: repeated fields keep the first value, missing ones become ''. */
export function formStrings(body: unknown, names: readonly string[]): Record<string, string> {
  const src = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = src[n];
    out[n] = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
  }
  return out;
}
