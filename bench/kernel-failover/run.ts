// npm run bench:kernel-failover: boots the kernel suite's guest on the router-pair files that
// measure (failover-nat, failover-sync; PIRANHA_KERNEL_ONLY changes the set) with 20 trials of
// each failover (PIRANHA_KERNEL_TRIALS), and prints the README's table from the figures each file
// reports (lib/pair-failover.ts's `figures` diagnostic lines): median and worst of each trial's
// times, against the issue's target of deadtime + 1 s, with the date and the host's load average.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { bootGuest } from '../../tests/kernel/vm/boot.ts';
import { buildImage, DEFAULT_CACHE } from '../../tests/kernel/vm/image.ts';
import { buildTools } from '../../tests/kernel/vm/tools.ts';
import { FIGURES_PREFIX, TAKEOVER_TARGET_MS, figuresSchema, syncFiguresSchema } from '../../tests/kernel/lib/failover-trials.ts';
import { summary } from '../../tests/kernel/lib/probe.ts';
import { REPO_ROOT } from '../../testing/paths.ts';

const log = (m: string) => process.stderr.write(`bench:kernel-failover: ${m}\n`);
const trials = process.env.PIRANHA_KERNEL_TRIALS || '20';
const only = process.env.PIRANHA_KERNEL_ONLY || 'failover-nat,failover-sync';
const image = buildImage({ log });
const tools = buildTools(DEFAULT_CACHE, log);
const load = [loadavg()];
const sampler = setInterval(() => load.push(loadavg()), 60_000);
const started = new Date();
log(`${trials} trials of each failover in ${only}: about a minute and a half per crash under emulation`);
const run = await bootGuest(image, {
  workDir: join(REPO_ROOT, '.tmp', 'kernel-failover'), toolsDir: tools, only, trials, runTimeoutMs: 150 * 60_000,
  onLine: (l) => (/^\s*[✔✖ℹ]/.test(l) || process.env.PIRANHA_KERNEL_CONSOLE ? process.stderr.write(`guest| ${l}\n`) : undefined),
});
clearInterval(sampler);
if (run.problem || run.exitCode !== 0) log(`the guest did not finish cleanly (${run.problem ?? `exit code ${run.exitCode}`}): the figures below are those it reported; console: ${run.consolePath}`);
for (const r of run.results.filter((x) => x.status === 'fail')) log(`FAILED ${r.file}: ${r.name}: ${r.message?.split('\n')[0]}`);

const notes = run.results.flatMap((r) => r.diagnostics).filter((d) => d.startsWith(FIGURES_PREFIX)).map((d) => JSON.parse(d.slice(FIGURES_PREFIX.length)) as unknown);
const failovers = notes.flatMap((n) => { const f = figuresSchema.safeParse(n); return f.success ? [f.data] : []; });
const syncs = notes.flatMap((n) => { const f = syncFiguresSchema.safeParse(n); return f.success ? [f.data] : []; });

const fmt = (v: number) => `${Math.round(v).toLocaleString('en')}`;
const mw = (values: number[]) => { const s = summary(values); return `${fmt(s.median)} / ${fmt(s.worst)} ms`; };
const within = (values: number[]) => `${values.filter((v) => v <= TAKEOVER_TARGET_MS).length} of ${values.length}`;
const loads = load.map((l) => l[0]!);
const lines = [
  `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, kernel ${image.kernelVersion} under QEMU TCG, host load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the run; target: deadtime + 1 s = ${fmt(TAKEOVER_TARGET_MS)} ms.`,
  '',
  '| scenario | trials | recovery median / worst | within target | gap median / worst | gap within target | decision median / worst | heal gap median / worst | role changes per cut (max) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const f of failovers) {
  const cut = f.scenario === 'cut';
  lines.push(`| ${cut ? 'heartbeat cut' : 'crash (SIGKILL, off the network)'} (${f.layout}) | ${f.gapMs.length} | ${cut ? '–' : mw(f.recoveryMs)} | ${cut ? '–' : within(f.recoveryMs)} | ${mw(f.gapMs)} | ${within(f.gapMs)} | ${mw(f.detectionMs)} | ${f.healGapMs ? mw(f.healGapMs) : '–'} | ${f.roleChanges ? Math.max(...f.roleChanges) : '–'} |`);
}
for (const s of syncs) lines.push('', `Connection sync (${s.streams} streams, one crash each): ${s.lostWithSync} lost with syncdaemon = 1 (the standby held ${s.standbyKnewWithSync} established connections before the crash), ${s.lostWithoutSync} lost with syncdaemon = 0.`);
if (failovers.length === 0 && syncs.length === 0) lines.push('', 'No figures: see the failures above.');
lines.push('', `Guest run ${(run.totalMs / 60_000).toFixed(0)} min; by file: ${run.files.map((f) => `${f.file.replace(/^tests\/kernel\/suite\//, '')} ${(f.durationMs / 60_000).toFixed(1)} min`).join(', ')}.`);
process.stdout.write(lines.join('\n') + '\n');
