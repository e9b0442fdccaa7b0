// One virtual service of the userspace dataplane: its real servers, its scheduler, its persistence
// templates, and the socket that receives its clients (TCP or UDP listener, attached by the
// dataplane). Holds no sockets itself, so the scheduling logic can be followed in one place.
import { createScheduler, type SchedulerAlgorithm } from '../schedulers/index.ts';
import type { RealSpec, ServiceSpec } from '../types.ts';
import { parseIPv4 } from '../../../common/ipv4.ts';
import { PersistenceTable, type Template } from './persistence.ts';
import { Real } from './real.ts';

export interface Assignment {
  real: Real;
  /** The persistence template this connection holds, released when it ends. */
  template: Template | null;
  table: PersistenceTable | null;
}

/** A service's pmask as an integer: none means 255.255.255.255, one address per template. */
function persistenceMask(pmask: string | null): number {
  return pmask === null ? 0xffffffff : parseIPv4(pmask) ?? 0;
}

export class Service {
  spec: ServiceSpec;
  readonly reals: Real[] = [];
  /** The VIP as an integer: the "destination address" lblc, lblcr and dh key on. */
  readonly vip: number;
  private scheduler: SchedulerAlgorithm<Real>;
  private persistence: PersistenceTable | null = null;

  constructor(
    spec: ServiceSpec,
    private readonly inactiveWindowSeconds: number,
  ) {
    this.spec = spec;
    this.vip = parseIPv4(spec.address) ?? 0;
    this.scheduler = createScheduler<Real>(spec.scheduler, this.reals);
    this.configurePersistence();
  }

  private configurePersistence(): void {
    const { persistent, pmask } = this.spec;
    if (persistent <= 0) {
      this.persistence = null;
    } else if (this.persistence === null) {
      this.persistence = new PersistenceTable(persistent * 1000, persistenceMask(pmask));
    } else {
      this.persistence.reconfigure(persistent * 1000, persistenceMask(pmask));
    }
  }

  /** editService: scheduler and persistence change in place; open connections are untouched. */
  update(spec: ServiceSpec): void {
    const schedulerChanged = spec.scheduler !== this.spec.scheduler;
    this.spec = spec;
    if (schedulerChanged) this.scheduler = createScheduler<Real>(spec.scheduler, this.reals);
    this.configurePersistence();
  }

  findReal(address: string, port: number): Real | undefined {
    return this.reals.find((r) => r.address === address && r.port === port);
  }

  addReal(spec: RealSpec): void {
    this.reals.push(new Real(spec, this.inactiveWindowSeconds));
    this.scheduler.destinationsChanged(this.reals);
  }

  editReal(real: Real, spec: RealSpec): void {
    real.weight = spec.weight;
    real.method = spec.method;
    this.scheduler.destinationsChanged(this.reals);
  }

  /** The server leaves the table; its open connections keep flowing (IPVS does the same). */
  deleteReal(real: Real): void {
    real.available = false;
    this.reals.splice(this.reals.indexOf(real), 1);
    this.scheduler.destinationsChanged(this.reals);
  }

  /**
   * Chooses the real server for a new connection from `source`, counting it as active, or null when
   * no server can take it (none, or all quiesced and no template).
   */
  assign(source: number, now: number): Assignment | null {
    const table = this.persistence;
    if (table !== null) {
      const template = table.acquire(source, now);
      if (template !== null) {
        template.real.connections++;
        return { real: template.real, template, table };
      }
    }
    const real = this.scheduler.schedule(this.reals, source, this.vip);
    if (real === null) return null;
    real.connections++;
    return { real, template: table === null ? null : table.create(source, real), table };
  }

  /** Once a second: expire closed connections from the inactive counts and idle templates. */
  tick(now: number): void {
    for (const r of this.reals) r.tick();
    this.persistence?.sweep(now);
  }
}
