// Cutting a text into lines: as an editor shows them, and as the daemons read them (a CR anywhere
// later in the file ends the line before the next LF).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutLines, EOLS, trimmedBounds, type Cutting } from './scan.ts';

function lines(text: string, cutting: Cutting): [string, string][] {
  const { count, at } = cutLines(text, cutting);
  const out: [string, string][] = [];
  for (let k = 0; k < count; k++) out.push([text.slice(at[3 * k]!, at[3 * k + 1]!), EOLS[at[3 * k + 2]!]!]);
  assert.equal(out.map(([l, e]) => l + e).join(''), text, 'the lines give back the text');
  return out;
}

test('physical lines: LF, CRLF and a lone CR each end a line', () => {
  assert.deepEqual(lines('a\nb\r\nc\rd', 'physical'), [['a', '\n'], ['b', '\r\n'], ['c', '\r'], ['d', '']]);
  assert.deepEqual(lines('', 'physical'), []);
  assert.deepEqual(lines('a\n\n', 'physical'), [['a', '\n'], ['', '\n']]);
});

test('the daemons\' lines: a CRLF file is its first line, then lines that begin with their LF', () => {
  assert.deepEqual(lines('a\r\nb\r\nc\r\n', 'daemon'), [['a', '\r'], ['\nb', '\r'], ['\nc', '\r'], ['', '\n']]);
  // A stray CR joins the lines before it into one.
  assert.deepEqual(lines('a\nb\rc\nd\n', 'daemon'), [['a\nb', '\r'], ['c', '\n'], ['d', '\n']]);
  // Without a CR both cuttings agree.
  assert.deepEqual(lines('a\nb', 'daemon'), lines('a\nb', 'physical'));
});

test('trimmedBounds gives the bounds of slice().trim() for every UTF-16 code unit around a word', () => {
  for (let c = 0; c < 0x10000; c++) {
    const ch = String.fromCharCode(c);
    for (const text of [`${ch}a${ch}`, `x${ch}${ch}{${ch}y`, ch]) {
      const [from, to] = trimmedBounds(text, text === ch ? 0 : 1, text === ch ? 1 : text.length - 1);
      const want = (text === ch ? ch : text.slice(1, -1)).trim();
      assert.equal(text.slice(from, to), want, `U+${c.toString(16)}`);
    }
  }
});
