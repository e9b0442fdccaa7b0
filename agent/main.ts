// piranha-agent's entry: parse the command line, claim the control socket (refusing to start if
// another agent holds it), load lvs.cf and start directing; SIGHUP reloads, SIGTERM/SIGINT remove
// our services and exit, leaving no socket file behind.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { createDataplane } from './dataplane/index.ts';
import { Agent, StartupError } from './agent.ts';
import { SocketServer } from './socket-server.ts';
import { Logger } from './log.ts';

export const DEFAULT_ROOT = '/etc/sysconfig/ha';
export const DEFAULT_SOCKET = '/run/piranha/agent.sock';

const USAGE = `usage: piranha-agent [--root DIR] [--socket PATH] [--dataplane userspace|ipvs]

  --root DIR         folder holding lvs.cf (default ${DEFAULT_ROOT})
  --socket PATH      control socket for the console (default ${DEFAULT_SOCKET})
  --dataplane KIND   userspace (built-in forwarder, default) or ipvs (kernel, via ipvsadm)

Signals: HUP reloads lvs.cf; TERM and INT remove this agent's services and exit.
`;

const optionsSchema = z.object({
  root: z.string().min(1),
  socket: z.string().min(1).max(107, 'a unix socket path is limited to 107 bytes'),
  dataplane: z.enum(['userspace', 'ipvs'], { message: 'must be userspace or ipvs' }),
});
export type AgentCliOptions = z.infer<typeof optionsSchema>;

export function agentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Parses argv; returns the options, or a message (usage/version text or an error) and exit code. */
export function parseCli(argv: string[]): { ok: true; options: AgentCliOptions } | { ok: false; code: number; text: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        socket: { type: 'string' },
        dataplane: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { ok: false, code: 2, text: `piranha-agent: ${(err as Error).message}\n${USAGE}` };
  }
  if (values.help) return { ok: false, code: 0, text: USAGE };
  if (values.version) return { ok: false, code: 0, text: `piranha-agent ${agentVersion()}\n` };
  const parsed = optionsSchema.safeParse({
    root: values.root ?? DEFAULT_ROOT,
    socket: values.socket ?? DEFAULT_SOCKET,
    dataplane: values.dataplane ?? 'userspace',
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, code: 2, text: `piranha-agent: --${String(issue.path[0])}: ${issue.message}\n${USAGE}` };
  }
  return { ok: true, options: { ...parsed.data, root: resolve(parsed.data.root), socket: resolve(parsed.data.socket) } };
}

export async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (!cli.ok) {
    (cli.code === 0 ? process.stdout : process.stderr).write(cli.text);
    return cli.code;
  }
  const { root, socket, dataplane: kind } = cli.options;
  const logger = new Logger();
  const version = agentVersion();

  const dataplane = createDataplane(kind);
  const agent = new Agent({ root, dataplane, logger, version });
  const server = new SocketServer({ path: socket, version, handlers: agent.handlers() });
  agent.onEvent((e) => server.broadcast(e));

  // The socket comes first: a second agent must refuse before it touches the dataplane.
  try {
    await server.listen();
  } catch (err) {
    process.stderr.write(`piranha-agent: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    await agent.init();
  } catch (err) {
    const message = err instanceof StartupError ? err.message : `cannot start: ${(err as Error).stack ?? err}`;
    process.stderr.write(`piranha-agent: refusing to start:\n${message}\n`);
    await agent.shutdown().catch(() => {});
    await server.close();
    return 1;
  }
  logger.log(`piranha-agent ${version} pid ${process.pid} listening on ${socket}`);

  return new Promise<number>((done) => {
    let stopping = false;
    const onHup = () => {
      logger.log('SIGHUP: reloading');
      // A refused reload is already logged and kept in status; nothing else to do here.
      agent.reload().catch(() => {});
    };
    const onStop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal}: stopping`);
      void (async () => {
        let code = 0;
        try {
          await agent.shutdown();
        } catch (err) {
          logger.log(`error while removing services: ${(err as Error).message}`);
          code = 1;
        }
        await server.close();
        process.off('SIGHUP', onHup);
        done(code);
      })();
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => onStop('SIGTERM'));
    process.once('SIGINT', () => onStop('SIGINT'));
  });
}
