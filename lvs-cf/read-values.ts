// Reads the value words of one statement as lvsconfig.c does (CHECK_ARGS, getNum, getBoolean,
// getPort, getHostname, inet_aton, the enum and string keys) into the model's value, with the
// daemons' error where they refuse it and a warning where they read something the text does not show.
import type { Token } from './lexer.ts';
import { arity, type ValueKind } from './keywords.ts';
import { diag, syntaxError, tolerated, type Pos } from './diagnostics.ts';
import { readCInteger, inetAton, formatIPv4, readPort, looksLikeHostname, type CInteger } from './values.ts';
import type { Diagnostic, Target } from './model.ts';

export type Value = string | number | boolean | null | { address: string; device: string } | string[];

/** The daemons leave the current value as it is (a pmask they cannot read). */
export const UNCHANGED = Symbol('unchanged');

export function at(line: number, t: Token | undefined): Pos {
  return { line, column: (t?.col ?? 0) + 1, length: t?.text.length ?? 1 };
}

/**
 * The value of a statement whose keyword and `=` are right: the arity check, then the reader of
 * its kind. `truncated`: the line had more words than the daemons read.
 */
export function readValue(kind: ValueKind, tokens: Token[], truncated: { col: number; length: number } | null, line: number, key: string, eq: Token, target: Target, out: Diagnostic[]): Value | typeof UNCHANGED | undefined {
  // Statements are read by index into the line's tokens: copying them costs a large file dearly.
  const count = tokens.length - 2;
  if (kind.kind === 'list') return readList(tokens, line, key, eq, target, out);
  const need = arity(kind);
  if (count < need) {
    const what = kind.kind === 'hostDevice' ? 'an address and a device, e.g. "192.168.1.10 eth0:1"' : 'a value';
    out.push(syntaxError('MISSINGARGS', `"${key}" needs ${what}`, at(line, tokens[2] ?? eq), target, key));
    return undefined;
  }
  if (count > need) {
    const extra = tokens[need + 2]!;
    const last = tokens[tokens.length - 1]!;
    if (truncated) {
      // tokenizeString() keeps 99 words and drops the rest of the line unread.
      out.push(syntaxError('TOOMANYARGS', 'more than 99 words on one line; the daemons drop the rest of the line', { line, column: truncated.col + 1, length: truncated.length }, target, key));
      return undefined;
    }
    const hint = extra.text.startsWith('#') ? ' (lvs.cf has no comments after a value: put the comment on its own line)' : kind.kind === 'string' && !kind.quoted ? '' : ' (quote text that contains spaces)';
    out.push(
      syntaxError('EXTRAARGS', `"${key}" takes ${need === 1 ? 'one value' : 'two values'}; "${tokens.slice(need + 2).map((t) => t.text).join(' ')}" is left over${hint}`, {
        line,
        column: extra.col + 1,
        length: last.col + last.text.length - extra.col,
      }, target, key),
    );
    return undefined;
  }
  const tok = tokens[2]!;
  const v = readOne(kind, key, tok, line, target, out);
  if (v === undefined || v === UNCHANGED || kind.kind !== 'hostDevice') return v;
  return { address: v as string, device: tokens[3]!.value };
}

/** getList(): `[` as the first value word, then words up to the first `]`; what follows is not read. */
function readList(tokens: Token[], line: number, key: string, eq: Token, target: Target, out: Diagnostic[]): string[] | undefined {
  const open = tokens[2];
  let close = -1;
  for (let i = 3; i < tokens.length; i++) {
    if (tokens[i]!.value === ']') {
      close = i;
      break;
    }
  }
  // `dirs =` with nothing after it makes getList() read a NULL word: the daemons crash there.
  if (!open || open.value !== '[' || close < 0) {
    out.push(syntaxError('LISTEXPECTED', `"${key}" takes a list: ${key} = [ a b c ] with the brackets as separate words`, at(line, open ?? eq), target, key));
    return undefined;
  }
  if (close < tokens.length - 1) {
    const extra = tokens[close + 1]!;
    const last = tokens[tokens.length - 1]!;
    out.push(tolerated('AFTERLIST', `the daemons stop reading "${key}" at the first "]": the words after it are ignored`, { line, column: extra.col + 1, length: last.col + last.text.length - extra.col }, target, key));
  }
  return tokens.slice(3, close).map((t) => t.value);
}

function pos(line: number, t: Token): Pos {
  return { line, column: t.col + 1, length: t.text.length };
}

/** The warnings for a number the daemons read differently from how it looks. */
function numberNotes(n: CInteger, unsigned: boolean, key: string, t: Token, line: number, target: Target, out: Diagnostic[]): void {
  const p = pos(line, t);
  const shown = unsigned ? n.value >>> 0 : n.value;
  if (n.empty) out.push(tolerated('EMPTYNUM', `"${key}" is empty, which the daemons read as 0`, p, target, key));
  else if (n.fits === 'no' || (n.fits === 'uint' && !unsigned)) {
    out.push(tolerated('NUMWRAP', `"${t.value}" does not fit the daemons' 32-bit integer: they read it as ${shown}`, p, target, key));
  }
  if (n.octal) out.push(diag('warning', 'OCTAL', `"${t.value}" starts with 0, so the daemons read it as octal: ${shown}`, p, target, key));
}

/** Reads one value word (the daemons' integer, boolean, port, host, mask, enum and string readers). */
export function readOne(kind: ValueKind, key: string, t: Token, line: number, target: Target, out: Diagnostic[]): Value | typeof UNCHANGED | undefined {
  const text = t.value;
  switch (kind.kind) {
    case 'int': {
      const n = readCInteger(text);
      if (!n) {
        out.push(syntaxError('INTEXPECTED', `"${key}" must be a whole number, not "${text}"`, pos(line, t), target, key));
        return undefined;
      }
      // fwmark is unsigned in the daemons: -1 is 4294967295.
      const unsigned = key === 'fwmark';
      numberNotes(n, unsigned, key, t, line, target, out);
      return unsigned ? n.value >>> 0 : n.value;
    }
    case 'bool': {
      const n = readCInteger(text);
      // getBoolean() reads an integer first: a word is "integer expected", 2 is "boolean expected".
      if (!n) {
        out.push(syntaxError('INTEXPECTED', `"${key}" must be 0 or 1, not "${text}"`, pos(line, t), target, key));
        return undefined;
      }
      if (n.value !== 0 && n.value !== 1) {
        out.push(syntaxError('BOOLEXPECTED', `"${key}" must be 0 or 1, not "${text}"`, pos(line, t), target, key));
        return undefined;
      }
      numberNotes(n, false, key, t, line, target, out);
      return n.value === 1;
    }
    case 'port': {
      if (!kind.services) {
        const n = readCInteger(text);
        if (!n) {
          out.push(syntaxError('INTEXPECTED', `a real server's port must be a number, not "${text}"`, pos(line, t), target, key));
          return undefined;
        }
        numberNotes(n, false, key, t, line, target, out);
        return n.value;
      }
      const port = readPort(text);
      if (!port) {
        out.push(syntaxError('BADARGUMENT', `"${text}" is neither a port number nor a known service name`, pos(line, t), target, key));
        return undefined;
      }
      if (port.int) numberNotes(port.int, false, key, t, line, target, out);
      return port.value;
    }
    case 'host':
      return readHost(text, key, kind.zeroAllowed, pos(line, t), target, out);
    case 'dotted': {
      const a = inetAton(text);
      if (!a) {
        if (key === 'pmask') {
          // lvsconfig.c ignores an unreadable pmask (inet_aton fails and nothing is stored).
          out.push(tolerated('PMASKIGNORED', `"${text}" is not an address, so the daemons ignore this pmask line`, pos(line, t), target, key));
          return UNCHANGED;
        }
        out.push(
          kind.mask
            ? syntaxError('BADNETMASK', `"${text}" is not a dotted netmask like 255.255.255.0`, pos(line, t), target, key)
            : syntaxError('BADHOSTNAME', `"${text}" is not an IP address (a host name is not accepted here)`, pos(line, t), target, key),
        );
        return undefined;
      }
      if (!a.plain) out.push(notPlain(text, a.value, pos(line, t), target, key));
      return a.plain ? text : formatIPv4(a.value);
    }
    case 'enum': {
      if (!kind.values.includes(text)) {
        const lower = kind.values.includes(text.toLowerCase()) ? ` (values are lower case: "${text.toLowerCase()}")` : '';
        out.push(syntaxError('BADARGUMENT', `"${key}" must be one of ${kind.values.join(', ')}, not "${text}"${lower}`, pos(line, t), target, key));
        return undefined;
      }
      return text;
    }
    case 'string': {
      if (!kind.keepsQuotes) return text;
      // send, expect, send_program, start_cmd, stop_cmd keep their quote characters in the daemons,
      // and what runs them strips only double quotes.
      if (t.quote === "'") {
        out.push(diag('warning', 'SINGLEQUOTE', `the daemons strip only double quotes: the single quotes of ${t.text} are part of the value`, pos(line, t), target, key));
        return t.text;
      }
      return text;
    }
    case 'hostDevice':
      // `address = VIP DEV` and `nat_router = IP DEV`: getHostname() with no 0.0.0.0 check.
      return readHost(text, key, true, pos(line, t), target, out);
    case 'list':
      return undefined;
  }
}

function notPlain(text: string, value: number, p: Pos, target: Target, key: string): Diagnostic {
  return diag('warning', 'SHORTADDR', `"${text}" is not a plain dotted quad; the daemons read it as ${formatIPv4(value)}`, p, target, key);
}

/** getHostname(): inet_aton, else a name that gethostbyname resolves when the daemons start. */
function readHost(text: string, key: string, zeroAllowed: boolean, p: Pos, target: Target, out: Diagnostic[]): string | undefined {
  const a = inetAton(text);
  if (a) {
    if (a.value === 0 && !zeroAllowed) {
      out.push(syntaxError('BADHOSTNAME', `"${key}" cannot be 0.0.0.0`, p, target, key));
      return undefined;
    }
    if (!a.plain) {
      out.push(notPlain(text, a.value, p, target, key));
      return formatIPv4(a.value);
    }
    return text;
  }
  if (looksLikeHostname(text)) {
    out.push(diag('warning', 'HOSTNAME', `"${text}" is a host name: the daemons resolve it through DNS when they start, and refuse the whole file if that fails; prefer the IP address`, p, target, key));
    return text;
  }
  out.push(syntaxError('BADARGUMENT', `"${text}" is neither an IP address nor a host name the daemons could resolve`, p, target, key));
  return undefined;
}
