// Chooses the dataplane the agent runs: `userspace` (the default: the agent forwards the traffic
// itself, no root or kernel module needed) or `ipvs` (the kernel forwards; driven through ipvsadm).
import type { Dataplane } from './types.ts';
import { UserspaceDataplane, type UserspaceOptions } from './userspace/dataplane.ts';
import { IpvsDataplane, type IpvsOptions } from './ipvs/dataplane.ts';

export type { Dataplane } from './types.ts';
export { UserspaceDataplane, type UserspaceOptions } from './userspace/dataplane.ts';
export { IpvsDataplane, type IpvsOptions } from './ipvs/dataplane.ts';

export interface DataplaneOptions {
  userspace?: UserspaceOptions;
  ipvs?: IpvsOptions;
}

export function createDataplane(kind: 'userspace' | 'ipvs', opts: DataplaneOptions = {}): Dataplane {
  return kind === 'ipvs' ? new IpvsDataplane(opts.ipvs) : new UserspaceDataplane(opts.userspace);
}
