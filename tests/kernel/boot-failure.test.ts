// The harness itself: a guest that cannot boot is a failure that says so and shows the console.
// Boots the suite's kernel with an initramfs that is not one: the kernel panics (no root file
// system), QEMU exits, and bootGuest must report it instead of waiting or claiming results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootGuest } from './vm/boot.ts';
import { buildImage, DEFAULT_CACHE } from './vm/image.ts';
import { buildTools } from './vm/tools.ts';
import { missingTool } from '../../testing/requirements.ts';

const skip = missingTool('qemu-system-x86_64') ?? false;

test('a guest that does not boot is reported as such, with its console', { skip }, async () => {
  const image = buildImage();
  const dir = mkdtempSync(join(tmpdir(), 'piranha-kernel-boot-'));
  try {
    const junk = join(dir, 'initrd.gz');
    writeFileSync(junk, 'this is not an initramfs\n');
    const run = await bootGuest({ ...image, initrd: junk }, { workDir: join(dir, 'run'), toolsDir: buildTools(DEFAULT_CACHE), bootTimeoutMs: 300_000 });
    assert.match(run.problem ?? '', /did not boot/);
    assert.equal(run.bootMs, null);
    assert.equal(run.exitCode, null);
    assert.deepEqual(run.results, []);
    assert.match(run.console, /Kernel panic/, 'the console shows why');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
