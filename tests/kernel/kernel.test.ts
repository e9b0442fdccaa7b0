// The kernel suite, seen from the host: builds the QEMU guest from Debian packages (cached in
// .cache/kernel/), boots it once, lets it run every file of tests/kernel/suite/ against the real
// kernel's IPVS, and replays each of the guest's results here as a test of its own, with the
// guest's message and log. A guest that does not boot or stops early is a failure that shows its
// console. Skipped only where QEMU is not installed (a failure under CI=true, like every missing tool).
//   PIRANHA_KERNEL_ONLY=reload npm run test:kernel   runs the suite files whose name contains "reload"
//   PIRANHA_KERNEL_CONSOLE=1 node --import tsx --test tests/kernel/kernel.test.ts
//                                                    also prints the guest's console as it runs
import { test } from 'node:test';
import { join } from 'node:path';
import { bootGuest, type GuestRun } from './vm/boot.ts';
import { buildImage, DEFAULT_CACHE, type GuestImage } from './vm/image.ts';
import { buildTools } from './vm/tools.ts';
import { REPO_ROOT } from '../../testing/paths.ts';
import { missingTool } from '../../testing/requirements.ts';

const CONSOLE_TAIL = 80;

function tail(text: string, lines = CONSOLE_TAIL): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** How long each suite file took in the guest, setup and teardown included. */
function fileTimes(run: GuestRun): string {
  return run.files.map((f) => `${label(f.file)} ${(f.durationMs / 1000).toFixed(0)} s`).join(', ');
}

function label(file: string): string {
  return file.replace(/^tests\/kernel\/suite\//, '').replace(/\.ts$/, '');
}

const skip = missingTool('qemu-system-x86_64');
if (skip) {
  test('kernel suite (IPVS in a QEMU guest)', { skip }, () => {});
} else {
  let image: GuestImage | null = null;
  let tools = '';
  // The guest mounts a /tmp of its own over the host's (init.sh): a checkout under /tmp is hidden.
  let buildError: Error | null = null;
  const underTmp = REPO_ROOT === '/tmp' || REPO_ROOT.startsWith('/tmp/');
  const progress = (m: string) => process.stderr.write(`kernel suite: ${m}\n`);
  try {
    image = buildImage({ log: progress });
    tools = buildTools(DEFAULT_CACHE, progress);
  } catch (err) {
    buildError = err as Error;
  }

  if (underTmp) {
    test('the checkout is visible in the guest', () => {
      throw new Error(`the checkout is under /tmp (${REPO_ROOT}), which the guest replaces with a /tmp of its own: clone it elsewhere (e.g. under /var/tmp)`);
    });
  } else if (image === null) {
    test('the kernel test guest can be built from Debian packages', () => {
      throw buildError;
    });
  } else {
    const run: GuestRun = await bootGuest(image, {
      workDir: join(REPO_ROOT, '.tmp', 'kernel'),
      toolsDir: tools,
      only: process.env.PIRANHA_KERNEL_ONLY,
      trials: process.env.PIRANHA_KERNEL_TRIALS,
      // The whole suite, router pairs included, took 27-35 min on a loaded 2-core host; the kernel
      // phase of scripts/run-tests.js allows an hour.
      runTimeoutMs: 55 * 60_000,
      onLine: process.env.PIRANHA_KERNEL_CONSOLE ? (l) => process.stderr.write(`guest| ${l}\n`) : undefined,
    });
    const seeConsole = `(the guest's whole console: ${run.consolePath})`;

    test(`the guest (kernel ${image.kernelVersion}) boots and runs the whole suite`, (t) => {
      const boot = run.bootMs === null ? 'no boot' : `booted in ${(run.bootMs / 1000).toFixed(1)} s`;
      t.diagnostic(`${boot}; boot and suite took ${(run.totalMs / 1000).toFixed(1)} s; ${run.results.length} results`);
      t.diagnostic(`by file (setup and teardown included): ${fileTimes(run)}`);
      if (run.problem) throw new Error(`${run.problem}\n--- last lines of the guest's console ---\n${tail(run.console)}\n${seeConsole}`);
      if (run.exitCode !== 0 && !run.results.some((r) => r.status === 'fail')) {
        throw new Error(`the guest's test runner exited with ${run.exitCode} without a failed test\n--- last lines of the guest's console ---\n${tail(run.console)}\n${seeConsole}`);
      }
      if (run.results.length === 0) throw new Error(`the guest reported no test at all\n${seeConsole}`);
    });

    for (const r of run.results) {
      const options = r.status === 'skip' ? { skip: r.message ?? true } : {};
      test(`${label(r.file)}: ${r.name}`, options, (t) => {
        for (const note of r.diagnostics) t.diagnostic(note);
        if (r.status === 'fail') throw new Error(`${r.message ?? 'failed in the guest'}\n${seeConsole}`);
      });
    }
  }
}
