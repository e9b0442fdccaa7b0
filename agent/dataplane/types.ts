// The contract between the director (which decides what the table should be) and a dataplane
// (which makes packets follow it). The director only ever sends the difference as operations.
import type { Scheduler, Protocol } from '../../lvs-cf/model.ts';

/** Forwarding method, as ipvsadm spells it: masquerading (NAT), gatewaying (direct), ipip (tunnel). */
export type ForwardMethod = 'm' | 'g' | 'i';

/** `tcp|VIP|PORT`, `udp|VIP|PORT` or `fwm|MARK`: identifies a service the way IPVS does. */
export type ServiceKey = string;

export interface ServiceSpec {
  key: ServiceKey;
  /** The lvs.cf virtual server this service comes from (for messages only). */
  name: string;
  protocol: Protocol;
  address: string;
  port: number;
  /** 0 when the service is keyed by address and port. */
  fwmark: number;
  scheduler: Scheduler;
  /** Seconds, 0 = no persistence. */
  persistent: number;
  /** Dotted mask applied to the client address for persistence, null = 255.255.255.255. */
  pmask: string | null;
}

export interface RealSpec {
  address: string;
  port: number;
  weight: number;
  method: ForwardMethod;
}

export type DataplaneOp =
  | { op: 'addService'; service: ServiceSpec }
  | { op: 'editService'; service: ServiceSpec }
  | { op: 'deleteService'; key: ServiceKey }
  | { op: 'addReal'; key: ServiceKey; real: RealSpec }
  | { op: 'editReal'; key: ServiceKey; real: RealSpec }
  | { op: 'deleteReal'; key: ServiceKey; address: string; port: number };

export interface RealStats {
  address: string;
  port: number;
  method: ForwardMethod;
  weight: number;
  activeConns: number;
  inactiveConns: number;
  connections: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface ServiceStats extends ServiceSpec {
  reals: RealStats[];
  /** Why this service carries no traffic (e.g. the VIP is not an address of this machine), else null. */
  problem: string | null;
}

export interface ApplyResult {
  /**
   * Operations that failed, with the reason; the others were applied. `index` is the operation's
   * position in the list given to apply(): the caller matches results to operations by it (a
   * dataplane works on validated copies, so the objects it holds are not the caller's).
   */
  failures: { index: number; message: string }[];
}

/** A service the dataplane cannot serve, and why. */
export interface ServiceProblem {
  key: ServiceKey;
  name: string;
  problem: string;
}

export interface Dataplane {
  readonly kind: 'userspace' | 'ipvs';
  /** Prepares the dataplane; rejects with a clear message when it cannot work here (e.g. no ipvsadm). */
  start(): Promise<void>;
  apply(ops: DataplaneOp[]): Promise<ApplyResult>;
  /**
   * The services this dataplane added, with their real servers and counters; only those of `only`
   * when given (a page of a large table: counters are read for those alone where the dataplane can).
   */
  table(only?: ReadonlySet<ServiceKey>): Promise<ServiceStats[]>;
  /** The services it added that carry no traffic, and why (the `problem` of table() without the rest). */
  problems(): Promise<ServiceProblem[]>;
  /** Removes every service this dataplane added (and nothing else), then releases resources. */
  stop(): Promise<void>;
}
