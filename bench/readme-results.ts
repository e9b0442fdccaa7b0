// A benchmark's latest figures live in its README.md, beside the method, between a pair of markers
// (`<!-- results -->` … `<!-- /results -->`); `--write` replaces what stands between them.
import { readFileSync, writeFileSync } from 'node:fs';

/** Replaces the section between `<!-- tag -->` and `<!-- /tag -->` of `readme` with `text`. */
export function writeReadmeSection(readme: string, text: string, tag = 'results'): void {
  const begin = `<!-- ${tag} -->`;
  const end = `<!-- /${tag} -->`;
  const current = readFileSync(readme, 'utf8');
  const a = current.indexOf(begin);
  const b = current.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${readme} has no ${begin} … ${end} section`);
  writeFileSync(readme, current.slice(0, a + begin.length) + '\n' + text + '\n' + current.slice(b));
}
