// npm run bench:kernel: boots the kernel suite's guest (tests/kernel/vm/) with the bench as its
// entry (bench/kernel/guest-bench.ts) and prints its figures as the README's table: medians, and
// ratios against the baseline measured in the same guest. Under QEMU's emulation the absolute
// times are meaningless; read the ratios.
//   PIRANHA_BENCH_SIZES=10,1000 npm run bench:kernel    only these table sizes
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootGuest } from '../../tests/kernel/vm/boot.ts';
import { buildImage, DEFAULT_CACHE } from '../../tests/kernel/vm/image.ts';
import { buildTools } from '../../tests/kernel/vm/tools.ts';
import { REPO_ROOT } from '../../testing/paths.ts';

interface SizeResult { virtuals: number; loadMs: number | null; consoleMs: number[]; consolePostMs: number[]; byHandMs: number[]; note: string | null }
interface BenchOut { sizes: SizeResult[]; throughput: { natPerSec: number[]; directPerSec: number[]; natFailed: number; directFailed: number } | null }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const log = (m: string) => process.stderr.write(`bench:kernel: ${m}\n`);
const image = buildImage({ log });
const tools = buildTools(DEFAULT_CACHE, log);
const workDir = join(REPO_ROOT, '.tmp', 'kernel-bench');
const run = await bootGuest(image, {
  // The sizes reach the guest as its file filter (the one word of the kernel command line for it).
  workDir, toolsDir: tools, entry: 'bench', runTimeoutMs: 150 * 60_000, only: process.env.PIRANHA_BENCH_SIZES ?? '',
  onLine: (l) => (l.startsWith('piranha-bench:') || process.env.PIRANHA_KERNEL_CONSOLE ? process.stderr.write(`guest| ${l}\n`) : undefined),
});
let out: BenchOut;
try {
  out = JSON.parse(readFileSync(join(workDir, 'results', 'bench.json'), 'utf8')) as BenchOut;
} catch {
  throw new Error(`the guest wrote no figures (${run.problem ?? `exit code ${run.exitCode}`}); its console: ${run.consolePath}`);
}
if (run.problem || run.exitCode !== 0) log(`the guest did not finish cleanly (${run.problem ?? `exit code ${run.exitCode}`}): the figures below are those it wrote; console: ${run.consolePath}`);

const lines = [
  `Kernel ${image.kernelVersion} under QEMU TCG (absolute times are meaningless: read the ratios), ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '| virtual servers | table loaded in | console save → kernel (median) | of which POST → 303 | ipvsadm -R by hand → kernel (median) | console / by hand |',
  '|---:|---:|---:|---:|---:|---:|',
];
for (const s of out.sizes) {
  if (s.loadMs === null) {
    lines.push(`| ${s.virtuals.toLocaleString('en')} | not measured: ${s.note} | | | | |`);
    continue;
  }
  const c = median(s.consoleMs);
  const h = median(s.byHandMs);
  lines.push(`| ${s.virtuals.toLocaleString('en')} | ${(s.loadMs / 1000).toFixed(0)} s | ${c.toFixed(0)} ms | ${median(s.consolePostMs).toFixed(0)} ms | ${h.toFixed(0)} ms | ${(c / h).toFixed(1)}× |`);
}
if (out.throughput) {
  const nat = median(out.throughput.natPerSec);
  const direct = median(out.throughput.directPerSec);
  lines.push('', '| path | connections/s (median of 5 × 500) |', '|---|---:|',
    `| client → VIP → kernel NAT director → real servers | ${nat.toFixed(0)} |`,
    `| client → real servers, routed by the same router (no IPVS) | ${direct.toFixed(0)} |`,
    `| NAT director / direct | ${(nat / direct).toFixed(2)} |`,
    '', `Failed connections (counted, not retried): ${out.throughput.natFailed} of 2,500 through the director, ${out.throughput.directFailed} of 2,500 direct.`);
}
process.stdout.write(lines.join('\n') + '\n');
