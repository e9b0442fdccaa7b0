// Reads one `key = value` line as the daemons do: the keyword (TOKEN), the `=` (CHECK_EQUAL), then
// the value words (read-values.ts). The usual line is read with a single scan of the file's text;
// anything else is tokenized the daemons' way and checked word by word.
import type { Token } from './lexer.ts';
import { keysFor, kindOf, type Level, type ValueKind } from './keywords.ts';
import { badQuoting, loneQuote, quoteDropped, syntaxError } from './diagnostics.ts';
import { DQUOTE, EQUALS, SQUOTE, isBlank, skipBlanks, skipWord } from './scan.ts';
import { readOne, readValue, at, UNCHANGED, type Value } from './read-values.ts';
import type { LineNode } from './syntax.ts';
import type { Diagnostic, Target } from './model.ts';

/**
 * The keywords of each level bucketed by length and first character, so a statement's keyword is
 * found by comparing in place instead of cutting a string out of the line first.
 */
const KEYWORD_BUCKETS: Record<Level, Map<number, string[]>> = {
  global: buckets('global'),
  virtual: buckets('virtual'),
  failover: buckets('failover'),
  server: buckets('server'),
};

function buckets(level: Level): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const k of Object.keys(keysFor(level))) {
    const id = k.length * 256 + k.charCodeAt(0);
    m.set(id, [...(m.get(id) ?? []), k]);
  }
  return m;
}

function findKeyword(level: Level, text: string, start: number, end: number): string | null {
  const list = KEYWORD_BUCKETS[level].get((end - start) * 256 + text.charCodeAt(start));
  if (list) for (let i = 0; i < list.length; i++) if (text.startsWith(list[i]!, start)) return list[i]!;
  return null;
}

/** The value of text[start, end) when it is a plain decimal number (no sign, no leading zero), else -1. */
function plainDecimal(text: string, start: number, end: number): number {
  if (end - start > 9) return -1;
  const first = text.charCodeAt(start);
  if (first === 48) return end - start === 1 ? 0 : -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** The keyword of the statement readStatement() read last (kept here: no object per line of a large file). */
export const read = { key: '' };

/** The value word of a plain line, handed to readOne() without a new token for each line. */
const word: Token = { text: '', value: '', col: 0, quote: null };

/**
 * Reads a statement line: its value, with its keyword in `read.key`; undefined when the daemons
 * would refuse it (the reason is in `out`). `lenient`: a line of a virtual or failover block after
 * its first, where the daemons do not check the quoting (an unclosed quote drops the rest of the line).
 */
export function readStatement(n: LineNode, level: Level, target: Target, out: Diagnostic[], lenient: boolean): Value | typeof UNCHANGED | undefined {
  const keys = keysFor(level);
  const num = n.num ?? 0;
  if (n.keyStart >= 0) {
    // Scan the line where it sits in the file; only the value is cut out.
    const src = n.src;
    const base = n.start;
    const len = n.end;
    let i = skipBlanks(src, base + n.keyEnd, len);
    if (src.charCodeAt(i) === EQUALS && i + 1 < len && isBlank(src.charCodeAt(i + 1))) {
      const vs = skipBlanks(src, i + 2, len);
      const c = src.charCodeAt(vs);
      if (vs < len && c !== DQUOTE && c !== SQUOTE) {
        const ve = skipWord(src, vs, len);
        if (skipBlanks(src, ve, len) === len) {
          const key = findKeyword(level, src, base + n.keyStart, base + n.keyEnd);
          const kind = key === null ? undefined : keys[key];
          if (key !== null && kind !== undefined && kind.kind !== 'list' && kind.kind !== 'hostDevice') {
            // Plain decimal numbers (most values of a large file) are read without cutting a string.
            if (kind.kind === 'int' || kind.kind === 'bool' || kind.kind === 'port') {
              const d = plainDecimal(src, vs, ve);
              if (d >= 0 && (kind.kind !== 'bool' || d <= 1)) {
                read.key = key;
                return kind.kind === 'bool' ? d === 1 : d;
              }
            }
            read.key = key;
            word.text = word.value = src.slice(vs, ve);
            word.col = vs - base;
            return readOne(kind, key, word, num, target, out);
          }
        }
      }
    }
  }
  const lx = n.lex();
  if (lx.bad) {
    if (!lenient) {
      const d = badQuoting(num, lx);
      d.target = target;
      out.push(d);
      return undefined;
    }
    out.push(quoteDropped(num, lx, ''));
  }
  if (lx.loneQuote !== null) out.push(loneQuote(num, lx.loneQuote));
  const tokens = lx.tokens;
  const kw = tokens[0]!;
  const eq = tokens[1];
  const kind: ValueKind | undefined = kindOf(level, kw.value);
  if (!kind) {
    out.push(unknownCommand(kw, num, level, target));
    return undefined;
  }
  if (!eq || eq.value !== '=') {
    out.push(syntaxError('EQUALEXPECTED', `"${kw.value}" must be followed by " = " (with spaces around the =)`, at(num, eq ?? kw), target, kw.value));
    return undefined;
  }
  read.key = kw.value;
  return readValue(kind, tokens, lx.truncated, num, kw.value, eq, target, out);
}

const LEVEL_WORDS: Record<Level, string> = { global: 'at the top level', virtual: 'inside a virtual block', failover: 'inside a failover block', server: 'inside a server block' };

function unknownCommand(kw: Token, line: number, level: Level, target: Target): Diagnostic {
  const word = kw.value;
  let hint = '';
  const eq = word.indexOf('=');
  if (eq > 0) hint = ` — write "${word.slice(0, eq)} = ${word.slice(eq + 1)}" with spaces around the =`;
  else {
    const elsewhere = (['global', 'virtual', 'server'] as Level[]).filter((l) => l !== level && kindOf(l, word));
    if (elsewhere.length) hint = ` — "${word}" belongs ${LEVEL_WORDS[elsewhere[0]!]}`;
    else if (word === 'virtual' || word === 'failover' || word === 'server') hint = ' — blocks cannot be nested here';
    else if (word.toLowerCase() !== word && kindOf(level, word.toLowerCase())) hint = ` — keywords are lower case: "${word.toLowerCase()}"`;
  }
  return syntaxError('BADCOMMAND', `"${word}" is not a keyword ${LEVEL_WORDS[level]}${hint}`, at(line, kw), target);
}
