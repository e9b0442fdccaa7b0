// lvs.cf files for the kernel suite, printed by the lvs-cf library from a model (the GUI's own
// layout) and parsed back: a file the library would refuse fails here, before any agent sees it.
import { defaultConfig, defaultVirtual, formatDiagnostic, parse, printModel, type LvsConfig, type Network, type Scheduler } from '../../../lvs-cf/index.ts';

export interface RealConfig {
  name: string;
  address: string;
  port?: number;
  weight: number;
  active?: boolean;
}

export interface VirtualConfig {
  name: string;
  address: string;
  device: string;
  port: number;
  fwmark?: number;
  scheduler: Scheduler;
  persistent?: number;
  pmask?: string;
  /** Seconds between checks, and each check's limit. */
  timeout?: number;
  reentry?: number;
  quiesce?: boolean;
  /**
   * What the health check expects to read. Default "rs": the greeting every real server of the
   * suite sends on connect ("rs1 80"), so the check is a connect-and-read, not nanny's HTTP GET
   * for port 80.
   */
  expect?: string;
  servers: RealConfig[];
}

export function lvsConfig(o: { serial?: number; network: Network; natRouter?: { address: string; device: string }; virtuals: VirtualConfig[] }): string {
  const model: LvsConfig = { ...defaultConfig(), serial_no: o.serial ?? 1, network: o.network, nat_router: o.natRouter ?? null };
  model.virtuals = o.virtuals.map((v, i) => ({
    ...defaultVirtual('virtual', v.name, i + 1),
    active: true,
    address: v.address,
    device: v.device,
    port: v.port,
    fwmark: v.fwmark ?? 0,
    scheduler: v.scheduler,
    persistent: v.persistent ?? 0,
    pmask: v.pmask ?? null,
    timeout: v.timeout ?? 6,
    reentry: v.reentry ?? 10,
    quiesce_server: v.quiesce ?? false,
    expect: v.expect ?? 'rs',
    servers: v.servers.map((s, j) => ({ name: s.name, address: s.address, active: s.active ?? true, weight: s.weight, port: s.port ?? v.port, line: j + 1 })),
  }));
  const text = printModel(model);
  const parsed = parse(text);
  if (!parsed.ok) {
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, text, 'lvs.cf'));
    throw new Error(`the suite built an invalid lvs.cf:\n${errors.join('\n')}`);
  }
  return text;
}
