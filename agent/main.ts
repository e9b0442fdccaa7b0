// piranha-agent's entry: parse the command line, claim the control socket (refusing to start if
// another agent holds it), load lvs.cf, then either start directing (standalone) or join the
// router pair and let redundancy decide when to serve; SIGHUP reloads, SIGTERM/SIGINT leave the
// pair (the partner takes over at once), remove our services and exit, leaving no socket file.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { IpvsDataplane, createDataplane, type DataplaneOptions } from './dataplane/index.ts';
import type { LvsConfig } from '../lvs-cf/index.ts';
import { Agent } from './agent.ts';
import { ConfigState } from './config-state.ts';
import { StartupError } from './errors.ts';
import { handlersOnceReady, rpcHandlers } from './rpc-handlers.ts';
import { nativeAddon, NativeAddonError } from './native-addon.ts';
import { SocketServer, type Handlers } from './socket-server.ts';
import { Logger } from './log.ts';
import { releaseAfterRead } from './memory.ts';
import { Redundancy } from './ha/controller.ts';
import { KernelConnectionSync } from './ha/conn-sync.ts';
import { spawnRunner } from './run-program.ts';
import { decideRedundancy } from './ha/mode.ts';
import { localAddresses } from './ha/peers.ts';
import { KEY_RELATIVE_PATH } from './ha/heartbeat-key.ts';
import { DEFAULT_SAMPLE_SEC, TrafficSampler } from './traffic/sampler.ts';

export const DEFAULT_ROOT = '/etc/sysconfig/ha';
export const DEFAULT_SOCKET = '/run/piranha/agent.sock';

const USAGE = `usage: piranha-agent [--root DIR] [--socket PATH] [--dataplane userspace|ipvs]
                     [--node primary|backup] [--heartbeat-key FILE] [--verbose] [--sample-interval SEC]

  --root DIR            folder holding lvs.cf (default ${DEFAULT_ROOT})
  --socket PATH         control socket for the console (default ${DEFAULT_SOCKET})
  --dataplane KIND      userspace (built-in forwarder, default) or ipvs (kernel, via ipvsadm)
  --node ROLE           this router's role in the pair, instead of finding the primary/backup
                        address of lvs.cf among this machine's addresses
  --heartbeat-key FILE  shared key of the pair (default ROOT/${KEY_RELATIVE_PATH})
  --verbose             also log each dataplane operation behind a change
  --sample-interval SEC seconds between samples of the traffic counters kept for the last ten
                        minutes (default ${DEFAULT_SAMPLE_SEC}; 1 to 60)

With service = lvs, a primary address and a backup (backup_active = 1), the agent is one router
of a pair: it starts standby and serves only while the redundancy module makes it active.

Signals: HUP reloads lvs.cf; TERM and INT leave the pair, remove this agent's services and exit.
`;

const optionsSchema = z.object({
  root: z.string().min(1),
  socket: z.string().min(1).max(107, 'a unix socket path is limited to 107 bytes'),
  dataplane: z.enum(['userspace', 'ipvs'], { message: 'must be userspace or ipvs' }),
  node: z.enum(['primary', 'backup'], { message: 'must be primary or backup' }).optional(),
  'heartbeat-key': z.string().min(1).optional(),
  verbose: z.boolean(),
  'sample-interval': z.coerce.number({ message: 'must be a number of seconds' }).int('must be a whole number of seconds').min(1, 'must be 1 to 60').max(60, 'must be 1 to 60'),
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
        node: { type: 'string' },
        'heartbeat-key': { type: 'string' },
        verbose: { type: 'boolean' },
        'sample-interval': { type: 'string' },
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
    node: values.node,
    'heartbeat-key': values['heartbeat-key'],
    verbose: values.verbose ?? false,
    'sample-interval': values['sample-interval'] ?? DEFAULT_SAMPLE_SEC,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, code: 2, text: `piranha-agent: --${String(issue.path[0])}: ${issue.message}\n${USAGE}` };
  }
  const root = resolve(parsed.data.root);
  const heartbeatKey = resolve(parsed.data['heartbeat-key'] ?? join(root, KEY_RELATIVE_PATH));
  return { ok: true, options: { ...parsed.data, root, socket: resolve(parsed.data.socket), 'heartbeat-key': heartbeatKey } };
}

export async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  if (!cli.ok) {
    (cli.code === 0 ? process.stdout : process.stderr).write(cli.text);
    return cli.code;
  }
  const { root, socket, dataplane: kind, node: cliNode } = cli.options;
  const keyFile = cli.options['heartbeat-key']!;
  // Under systemd stderr is the journal: errors are then entries at priority err (common/journal.ts).
  const logger = new Logger({ verbose: cli.options.verbose });
  // The health checks (and the userspace relay) are native code built at install: without it,
  // one sentence saying how to build it, before anything else starts.
  try {
    nativeAddon();
  } catch (err) {
    if (!(err instanceof NativeAddonError)) throw err;
    logger.error(err.message);
    return 1;
  }
  const version = agentVersion();

  // The socket comes first: a second agent must refuse before it touches the dataplane, and the
  // console sees the agent there while a large lvs.cf is read (its calls wait for the agent).
  let core!: (handlers: Handlers) => void;
  const server = new SocketServer({
    path: socket,
    version,
    handlers: handlersOnceReady(new Promise<Handlers>((resolve) => (core = resolve))),
    onProtocolError: (message) => logger.log(`protocol error (not sent): ${message}`),
  });
  try {
    await server.listen();
  } catch (err) {
    logger.error((err as Error).message);
    return 1;
  }

  // lvsd applied lvs.cf's connection timeouts (ipvsadm --set) and ipvsadm path when it started;
  // so does the agent. A missing or invalid file leaves the defaults (init() then reports it).
  const config = new ConfigState(root, (m) => logger.log(m));
  const first = await config.read();
  const dataplane = createDataplane(kind, dataplaneOptions(first.ok ? first.config.model : null));
  const agent = new Agent({ config, dataplane, logger });
  // The dataplane's counters sampled for the console's traffic sparklines (docs/observability.md).
  const traffic = new TrafficSampler({ read: () => agent.trafficTable(), intervalSec: cli.options['sample-interval'], log: (m) => logger.log(m) });
  agent.onEvent((e) => server.broadcast(e), { active: () => server.hasSubscribers });
  // Calls are answered once the agent knows what it is: a standalone agent as it starts serving (a
  // large table's status is worth seeing while it loads), a router of a pair once it has joined
  // (before that it would answer that it is in no pair).
  const answerCalls = () => core(rpcHandlers(agent, traffic));
  let redundancy: Redundancy | null = null;
  try {
    // Standby until we know whether this is a router of a pair: a pair's router must not serve
    // before the role machine says so (both routers would answer on the VIPs).
    await agent.init(first);
    const mode = decideRedundancy(agent.currentModel(), cliNode, localAddresses());
    if (mode.kind === 'error') throw new StartupError(mode.message);
    if (mode.kind === 'standalone') {
      agent.setNote('redundancy', mode.note);
      answerCalls();
      await agent.serve();
    } else {
      redundancy = new Redundancy({
        root,
        keyFile,
        node: mode.node,
        log: (msg) => logger.log(msg),
        hooks: agent,
        connectionSync:
          dataplane instanceof IpvsDataplane
            ? new KernelConnectionSync({ ipvsadm: () => dataplane.ipvsadmPath, run: spawnRunner, log: (msg) => logger.log(msg) })
            : null,
        onStatus: (s) => agent.notifyHa(s),
      });
      try {
        await agent.joinPair(redundancy);
      } catch (err) {
        throw new StartupError(`redundancy cannot start: ${(err as Error).message}`);
      }
      answerCalls();
    }
  } catch (err) {
    answerCalls(); // calls waiting meanwhile get the refusing agent's answers, not silence
    const message = err instanceof StartupError ? err.message : `cannot start: ${(err as Error).stack ?? err}`;
    logger.error(`refusing to start:\n${message}`);
    await agent.leavePair().catch(() => {});
    await agent.shutdown().catch(() => {});
    await server.close();
    return 1;
  }
  traffic.start();
  // Reading a large lvs.cf left garbage: collected now that the services are up, not before.
  releaseAfterRead(config.lastReadLength);
  logger.log(`piranha-agent ${version} pid ${process.pid} listening on ${socket}${redundancy ? ` (${redundancy.node} of a pair, standby until redundancy decides)` : ''}`);

  // The mode (pair or standalone) is chosen at startup; a reload that would change it is shown,
  // not applied halfway: a router that starts serving or stops heartbeating mid-run could leave
  // both routers active.
  agent.onEvent((e) => {
    if (e.event !== 'reload') return;
    const now = decideRedundancy(agent.currentModel(), cliNode, localAddresses());
    if (redundancy === null && now.kind === 'standalone') agent.setNote('redundancy', now.note);
    const changed = (redundancy !== null) !== (now.kind === 'pair');
    agent.setNote('restart', changed ? 'the redundancy settings of lvs.cf changed (primary, backup, backup_active or service): restart piranha-agent to apply them' : null);
  }, { events: ['reload'] });

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
          // Leaving first: the partner hears "stopping" and takes over without waiting deadtime.
          await agent.leavePair();
        } catch (err) {
          logger.error(`error while leaving the pair: ${(err as Error).message}`);
          code = 1;
        }
        try {
          await agent.shutdown();
        } catch (err) {
          logger.error(`error while removing services: ${(err as Error).message}`);
          code = 1;
        }
        traffic.stop();
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

/** The dataplane settings lvs.cf holds: tcp_timeout, tcpfin_timeout, udp_timeout (0 = keep the default) and ipvsadm. */
export function dataplaneOptions(model: LvsConfig | null): DataplaneOptions {
  if (!model) return {};
  const userspace: NonNullable<DataplaneOptions['userspace']> = {};
  if (model.tcp_timeout > 0) userspace.tcpIdleTimeout = model.tcp_timeout;
  if (model.udp_timeout > 0) userspace.udpTimeout = model.udp_timeout;
  const ipvs: NonNullable<DataplaneOptions['ipvs']> = {};
  if (model.tcp_timeout || model.tcpfin_timeout || model.udp_timeout) {
    ipvs.timeouts = { tcp: model.tcp_timeout, tcpfin: model.tcpfin_timeout, udp: model.udp_timeout };
  }
  // '/sbin/ipvsadm' is the daemons' default: keep the dataplane's own search (it also tries /usr/sbin).
  if (model.ipvsadm !== '/sbin/ipvsadm') ipvs.ipvsadm = model.ipvsadm;
  return { userspace, ipvs };
}
