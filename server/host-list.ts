// One host everywhere: every real server entry of lvs.cf at one address (a host behind many VIPs),
// and the edits that deactivate or reactivate it in all of them as one save. Pure: the route
// (routes/host.ts) runs the edits through the save flow, so they are validated, atomic, versioned,
// audited as one change and refused when stale.
import type { Edit, LvsConfig } from '../lvs-cf/index.ts';

/** What can be done to a host in every virtual server at once. */
export const HOST_ACTIONS = ['deactivate', 'activate'] as const;
export type HostAction = (typeof HOST_ACTIONS)[number];

export interface HostEntry {
  /** Indexes in the file: the virtual server and its real server. */
  virtual: number;
  server: number;
  vname: string;
  vactive: boolean;
  vip: string;
  vport: number;
  protocol: string;
  name: string;
  port: number;
  weight: number;
  active: boolean;
}

export function hostHref(address: string): string {
  return `/secure/host?address=${encodeURIComponent(address)}`;
}

/** Every real server entry at `address`, in file order. */
export function hostEntries(model: LvsConfig, address: string): HostEntry[] {
  const out: HostEntry[] = [];
  model.virtuals.forEach((v, vi) => {
    v.servers.forEach((s, si) => {
      if (s.address !== address) return;
      out.push({
        virtual: vi, server: si, vname: v.name, vactive: v.active, vip: v.address ?? '', vport: v.port, protocol: v.protocol,
        name: s.name, port: s.port, weight: s.weight, active: s.active,
      });
    });
  });
  return out;
}

/** How many virtual servers have a real server at `address`. */
export function hostServes(model: LvsConfig, address: string): number {
  let n = 0;
  for (const v of model.virtuals) if (v.servers.some((s) => s.address === address)) n++;
  return n;
}

export interface HostChange {
  edits: Edit[];
  /** The virtual servers touched, in file order, each once. */
  virtuals: string[];
  /** Real server entries changed. */
  entries: number;
}

/** The edits that make every real server entry at `address` active (or inactive); none already so is touched. */
export function hostChange(model: LvsConfig, address: string, action: HostAction): HostChange {
  const active = action === 'activate';
  const edits: Edit[] = [];
  const virtuals: string[] = [];
  for (const e of hostEntries(model, address)) {
    if (e.active === active) continue;
    edits.push({ op: 'setActive', target: { scope: 'server', virtual: e.virtual, server: e.server }, active });
    if (virtuals[virtuals.length - 1] !== e.vname) virtuals.push(e.vname);
  }
  return { edits, virtuals, entries: edits.length };
}

/** The audit log's words for a host change: the action, the address and every virtual server touched. */
export function hostActionText(address: string, action: HostAction, change: HostChange): string {
  const entries = `${change.entries} real server entr${change.entries === 1 ? 'y' : 'ies'}`;
  return `${action} real server ${address} in ${change.virtuals.length} virtual server${change.virtuals.length === 1 ? '' : 's'} (${entries}): ${change.virtuals.join(', ')}`;
}
