// The ipvs dataplane: the kernel forwards, this only tells it what to do through ipvsadm.
//
// An apply() is given to `ipvsadm -R` on stdin (the restore mode; Debian's ipvsadm-restore script
// would run `ipvsadm -C` first and wipe services that are not ours, so it is not used), in batches
// of at most BATCH_LINES lines: the first table of a large site is tens of thousands of lines, and
// one call that long can outlive the runner's time limit on a loaded router, be stopped half done
// and leave the agent unable to tell what the kernel took.
// ipvsadm -R carries on after a failing line and prints its error without a line number, so when a
// batch reports any error the table is read back and each operation is checked against it: only
// those whose effect is missing are reported as failed.
// It only ever touches services it added: ops on other services are refused, stop() deletes its
// own, and nothing here issues -C.
import { access, constants } from 'node:fs/promises';
import { z } from 'zod';
import type { ApplyResult, Dataplane, DataplaneOp, ServiceProblem, ServiceSpec, ServiceStats } from '../types.ts';
import { checkOp } from '../userspace/op-schema.ts';
import { opToLine, serviceArgs } from './commands.ts';
import { mergeStats, parseList, parseStats, type KernelService } from './parse.ts';
import { toolRunner, type RunResult, type Runner } from '../../run-program.ts';
import { fewOf } from '../../../common/listing.ts';

export const DEFAULT_IPVSADM_PATHS = ['/sbin/ipvsadm', '/usr/sbin/ipvsadm'];
/** Up to this many services asked for are listed one by one; more, and the whole table is read once. */
const FEW_SERVICES = 16;
/** Lines per `ipvsadm -R` call (a call of this size takes well under a second on hardware). */
export const BATCH_LINES = 1000;
/** Read-backs after a failed batch before its operations are reported as failed (a loaded router may time one out). */
const READ_BACK_TRIES = 3;

export const ipvsOptionsSchema = z.object({
  /** Path of ipvsadm (lvs.cf `ipvsadm`); default: /sbin/ipvsadm, else /usr/sbin/ipvsadm. */
  ipvsadm: z.string().min(1).optional(),
  /** lvs.cf tcp_timeout / tcpfin_timeout / udp_timeout, applied with `ipvsadm --set` at start (0 = keep). */
  timeouts: z
    .object({ tcp: z.number().int().min(0), tcpfin: z.number().int().min(0), udp: z.number().int().min(0) })
    .optional(),
});
export type IpvsOptions = z.input<typeof ipvsOptionsSchema> & { runner?: Runner };

interface Planned {
  /** Position in the batch given to apply(): how a failure names its operation. */
  index: number;
  /** The validated copy of the operation. */
  op: DataplaneOp;
  line: string;
}

/**
 * ipvsadm's complaints about a batch, each said once: a batch of a thousand lines can print the same
 * error a thousand times, and the text is attached to every operation without effect.
 */
function errorLines(stderr: string): string {
  const unique = [...new Set(stderr.split('\n').map((l) => l.trim()).filter(Boolean))];
  return fewOf(unique, 3, '; ');
}

/** Why an ipvsadm call failed: its own first line, or that it could not start, was stopped, or what it exited with. */
function whyFailed(r: RunResult, what: string): string {
  if (r.error !== undefined) return `${what} could not be started: ${r.error}`;
  return firstLine(r.stderr) || (r.code === null ? `${what} did not finish in time and was stopped` : `${what} exited with code ${r.code}`);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

export class IpvsDataplane implements Dataplane {
  readonly kind = 'ipvs' as const;
  private readonly opts: z.output<typeof ipvsOptionsSchema>;
  private readonly run: Runner;
  private bin: string | null = null;
  /** Services this dataplane added, by key, as last applied. */
  private readonly owned = new Map<string, ServiceSpec>();

  constructor(options: IpvsOptions = {}) {
    const { runner, ...rest } = options;
    this.opts = ipvsOptionsSchema.parse(rest);
    this.run = runner ?? toolRunner;
  }

  async start(): Promise<void> {
    const candidates = this.opts.ipvsadm !== undefined ? [this.opts.ipvsadm] : DEFAULT_IPVSADM_PATHS;
    for (const path of candidates) {
      try {
        await access(path, constants.X_OK);
        this.bin = path;
        break;
      } catch {
        // try the next one
      }
    }
    if (this.bin === null) {
      throw new Error(
        `ipvsadm not found (looked for ${candidates.join(', ')}): install the ipvsadm package, ` +
          `or run the agent with --dataplane userspace`,
      );
    }
    const probe = await this.run(this.bin, ['-Ln']);
    if (probe.error !== undefined) throw new Error(`${this.bin} could not be started: ${probe.error}`);
    if (probe.code !== 0) {
      // ipvsadm runs modprobe first where kmod is installed; its complaint (no module file) is
      // said after ipvsadm's own reason, which is the kernel's.
      const lines = probe.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
      const modprobe = lines.find((l) => l.startsWith('modprobe:'));
      const own = firstLine(lines.filter((l) => l !== modprobe).join('\n'));
      const why = (own ? own + (modprobe ? ` [${modprobe}]` : '') : modprobe) || `${this.bin} -Ln exited with code ${probe.code}`;
      throw new Error(
        `IPVS is not available in this kernel: ${why} ` +
          `(load the module with "modprobe ip_vs" as root, or run the agent with --dataplane userspace)`,
      );
    }
    const t = this.opts.timeouts;
    if (t !== undefined) {
      const r = await this.run(this.bin, ['--set', String(t.tcp), String(t.tcpfin), String(t.udp)]);
      if (r.code !== 0) throw new Error(`ipvsadm --set failed: ${whyFailed(r, 'ipvsadm --set')}`);
    }
  }

  /** The ipvsadm this dataplane found at start (connection sync runs the same one). */
  get ipvsadmPath(): string {
    return this.binary();
  }

  private binary(): string {
    if (this.bin === null) throw new Error('the ipvs dataplane was not started');
    return this.bin;
  }

  async apply(ops: DataplaneOp[]): Promise<ApplyResult> {
    const bin = this.binary();
    const failures: ApplyResult['failures'] = [];
    const planned: Planned[] = [];
    // Ownership as it will be once the earlier ops of this batch are applied.
    const owned = new Set(this.owned.keys());
    const addedNow = new Set<string>();
    for (const [index, raw] of ops.entries()) {
      const checked = checkOp(raw);
      if (!checked.ok) {
        failures.push({ index, message: checked.message });
        continue;
      }
      const op = checked.op;
      const key = op.op === 'addService' || op.op === 'editService' ? op.service.key : op.key;
      if (op.op === 'addService') {
        // A service this dataplane added in an earlier batch may be added again: one removed by
        // hand, restored by reconcile (the kernel refuses it if it is still there).
        if (addedNow.has(key)) {
          failures.push({ index, message: `service ${key} already exists` });
          continue;
        }
        owned.add(key);
        addedNow.add(key);
      } else if (!owned.has(key)) {
        failures.push({ index, message: `service ${key} was not added by Piranha; not touching it` });
        continue;
      }
      if (op.op === 'deleteService') owned.delete(key);
      planned.push({ index, op, line: opToLine(op) });
    }
    if (planned.length === 0) return { failures };

    for (let at = 0; at < planned.length; at += BATCH_LINES) {
      const batch = planned.slice(at, at + BATCH_LINES);
      const result = await this.run(bin, ['-R'], batch.map((p) => p.line).join('\n') + '\n');
      let applied = batch;
      if (result.code !== 0 || result.stderr.trim() !== '') {
        const reason = errorLines(result.stderr) || whyFailed(result, 'ipvsadm -R');
        const kernel = await this.readBack(bin);
        applied = [];
        for (const p of batch) {
          if (kernel !== null && isReflected(p.op, kernel)) applied.push(p);
          else failures.push({ index: p.index, message: `ipvsadm: ${reason}${kernel === null ? ' (and the table could not be read back)' : ''}` });
        }
      }
      // Recorded batch by batch: what the kernel took is ours even when a later batch fails.
      for (const { op } of applied) {
        if (op.op === 'addService' || op.op === 'editService') this.owned.set(op.service.key, op.service);
        else if (op.op === 'deleteService') this.owned.delete(op.key);
      }
    }
    return { failures };
  }

  /** The kernel's table after a failed batch; null when it could not be read (tried a few times). */
  private async readBack(bin: string): Promise<Map<string, KernelService> | null> {
    for (let i = 0; i < READ_BACK_TRIES; i++) {
      const listing = await this.run(bin, ['-Ln']);
      if (listing.code === 0) return parseList(listing.stdout);
    }
    return null;
  }

  async problems(): Promise<ServiceProblem[]> {
    return (await this.table()).filter((s) => s.problem !== null).map((s) => ({ key: s.key, name: s.name, problem: s.problem! }));
  }

  async table(keys?: ReadonlySet<string>): Promise<ServiceStats[]> {
    const wanted = keys === undefined ? [...this.owned.keys()] : [...keys].filter((k) => this.owned.has(k));
    const kernel = keys !== undefined && wanted.length <= FEW_SERVICES ? await this.listEach(wanted) : await this.listAll();
    const out: ServiceStats[] = [];
    for (const key of wanted) {
      const spec = this.owned.get(key)!;
      const k = kernel.get(key);
      if (k === undefined) {
        out.push({ ...spec, reals: [], problem: 'missing from the kernel IPVS table (removed outside Piranha?)' });
        continue;
      }
      out.push({
        ...spec,
        scheduler: (k.scheduler as ServiceSpec['scheduler']) || spec.scheduler,
        persistent: k.persistent,
        pmask: k.pmask,
        reals: k.reals,
        problem: null,
      });
    }
    return out;
  }

  /** The whole kernel table, with counters. */
  private async listAll(): Promise<Map<string, KernelService>> {
    const bin = this.binary();
    const [list, stats] = await Promise.all([this.run(bin, ['-Ln']), this.run(bin, ['-Ln', '--stats', '--exact'])]);
    if (list.code !== 0) throw new Error(`ipvsadm -Ln failed: ${whyFailed(list, 'ipvsadm -Ln')}`);
    const kernel = parseList(list.stdout);
    if (stats.code === 0) mergeStats(kernel, parseStats(stats.stdout));
    return kernel;
  }

  /** A few services, each listed on its own (`ipvsadm -Ln -t VIP:PORT`): no cost for the rest of a large table. */
  private async listEach(keys: string[]): Promise<Map<string, KernelService>> {
    const bin = this.binary();
    const kernel = new Map<string, KernelService>();
    for (const key of keys) {
      const svc = serviceArgs(key).split(' ');
      const [list, stats] = await Promise.all([this.run(bin, ['-Ln', ...svc]), this.run(bin, ['-Ln', '--stats', '--exact', ...svc])]);
      // A service the kernel does not have is an error here ("No such service"): left out, reported below.
      if (list.code !== 0) continue;
      const one = parseList(list.stdout);
      if (stats.code === 0) mergeStats(one, parseStats(stats.stdout));
      for (const [k, v] of one) kernel.set(k, v);
    }
    return kernel;
  }

  async stop(): Promise<void> {
    if (this.bin === null || this.owned.size === 0) return;
    const lines = [...this.owned.keys()].map((k) => `-D ${serviceArgs(k)}`);
    this.owned.clear();
    const complaints: string[] = [];
    for (let at = 0; at < lines.length; at += BATCH_LINES) {
      const r = await this.run(this.bin, ['-R'], lines.slice(at, at + BATCH_LINES).join('\n') + '\n');
      if (r.code !== 0 || r.stderr.trim() !== '') complaints.push(errorLines(r.stderr) || whyFailed(r, 'ipvsadm -R'));
    }
    if (complaints.length > 0) {
      throw new Error(`removing Piranha's IPVS services failed: ${fewOf([...new Set(complaints)], 3, '; ')}`);
    }
  }
}

/** Whether the kernel table shows the effect of an op (used only after a batch reported errors). */
function isReflected(op: DataplaneOp, kernel: Map<string, KernelService>): boolean {
  switch (op.op) {
    case 'addService':
    case 'editService': {
      const k = kernel.get(op.service.key);
      return k !== undefined && k.scheduler === op.service.scheduler && k.persistent === op.service.persistent;
    }
    case 'deleteService':
      return !kernel.has(op.key);
    case 'addReal':
    case 'editReal': {
      const r = kernel.get(op.key)?.reals.find((x) => x.address === op.real.address && x.port === op.real.port);
      return r !== undefined && r.weight === op.real.weight && r.method === op.real.method;
    }
    case 'deleteReal': {
      const k = kernel.get(op.key);
      return k === undefined || !k.reals.some((x) => x.address === op.address && x.port === op.port);
    }
  }
}
