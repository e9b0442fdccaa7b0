// A small stand-in for the agent inside a router namespace: reads lvs.cf, runs startHa() with the
// real heartbeat, VIP and sync modules, and exposes two things to the tests: a unix control socket
// (one JSON line in, one out: {"cmd":"status"} → ha.status(); {"cmd":"push"} → re-read lvs.cf,
// apply it locally and push it to the partner), and a TCP "probe" port on every address that
// answers with this router's node name, so a client can tell which router holds the VIP.
// Run: ip netns exec NS node --import tsx tests/netns/ha-driver.ts --root DIR --node primary --control SOCK --probe-port N
import { createServer } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseOrThrow } from '../../lvs-cf/index.ts';
import { startHa } from '../../agent/ha/index.ts';

const argsSchema = z.object({
  root: z.string().min(1),
  node: z.enum(['primary', 'backup']).optional(),
  control: z.string().min(1),
  'probe-port': z.coerce.number().int().min(1).max(65535),
});

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { root: { type: 'string' }, node: { type: 'string' }, control: { type: 'string' }, 'probe-port': { type: 'string' } },
  });
  const args = argsSchema.parse(values);
  const cfPath = join(args.root, 'lvs.cf');
  const log = (msg: string): void => void process.stderr.write(`${new Date().toISOString()} ${args.node ?? ''} ${msg}\n`);
  const ha = await startHa({
    root: args.root,
    config: parseOrThrow(await readFile(cfPath, 'utf8'), cfPath),
    node: args.node,
    keyFile: join(args.root, 'conf/heartbeat.key'),
    log,
    onActivate: async () => void log('dataplane started'),
    onDeactivate: async () => void log('dataplane stopped'),
    onConfigReceived: async (text) => {
      const model = parseOrThrow(text, cfPath);
      await ha.updateConfig(model);
      log(`applied serial ${model.serial_no}`);
    },
  });

  const probe = createServer((s) => s.end(`${args.node ?? ha.status().role}\n`));
  probe.listen(args['probe-port'], '0.0.0.0');

  await rm(args.control, { force: true });
  const control = createServer((s) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', async (d: string) => {
      buf += d;
      if (!buf.includes('\n')) return;
      try {
        const { cmd } = z.object({ cmd: z.enum(['status', 'push']) }).parse(JSON.parse(buf.split('\n')[0]));
        if (cmd === 'status') return void s.end(`${JSON.stringify(ha.status())}\n`);
        const text = await readFile(cfPath, 'utf8');
        await ha.updateConfig(parseOrThrow(text, cfPath));
        s.end(`${JSON.stringify(await ha.pushConfig(text))}\n`);
      } catch (err) {
        s.end(`${JSON.stringify({ error: (err as Error).message })}\n`);
      }
    });
  });
  control.listen(args.control);
  log('ready');

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await ha.stop();
  probe.close();
  control.close();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`ha-driver: ${err.message}\n`);
      process.exit(1);
    },
  );
}
