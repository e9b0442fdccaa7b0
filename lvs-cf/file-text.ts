// The bytes of an lvs.cf file as the library's text, and back. The daemons read bytes: a file in
// Latin-1 (`virtual café` written by an old editor) runs as well as a UTF-8 one, so a file that is
// not valid UTF-8 is read one character per byte (Latin-1) and written back the same way; every
// byte round-trips either way.
import { isAscii } from 'node:buffer';
import { diag } from './diagnostics.ts';
import type { Diagnostic } from './model.ts';

export type Encoding = 'utf8' | 'latin1';

export interface ConfigText {
  text: string;
  encoding: Encoding;
  /** The ENCODING warning for a file that is not UTF-8, null for one that is. */
  note: Diagnostic | null;
}

// ignoreBOM keeps a byte order mark in the text (the daemons read it as part of the first word).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeConfigFile(bytes: Uint8Array): ConfigText {
  // Plain ASCII (every file the console writes without a non-ASCII name) is the same text in any of
  // these encodings; read one byte per character, several times faster than the checked decoder.
  if (isAscii(bytes)) return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), encoding: 'utf8', note: null };
  try {
    return { text: utf8.decode(bytes), encoding: 'utf8', note: null };
  } catch {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const note = diag('warning', 'ENCODING', 'the file is not valid UTF-8: it is read as Latin-1 (ISO 8859-1), one character per byte, and written back the same way', {
      line: 0,
      column: 0,
      length: 0,
    });
    return { text, encoding: 'latin1', note };
  }
}

/** The bytes of `text` in the file's encoding (a character Latin-1 cannot hold is refused). */
export function encodeConfigText(text: string, encoding: Encoding): Buffer {
  if (encoding === 'latin1') {
    const wide = /[^\u0000-\u00ff]/.exec(text);
    if (wide) throw new Error(`the character "${wide[0]}" cannot be written to a Latin-1 file`);
    return Buffer.from(text, 'latin1');
  }
  return Buffer.from(text, 'utf8');
}
