// Deciding whether what a real server answered is what `expect` asks for. Shared by the TCP and
// UDP checks (fed the bytes as they arrive) and by the program check (fed its whole output).
import { printable } from './escape.ts';

/** Most bytes looked at for a regex or "*" expect (nanny read at most 254 for a regex). */
export const MAX_READ = 4096;

export type Verdict = { ok: true } | { ok: false; error: string };

/** Why no more bytes will come: the peer closed (or the output ended) or the deadline passed. */
export type End = 'closed' | 'timeout';

export interface Expectation {
  /**
   * Looks at every byte received so far. Returns a verdict as soon as one is certain, or null
   * while more bytes could still change it. With `end` set it always returns a verdict.
   */
  decide(received: Buffer, end: End | null): Verdict | null;
}

/** A regex expect that does not compile: every check fails with the compiler's message. */
export class BadRegexError extends Error {}

const OK: Verdict = { ok: true };

function waited(end: End, what: string, timeoutSec: number, received: Buffer): string {
  const got = received.length > 0 ? `, got "${printable(received)}"` : '';
  return end === 'timeout'
    ? `timed out after ${timeoutSec} s waiting for ${what}${got}`
    : `connection closed before ${what}${got}`;
}

/** `expect = "*"`: any answer of at least one byte. */
function anyAnswer(timeoutSec: number): Expectation {
  return {
    decide(received, end) {
      if (received.length > 0) return OK;
      return end ? { ok: false, error: waited(end, 'any response', timeoutSec, received) } : null;
    },
  };
}

/**
 * nanny's prefix match: the first strlen(expect) bytes of the answer must equal expect.
 * Divergence from nanny: it did ONE read() of strlen(expect) bytes, so an answer that arrived in
 * two packets failed ("READ … was too short"). We keep reading until we have that many bytes, the
 * peer closes or the deadline passes, and fail early as soon as a byte differs.
 */
function prefix(expect: Buffer, timeoutSec: number): Expectation {
  const shown = printable(expect);
  return {
    decide(received, end) {
      const n = Math.min(received.length, expect.length);
      if (received.compare(expect, 0, n, 0, n) !== 0) {
        return { ok: false, error: `expected "${shown}", got "${printable(received)}"` };
      }
      if (n === expect.length) return OK;
      return end ? { ok: false, error: waited(end, `the expect string "${shown}"`, timeoutSec, received) } : null;
    },
  };
}

/** use_regex: unanchored match (nanny: regcomp REG_EXTENDED + regexec) against what was read. */
function regex(re: RegExp, timeoutSec: number): Expectation {
  return {
    decide(received, end) {
      const text = received.subarray(0, MAX_READ).toString('utf8');
      if (re.test(text)) return OK;
      if (end || received.length >= MAX_READ) {
        if (end === 'timeout' || (end === 'closed' && received.length === 0)) {
          return { ok: false, error: waited(end, `a match for /${re.source}/`, timeoutSec, received) };
        }
        return { ok: false, error: `expected a match for /${re.source}/, got "${printable(received)}"` };
      }
      return null;
    },
  };
}

/** Compiles an already unescaped expect into a RegExp; a compile error becomes BadRegexError. */
export function compileRegex(expect: string): RegExp {
  try {
    // No flags: unanchored, case-sensitive, like regexec without REG_ICASE.
    return new RegExp(expect);
  } catch (e) {
    throw new BadRegexError(`invalid expect regex: ${(e as Error).message}`);
  }
}

/**
 * The expectation for an already unescaped, non-empty expect string. Throws BadRegexError when
 * `useRegex` and the pattern does not compile. "*" means any answer even with use_regex, as in
 * nanny (where it is tested before the regex is compiled).
 */
export function makeExpectation(expect: string, useRegex: boolean, timeoutSec: number): Expectation {
  if (expect === '*') return anyAnswer(timeoutSec);
  if (useRegex) return regex(compileRegex(expect), timeoutSec);
  return prefix(Buffer.from(expect, 'utf8'), timeoutSec);
}
