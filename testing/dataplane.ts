// The userspace dataplane in tests, in this process: service and real-server specs, and a started
// dataplane with one TCP service towards given real servers. Also a dataplane a test scripts.
import type { Dataplane, ServiceSpec, RealSpec } from '../agent/dataplane/types.ts';
import { UserspaceDataplane, type UserspaceOptions } from '../agent/dataplane/userspace/dataplane.ts';
import { freePort } from './net.ts';

export function tcpService(address: string, port: number, over: Partial<ServiceSpec> = {}): ServiceSpec {
  const protocol = over.protocol ?? 'tcp';
  return {
    key: `${protocol}|${address}|${port}`,
    name: 'test',
    protocol,
    address,
    port,
    fwmark: 0,
    scheduler: 'rr',
    persistent: 0,
    pmask: null,
    ...over,
  };
}

export function real(address: string, port: number, weight = 1): RealSpec {
  return { address, port, weight, method: 'm' };
}

/**
 * One TCP service on a fresh port of `vip` in `dp`, towards these real servers (weight 1 unless
 * given). Throws when the dataplane refuses any of it.
 */
export async function addTcpService(
  dp: UserspaceDataplane,
  vip: string,
  reals: { host: string; port: number; weight?: number }[],
): Promise<{ port: number; key: string }> {
  const port = await freePort(vip);
  const key = `tcp|${vip}|${port}`;
  const r = await dp.apply([
    { op: 'addService', service: tcpService(vip, port) },
    ...reals.map((x) => ({ op: 'addReal' as const, key, real: real(x.host, x.port, x.weight ?? 1) })),
  ]);
  if (r.failures.length > 0) throw new Error(`dataplane refused the service: ${JSON.stringify(r.failures)}`);
  return { port, key };
}

/**
 * A started dataplane with one TCP service on a fresh port of `vip` towards these real servers;
 * `cleanups` gets the dataplane's stop. `stats()` is the first real server's counters.
 */
export async function startTcpService(
  vip: string,
  reals: { host: string; port: number }[],
  cleanups: (() => Promise<void> | void)[],
  opts: UserspaceOptions = {},
) {
  const dp = new UserspaceDataplane(opts);
  await dp.start();
  cleanups.push(() => dp.stop());
  const { port, key } = await addTcpService(dp, vip, reals);
  const stats = async () => (await dp.table())[0]!.reals[0]!;
  return { dp, port, key, stats };
}

/**
 * A dataplane that holds no table and answers each `apply` as `apply` says: for the tests of what
 * drives a dataplane (the applier, the reconcile loop), to refuse, copy or slow down operations.
 */
export function scriptedDataplane(kind: Dataplane['kind'], apply: Dataplane['apply']): Dataplane {
  return { kind, start: async () => {}, stop: async () => {}, table: async () => [], problems: async () => [], apply };
}
