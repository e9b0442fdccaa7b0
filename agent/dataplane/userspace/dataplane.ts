// The userspace dataplane: the agent itself forwards TCP and UDP from each VIP:PORT to the real
// servers. Needs no root and no kernel module (binding a VIP still requires the address to be on
// this machine, and ports below 1024 need root or CAP_NET_BIND_SERVICE).
//
// It is a proxy, not a packet forwarder: the real servers see connections from this machine, not
// from the client, whatever the forwarding method (m/g/i is recorded and reported, not acted on).
import { z } from 'zod';
import type { ApplyResult, Dataplane, DataplaneOp, ServiceKey, ServiceProblem, ServiceSpec, ServiceStats } from '../types.ts';
import { bindProblem, isRetryable } from './bind-problem.ts';
import { checkOp } from './op-schema.ts';
import { Service } from './service.ts';
import { TcpListener } from './tcp-listener.ts';
import { relay } from './native-relay.ts';
import { UdpListener } from './udp-listener.ts';

export const FWMARK_PROBLEM = 'firewall marks need the kernel dataplane (ipvs)';

/** Times in seconds, as lvs.cf and ipvsadm --set give them. */
export const userspaceOptionsSchema = z.object({
  /** A UDP session without traffic for this long ends (lvs.cf udp_timeout; IPVS default 300). */
  udpTimeout: z.number().positive().default(300),
  /** An idle TCP connection is cut after this long (lvs.cf tcp_timeout; IPVS default 900). */
  tcpIdleTimeout: z.number().positive().default(900),
  /** How long a real server may take to accept a connection. */
  connectTimeout: z.number().positive().default(5),
  /** How long a closed TCP connection still counts as inactive (IPVS TIME_WAIT: 120). */
  inactiveWindow: z.number().int().min(1).max(3600).default(120),
  /** How often to retry binding a VIP that is not (yet) an address of this machine. */
  rebindInterval: z.number().positive().default(2),
});
export type UserspaceOptions = z.input<typeof userspaceOptionsSchema>;

type Listener = TcpListener | UdpListener;

interface Entry {
  service: Service;
  listener: Listener | null;
  problem: string | null;
  /** When to try binding again (ms timestamp), or null when retrying cannot help. */
  retryAt: number | null;
  binding: boolean;
}

function statsOf(e: Entry): ServiceStats {
  return { ...e.service.spec, reals: e.service.reals.map((r) => r.stats()), problem: e.problem };
}

export class UserspaceDataplane implements Dataplane {
  readonly kind = 'userspace' as const;
  private readonly opts: z.output<typeof userspaceOptionsSchema>;
  private readonly entries = new Map<string, Entry>();
  /** Listeners of deleted TCP services whose connections are still finishing. */
  private readonly draining = new Set<Listener>();
  private ticker: NodeJS.Timeout | null = null;

  constructor(options: UserspaceOptions = {}) {
    this.opts = userspaceOptionsSchema.parse(options);
  }

  async start(): Promise<void> {
    // Loads the native TCP relay now, so that an agent without it refuses to start and says why.
    relay();
    this.ensureTicker();
  }

  private ensureTicker(): void {
    if (this.ticker !== null) return;
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref();
  }

  private tick(): void {
    const now = Date.now();
    for (const e of this.entries.values()) {
      e.service.tick(now);
      e.listener?.sweep(now);
      if (e.listener === null && e.retryAt !== null && now >= e.retryAt && !e.binding) void this.bind(e);
    }
    for (const l of this.draining) {
      l.sweep(now);
      if (l.connections === 0) this.draining.delete(l);
    }
  }

  async apply(ops: DataplaneOp[]): Promise<ApplyResult> {
    this.ensureTicker();
    const failures: ApplyResult['failures'] = [];
    for (const [index, raw] of ops.entries()) {
      const checked = checkOp(raw);
      if (!checked.ok) {
        failures.push({ index, message: checked.message });
        continue;
      }
      const message = await this.applyOne(checked.op);
      if (message !== null) failures.push({ index, message });
    }
    return { failures };
  }

  /** Applies one validated op; returns why it failed, or null. */
  private async applyOne(op: DataplaneOp): Promise<string | null> {
    switch (op.op) {
      case 'addService': {
        if (this.entries.has(op.service.key)) return `service ${op.service.key} already exists`;
        const entry: Entry = {
          service: new Service(op.service, this.opts.inactiveWindow),
          listener: null,
          problem: null,
          retryAt: null,
          binding: false,
        };
        this.entries.set(op.service.key, entry);
        if (op.service.fwmark !== 0) entry.problem = FWMARK_PROBLEM;
        else await this.bind(entry);
        return null;
      }
      case 'editService': {
        const e = this.entries.get(op.service.key);
        if (e === undefined) return `no service ${op.service.key}`;
        e.service.update(op.service);
        return null;
      }
      case 'deleteService': {
        const e = this.entries.get(op.key);
        if (e === undefined) return `no service ${op.key}`;
        this.entries.delete(op.key);
        if (e.listener !== null) {
          // Like IPVS, open TCP connections finish on their own; only new ones stop.
          if (e.listener instanceof TcpListener) this.draining.add(e.listener);
          await e.listener.close(false);
        }
        return null;
      }
      case 'addReal': {
        const e = this.entries.get(op.key);
        if (e === undefined) return `no service ${op.key}`;
        if (e.service.findReal(op.real.address, op.real.port) !== undefined) {
          return `real server ${op.real.address}:${op.real.port} is already in ${op.key}`;
        }
        e.service.addReal(op.real);
        return null;
      }
      case 'editReal': {
        const e = this.entries.get(op.key);
        if (e === undefined) return `no service ${op.key}`;
        const r = e.service.findReal(op.real.address, op.real.port);
        if (r === undefined) return `no real server ${op.real.address}:${op.real.port} in ${op.key}`;
        e.service.editReal(r, op.real);
        return null;
      }
      case 'deleteReal': {
        const e = this.entries.get(op.key);
        if (e === undefined) return `no service ${op.key}`;
        const r = e.service.findReal(op.address, op.port);
        if (r === undefined) return `no real server ${op.address}:${op.port} in ${op.key}`;
        e.service.deleteReal(r);
        return null;
      }
    }
  }

  private async bind(e: Entry): Promise<void> {
    const spec: ServiceSpec = e.service.spec;
    const report = (message: string | null) => {
      e.problem = message;
    };
    const listener: Listener =
      spec.protocol === 'tcp'
        ? new TcpListener(e.service, this.tcpTuning(), report)
        : new UdpListener(e.service, { sessionTimeoutMs: this.opts.udpTimeout * 1000 }, report);
    e.binding = true;
    try {
      await listener.listen();
      if (this.entries.get(spec.key) !== e) {
        await listener.close(true); // deleted while binding
        return;
      }
      e.listener = listener;
      e.problem = null;
      e.retryAt = null;
    } catch (err) {
      const error = err as NodeJS.ErrnoException;
      e.problem = bindProblem(error, spec.protocol, spec.address, spec.port);
      e.retryAt = isRetryable(error) ? Date.now() + this.opts.rebindInterval * 1000 : null;
    } finally {
      e.binding = false;
    }
  }

  private tcpTuning() {
    return {
      idleTimeoutMs: this.opts.tcpIdleTimeout * 1000,
      connectTimeoutMs: this.opts.connectTimeout * 1000,
    };
  }

  async table(only?: ReadonlySet<ServiceKey>): Promise<ServiceStats[]> {
    const out: ServiceStats[] = [];
    if (only) {
      for (const key of only) {
        const e = this.entries.get(key);
        if (e) out.push(statsOf(e));
      }
      return out;
    }
    for (const e of this.entries.values()) out.push(statsOf(e));
    return out;
  }

  async problems(): Promise<ServiceProblem[]> {
    const out: ServiceProblem[] = [];
    for (const e of this.entries.values()) if (e.problem !== null) out.push({ key: e.service.spec.key, name: e.service.spec.name, problem: e.problem });
    return out;
  }

  async stop(): Promise<void> {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    const closing: Promise<void>[] = [];
    for (const e of this.entries.values()) if (e.listener !== null) closing.push(e.listener.close(true));
    for (const l of this.draining) closing.push(l.close(true));
    this.entries.clear();
    this.draining.clear();
    await Promise.all(closing);
  }
}
