// piranha-gui: parses the command line, loads the access-control files, builds the app and listens.
//   piranha-gui [--root DIR] [--port N] [--host ADDR] [--agent-socket PATH] [--tls-cert F --tls-key F]
//               [--allowed-hosts NAME,…] [--confirm-windows SECONDS,…] [--history-keep N] [--history-days D]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { buildApp } from './app.ts';
import { AllowlistWatcher } from './allowlist-watcher.ts';
import { PasswordStore } from './password-file.ts';
import { LoginThrottle } from './login-throttle.ts';
import { AllowedHosts, normalizeEntry } from './security/allowed-hosts.ts';
import { DEFAULT_HISTORY } from './history/store.ts';
import { guiLog, requestLogger, type GuiLog } from './gui-log.ts';

export const DEFAULT_ROOT = '/etc/sysconfig/ha';
export const DEFAULT_PORT = 3636;

const argsSchema = z
  .object({
    root: z.string().min(1).default(DEFAULT_ROOT),
    port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORT),
    host: z.string().min(1).default('0.0.0.0'),
    'agent-socket': z.string().min(1).optional(),
    'tls-cert': z.string().min(1).optional(),
    'tls-key': z.string().min(1).optional(),
    /** More names or addresses the console answers to (Host header), beyond this machine's own. */
    'allowed-hosts': z
      .array(z.string())
      .transform((list) => list.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.string().refine((h) => normalizeEntry(h) !== null, { error: (i) => `"${String(i.input)}" is not a host name or an IP address` })))
      .optional(),
    /** The confirmation windows an operator may choose when applying a change, in seconds. */
    'confirm-windows': z
      .string()
      .regex(/^\d{1,6}(,\d{1,6})*$/, 'give whole numbers of seconds separated by commas, e.g. 30,60,300')
      .transform((s) => [...new Set(s.split(',').map(Number))])
      .refine((l) => l.every((n) => n >= 1), 'a confirmation window is at least 1 second')
      .optional(),
    /** How many saved versions history/ keeps (the oldest are removed in batches of a tenth). */
    'history-keep': z.string().regex(/^\d{1,6}$/, 'give a whole number of versions, e.g. 100').transform(Number).refine((n) => n >= 1, 'keep at least 1 version').default(DEFAULT_HISTORY.keep),
    /** Versions older than this many days are removed (0: kept whatever their age). */
    'history-days': z.string().regex(/^\d{1,5}$/, 'give a whole number of days, e.g. 90 (0: no age limit)').transform(Number).default(DEFAULT_HISTORY.maxAgeDays),
  })
  .refine((a) => Boolean(a['tls-cert']) === Boolean(a['tls-key']), 'give both --tls-cert and --tls-key, or neither');

export type GuiArgs = z.infer<typeof argsSchema>;

export function parseGuiArgs(argv: string[]): GuiArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      root: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'agent-socket': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'allowed-hosts': { type: 'string', multiple: true },
      'confirm-windows': { type: 'string' },
      'history-keep': { type: 'string' },
      'history-days': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  return argsSchema.parse(values);
}

export interface RunningGui {
  url: string;
  close(): Promise<void>;
}

/** Starts the console; resolves once it listens. */
/** What startGui needs: the command line, the history limits optional (their defaults). */
export type GuiOptions = Omit<GuiArgs, 'history-keep' | 'history-days'> & Partial<Pick<GuiArgs, 'history-keep' | 'history-days'>>;

export async function startGui(args: GuiOptions, log: GuiLog = guiLog()): Promise<RunningGui> {
  const allowlist = new AllowlistWatcher({
    files: [join(args.root, 'web', 'secure', '.htaccess'), join(args.root, 'web', '.htaccess')],
    onChange: (c) => (c.problem ? log(`piranha-gui: ${c.file}:${c.problem.line}: ${c.problem.message} (previous rules kept)`, 'error') : log(`piranha-gui: ${c.file} ${c.state}`)),
  });
  await allowlist.start();
  const passwords = new PasswordStore({ file: join(args.root, 'conf', 'piranha.passwd') });
  if (!passwords.exists()) log(`piranha-gui: no usable password in ${join(args.root, 'conf', 'piranha.passwd')}: set one with piranha-passwd --root ${args.root}`, 'warning');
  const allowedHosts = new AllowedHosts({ extra: args['allowed-hosts'] ?? [], listen: args.host });
  const https = args['tls-cert'] && args['tls-key'] ? { cert: await readFile(args['tls-cert']), key: await readFile(args['tls-key']) } : null;
  const app = await buildApp({
    root: args.root,
    agentSocket: args['agent-socket'] ?? null,
    allowlist,
    passwords,
    throttle: new LoginThrottle(),
    https,
    allowedHosts,
    ...(args['confirm-windows'] ? { confirmWindows: args['confirm-windows'] } : {}),
    history: { keep: args['history-keep'] ?? DEFAULT_HISTORY.keep, maxAgeDays: args['history-days'] ?? DEFAULT_HISTORY.maxAgeDays },
    logger: requestLogger(),
  });
  const address = await app.listen({ port: args.port, host: args.host });
  log(`piranha-gui: listening on ${address} (root ${args.root}${args['agent-socket'] ? `, agent ${args['agent-socket']}` : ', no agent'})`);
  return {
    url: address,
    async close() {
      await app.close();
      allowlist.close();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  let args: GuiArgs;
  try {
    args = parseGuiArgs(argv);
  } catch (err) {
    const msg = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ') : (err as Error).message;
    console.error(`piranha-gui: ${msg}`);
    console.error('usage: piranha-gui [--root DIR] [--port N] [--host ADDR] [--agent-socket PATH] [--tls-cert FILE --tls-key FILE] [--allowed-hosts NAME,...] [--confirm-windows SECONDS,...] [--history-keep N] [--history-days DAYS]');
    return 2;
  }
  const gui = await startGui(args);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await gui.close();
  return 0;
}
