// Renders a diagnostic the way compilers do: `FILE:LINE:COL: error[CODE]: message`, then the line
// with its neighbours and a caret under the offending text.
import { splitLines } from './lexer.ts';
import type { Diagnostic } from './model.ts';

export function formatDiagnostic(d: Diagnostic, text: string, file: string): string {
  const head = `${file}:${d.line}:${d.column}: ${d.severity}[${d.code}]: ${d.message}`;
  if (d.line < 1) return head;
  const lines = splitLines(text);
  const from = Math.max(1, d.line - 1);
  const to = Math.min(lines.length, d.line + 1);
  const width = String(to).length;
  const visible = (s: string) => s.replace(/\t/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  const out = [head];
  for (let n = from; n <= to; n++) {
    const l = lines[n - 1];
    if (!l) continue;
    out.push(`${n === d.line ? '>' : ' '} ${String(n).padStart(width)} | ${visible(l.text)}`);
    if (n === d.line) {
      const col = Math.max(1, d.column);
      out.push(`  ${' '.repeat(width)} | ${' '.repeat(col - 1)}${'^'.repeat(Math.max(1, Math.min(d.length, 200)))}`);
    }
  }
  return out.join('\n');
}
