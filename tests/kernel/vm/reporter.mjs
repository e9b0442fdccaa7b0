// A node:test reporter for the guest: one JSON line per finished test of each suite file, for the
// host to replay as its own tests, and one per file, for the timings:
//   {"kind":"test","file","name","status":"pass"|"fail"|"skip","durationMs","message"?,"diagnostics"}
//   {"kind":"file","file","durationMs"}           (setup and teardown included)
// Plain JavaScript so that node loads it before tsx is registered.
import { relative } from 'node:path';

function errorText(error) {
  // node wraps what a test threw in ERR_TEST_FAILURE; the cause is the assertion's own error.
  const e = error?.cause ?? error;
  if (e === undefined || e === null) return 'failed';
  if (typeof e !== 'object') return String(e);
  const stack = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 4).join('\n') : '';
  return `${e.message ?? String(e)}${stack ? `\n${stack}` : ''}`;
}

export default async function* jsonLines(source) {
  // suite-runner.ts wraps each suite file in a describe (nesting 0) holding the file's tests
  // (nesting 1). A file that fails before any of its tests ran (it does not load) is reported as
  // a test of its own.
  let tests = 0;
  let current = '';
  // node reports a test's t.diagnostic() lines right after its result: a result is held until
  // the next event that is not one of its diagnostics.
  let held = null;
  for await (const event of source) {
    const d = event.data;
    if (event.type === 'test:diagnostic' && held && d.nesting >= 1) {
      held.diagnostics.push(d.message);
      continue;
    }
    if (held) {
      yield `${JSON.stringify(held)}\n`;
      held = null;
    }
    if (event.type === 'test:start' && d.nesting === 0) {
      tests = 0;
      current = d.name;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (d.nesting === 0) yield `${JSON.stringify({ kind: 'file', file: d.name, durationMs: Math.round(d.details?.duration_ms ?? 0) })}\n`;
    if (d.nesting > 1 || (d.nesting === 0 && (tests > 0 || event.type === 'test:pass'))) continue;
    if (d.nesting === 1) tests++;
    held = {
      kind: 'test',
      file: d.nesting === 0 || !d.file ? current || d.name : relative(process.cwd(), d.file),
      name: d.nesting === 0 ? 'the file runs' : d.name,
      status: d.skip !== undefined ? 'skip' : event.type === 'test:pass' ? 'pass' : 'fail',
      durationMs: Math.round(d.details?.duration_ms ?? 0),
      diagnostics: [],
    };
    if (held.status === 'fail') held.message = errorText(d.details?.error);
    if (held.status === 'skip' && typeof d.skip === 'string') held.message = d.skip;
  }
  if (held) yield `${JSON.stringify(held)}\n`;
}
