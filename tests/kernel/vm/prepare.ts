// Builds the kernel suite's guest and tools into .cache/kernel/ (or finds them there) and says
// what it has, so that CI fetches the kernel before the tests and fails early and clearly when it
// cannot: node --import tsx tests/kernel/vm/prepare.ts
import { buildImage, DEFAULT_CACHE, ImageError } from './image.ts';
import { buildTools } from './tools.ts';

const log = (m: string) => process.stdout.write(`kernel guest: ${m}\n`);
try {
  const image = buildImage({ log });
  const tools = buildTools(DEFAULT_CACHE, log);
  log(`kernel ${image.kernelVersion}: ${image.kernel}`);
  log(`initramfs: ${image.initrd}`);
  log(`tools: ${tools}`);
} catch (err) {
  if (!(err instanceof ImageError)) throw err;
  process.stderr.write(`kernel guest: ${err.message}\n`);
  process.exitCode = 1;
}
