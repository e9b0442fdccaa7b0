// A node:test reporter that writes one JSON line per finished top-level test of each file, for
// the host to replay as its own tests: {"file", "name", "status": "pass"|"fail"|"skip",
// "durationMs", "message"?}. Plain JavaScript so that node loads it before tsx is registered.
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
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    if (d.nesting !== 0) continue;
    const line = {
      file: d.file ? relative(process.cwd(), d.file) : null,
      name: d.name,
      status: d.skip !== undefined ? 'skip' : event.type === 'test:pass' ? 'pass' : 'fail',
      durationMs: Math.round(d.details?.duration_ms ?? 0),
    };
    if (line.status === 'fail') line.message = errorText(d.details?.error);
    if (line.status === 'skip' && typeof d.skip === 'string') line.message = d.skip;
    yield `${JSON.stringify(line)}\n`;
  }
}
