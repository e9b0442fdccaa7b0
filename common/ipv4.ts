// IPv4 addresses, read one way for the whole project: a dotted quad of four decimal parts 0-255
// without leading zeros ("010.1.1.1" is refused: inet_aton reads a leading zero as octal). That is
// exactly what ipaddr.js calls a valid four-part decimal, and ipv4.test.ts holds the two together
// on random input. The quad is scanned by hand rather than through ipaddr.js because it is read
// for every address of a large lvs.cf and every new client of a UDP service, where ipaddr.js's
// parser costs about twenty times as much; ipaddr.js stays the reader for IPv6.

/** The address as an unsigned 32-bit integer (10.1.2.3 → 0x0a010203), or null when `text` is not a dotted quad. */
export function parseIPv4(text: string): number | null {
  const n = text.length;
  if (n < 7 || n > 15) return null;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= n; i++) {
    // The end of the text closes the last part as a dot would.
    const c = i < n ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      if (i < n && ++dots > 3) return null;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return null;
      part = part * 10 + (c - 48);
      if (++digits > 3) return null;
    } else {
      return null;
    }
  }
  return dots === 3 ? value : null;
}

/** Whether `text` is a dotted quad (see parseIPv4). */
export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== null;
}
