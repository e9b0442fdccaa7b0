// One host everywhere: every real server entry of lvs.cf at one address (a host behind many VIPs),
// and the edits that drain, deactivate or reactivate it in all of them as one save. Pure: the route
// (routes/host.ts) runs the edits through the save flow, so they are validated, atomic, versioned,
// audited as one change and refused when stale.
import type { Edit, LvsConfig } from '../lvs-cf/index.ts';
import type { Drain } from './drain/drains.ts';

/**
 * What can be done to a host in every virtual server at once: drain it (weight 0, as drain/drains.ts
 * does for one real server: new clients go to the others, open connections stay), give the drained
 * weights back, take it out (ending its drains: their weights are written back for later) or put it
 * back.
 */
export const HOST_ACTIONS = ['drain', 'undrain', 'deactivate', 'activate'] as const;
export type HostAction = (typeof HOST_ACTIONS)[number];

/** The drain recorded for one real server (by virtual and real server name), if any. */
export type DrainOf = (virtual: string, server: string) => Drain | undefined;

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
  /**
   * drain: the drains begun, with the weight each entry had; undrain and deactivate: the drains
   * ended (their weight written back). By virtual and real server name, as the drains are kept.
   */
  drains: { virtual: string; server: string; weight: number }[];
}

/** The weight a drain recorded for `e` when it still holds (active, at weight 0), else undefined. */
function drainedWeight(e: HostEntry, drainOf: DrainOf): number | undefined {
  if (!e.active || e.weight !== 0) return undefined;
  return drainOf(e.vname, e.name)?.weights[e.name];
}

/**
 * The edits of `action` on every real server entry at `address`; an entry already as asked is not
 * touched. Drain leaves out the entries of inactive virtual servers (they serve no connection) and
 * those at weight 0 already; undrain concerns the entries with a drain on record.
 */
export function hostChange(model: LvsConfig, address: string, action: HostAction, drainOf: DrainOf = () => undefined): HostChange {
  const edits: Edit[] = [];
  const virtuals: string[] = [];
  const drains: HostChange['drains'] = [];
  let entries = 0;
  for (const e of hostEntries(model, address)) {
    const target = { scope: 'server' as const, virtual: e.virtual, server: e.server };
    const before = edits.length;
    const drained = drainedWeight(e, drainOf);
    if (action === 'activate' && !e.active) {
      edits.push({ op: 'setActive', target, active: true });
    } else if (action === 'deactivate' && e.active) {
      if (drained !== undefined) {
        edits.push({ op: 'set', target, key: 'weight', value: drained });
        drains.push({ virtual: e.vname, server: e.name, weight: drained });
      }
      edits.push({ op: 'setActive', target, active: false });
    } else if (action === 'drain' && e.active && e.vactive && e.weight > 0) {
      edits.push({ op: 'set', target, key: 'weight', value: 0 });
      drains.push({ virtual: e.vname, server: e.name, weight: e.weight });
    } else if (action === 'undrain' && drained !== undefined && drained !== 0) {
      edits.push({ op: 'set', target, key: 'weight', value: drained });
      drains.push({ virtual: e.vname, server: e.name, weight: drained });
    }
    if (edits.length === before) continue;
    entries++;
    if (virtuals[virtuals.length - 1] !== e.vname) virtuals.push(e.vname);
  }
  return { edits, virtuals, entries, drains };
}

/** Why `action` changes nothing at `address` (hostChange gave no edit), in the page's words. */
export function hostNothingToDo(model: LvsConfig, address: string, action: HostAction): string {
  const all = hostEntries(model, address);
  if (all.length === 0) return `No real server has the address ${address}.`;
  const why: Record<HostAction, string> = {
    activate: `Every real server entry of ${address} is already active`,
    deactivate: `Every real server entry of ${address} is already inactive`,
    drain: `No real server entry of ${address} has a weight to drain (active, in an active virtual server, weight above 0)`,
    undrain: `No drain of ${address} started from this console holds any more`,
  };
  return `${why[action]}: lvs.cf was not written.`;
}

/** The audit log's words for a host change: the action, the address and every virtual server touched. */
export function hostActionText(address: string, action: HostAction, change: HostChange): string {
  const entries = `${change.entries} real server entr${change.entries === 1 ? 'y' : 'ies'}`;
  return `${action} real server ${address} in ${change.virtuals.length} virtual server${change.virtuals.length === 1 ? '' : 's'} (${entries}): ${change.virtuals.join(', ')}`;
}
