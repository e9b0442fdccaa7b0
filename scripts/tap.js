// Reads what node's TAP reporter wrote for one test file: the counts, every skipped test with its
// reason, and the failures to show. Pure: scripts/run-tests.js does the running and the printing.

/**
 * @typedef {object} TapSummary
 * @property {number} pass
 * @property {number} fail       failed and cancelled tests
 * @property {number} skipped
 * @property {number} todo
 * @property {boolean} complete  the closing counts were there (the file ran to its end)
 * @property {{ name: string, reason: string }[]} skips
 * @property {string[]} failures the TAP block of each failed test (the failure itself, not the
 *                               suites that failed because of it)
 */

/**
 * @param {string} text
 * @returns {TapSummary}
 */
export function readTap(text) {
  const count = (/** @type {string} */ k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const complete = /^# pass \d+$/m.test(text);
  const lines = text.split('\n');
  /** @type {{ name: string, reason: string }[]} */
  const skips = [];
  /** @type {string[]} */
  const failures = [];
  lines.forEach((line, i) => {
    const skip = /^\s*ok \d+ - (.*?) # SKIP(?: (.*))?$/.exec(line);
    if (skip) skips.push({ name: unescape(skip[1] ?? ''), reason: unescape(skip[2] ?? '').trim() || '(no reason given)' });
    const failed = /^(\s*)not ok \d+ - /.exec(line);
    if (failed) {
      const block = blockAt(lines, i, failed[1] ?? '');
      if (!/failureType: 'subtestsFailed'/.test(block)) failures.push(block);
    }
  });
  return { pass: count('pass'), fail: count('fail') + count('cancelled'), skipped: count('skipped'), todo: count('todo'), complete, skips, failures };
}

/** The result line at `i` and its YAML block (`---` … `...`, indented under it). */
function blockAt(/** @type {string[]} */ lines, /** @type {number} */ i, /** @type {string} */ indent) {
  const out = [lines[i]];
  if (lines[i + 1]?.trim() !== '---') return out.join('\n');
  for (let j = i + 1; j < lines.length; j++) {
    out.push(lines[j]);
    if (lines[j] === `${indent}  ...`) break;
  }
  return out.join('\n');
}

/** TAP escapes `#` and `\` in names and reasons. */
function unescape(/** @type {string} */ s) {
  return s.replace(/\\([#\\])/g, '$1');
}

/** A skip that CI must not accept: the reasons testing/requirements.ts gives. */
export function isMissingRequirement(/** @type {string} */ reason) {
  return /^missing (tool|privilege): /.test(reason);
}
