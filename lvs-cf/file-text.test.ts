// The bytes of lvs.cf as text: ASCII, UTF-8 (with a byte order mark kept), and Latin-1 with its warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeConfigFile, encodeConfigText } from './file-text.ts';

test('an ASCII file reads as the same text, as UTF-8', () => {
  const text = 'serial_no = 1\nvirtual web {\n     address = 10.0.0.1 eth0:1\n}\n';
  const bytes = Buffer.from(text, 'utf8');
  assert.deepEqual(decodeConfigFile(bytes), { text, encoding: 'utf8', note: null });
  // A view into a larger buffer reads only its own bytes.
  const inner = Buffer.concat([Buffer.from('xx'), bytes, Buffer.from('yy')]).subarray(2, 2 + bytes.length);
  assert.equal(decodeConfigFile(inner).text, text);
  assert.deepEqual(encodeConfigText(text, 'utf8'), bytes);
});

test('a UTF-8 file reads as UTF-8, its byte order mark kept', () => {
  const text = '\ufeffvirtual café {\n}\n';
  const r = decodeConfigFile(Buffer.from(text, 'utf8'));
  assert.deepEqual([r.text, r.encoding, r.note], [text, 'utf8', null]);
});

test('a file that is not UTF-8 reads as Latin-1 with a warning, and writes back byte for byte', () => {
  const bytes = Buffer.from([0x76, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x0a]);
  const r = decodeConfigFile(bytes);
  assert.equal(r.text, 'v café\n');
  assert.equal(r.encoding, 'latin1');
  assert.equal(r.note?.code, 'ENCODING');
  assert.deepEqual(encodeConfigText(r.text, 'latin1'), bytes);
});
