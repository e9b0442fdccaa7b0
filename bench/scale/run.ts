// bench/scale as `npm run bench -- scale` runs it: the agent's figures (agent.ts), then the pages'
// (pages.ts), one after the other, each with its defaults; arguments after `--` go to both
// (`--repo DIR` measures another checkout). The methods and latest results: README.md.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

let failed = false;
for (const script of ['agent.ts', 'pages.ts']) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
