// IPv4 addresses as unsigned 32-bit integers: what the schedulers hash and persistence masks.
/**
 * "10.1.2.3" (or the IPv4-mapped "::ffff:10.1.2.3" a dual-stack socket reports) -> 0x0a010203.
 * Anything else (a hostname, IPv6) -> 0, which every scheduler still accepts.
 */
export function ipv4ToInt(address: string | undefined): number {
  if (address === undefined) return 0;
  const text = address.startsWith('::ffff:') ? address.slice(7) : address;
  // Hand-rolled: this runs for every accepted connection and every new UDP session.
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return 0;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return 0;
    }
  }
  if (dots !== 3 || digits === 0) return 0;
  return value * 256 + octet;
}

/** A dotted netmask as an integer; null (no pmask) means 255.255.255.255. */
export function maskToInt(mask: string | null): number {
  return mask === null ? 0xffffffff : ipv4ToInt(mask);
}
