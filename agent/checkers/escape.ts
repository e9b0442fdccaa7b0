// The escapes nanny understands in `send` and `expect` (its convert_str, manual §6.3), and the
// reverse direction used to show what went over the wire in a check transcript.

const ESCAPES: Record<string, string> = { '\\': '\\', r: '\r', n: '\n', t: '\t', "'": "'", '"': '"' };

/**
 * nanny's convert_str: `\\` `\r` `\n` `\t` `\'` `\"` become the characters they name. Any other
 * backslash pair is kept as written (backslash included): a regex expect such as `HTTP/1\.[01]`
 * must reach the regex compiler intact, and a lone trailing backslash is kept for the same reason.
 */
export function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const mapped = ESCAPES[s[i + 1]];
      if (mapped !== undefined) {
        out += mapped;
        i++;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** Largest transcript field shown to a user, in characters of the source text. */
export const TRANSCRIPT_LIMIT = 1024;

/**
 * Bytes as a one-line printable string: \r \n \t \\ spelled out, other control and non-ASCII bytes
 * as \xNN, cut at TRANSCRIPT_LIMIT source bytes with a trailing "…" so a console can show it safely.
 */
export function printable(data: Buffer | string): string {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const n = Math.min(buf.length, TRANSCRIPT_LIMIT);
  let out = '';
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return buf.length > n ? out + '…' : out;
}
