// Draining a real server (or every real server of a virtual server) before maintenance, pure.
//
// A drain is a saved change: the real server's weight becomes 0 in lvs.cf, so the agent keeps it in
// the table at weight 0 (new connections go to the others, established ones stay, as keepalived and
// ldirectord users do it by hand), and the backup router, an agent restart and a configuration sync
// all see the same thing. What the file cannot hold (the weight before the drain, when to deactivate
// by itself) is the console's record (<root>/drains.json). DEACTIVATE ends the drain in one save:
// `active = 0` and the weight it had, so activating it again after the maintenance brings it back
// as it was. A drain whose server is no longer at weight 0 in the file (someone set a weight) is over.
import { z } from 'zod';
import type { Edit, LvsConfig } from '../../lvs-cf/index.ts';

export const drainSchema = z.object({
  virtual: z.string(),
  /** null: every real server of the virtual server. */
  server: z.string().nullable(),
  startedAt: z.string(),
  /** When the console deactivates by itself, null for never. */
  deactivateAt: z.string().nullable(),
  client: z.string(),
  /** The weight of each drained real server before the drain, by name. */
  weights: z.record(z.string(), z.number().int()),
});
export type Drain = z.infer<typeof drainSchema>;

export const drainsStateSchema = z.object({ drains: z.array(drainSchema) });
export type DrainsState = z.infer<typeof drainsStateSchema>;

export const NO_DRAINS: DrainsState = { drains: [] };

/** The automatic deactivation delays offered, in seconds (null: never). */
export const DEFAULT_DRAIN_TIMEOUTS = [60, 300, 900, 3600] as const;

export function sameDrain(d: Drain, virtual: string, server: string | null): boolean {
  return d.virtual === virtual && d.server === server;
}

/** Where a drain's servers are in `model`: the virtual server's index and the drained servers' indexes. */
export function locate(model: LvsConfig, virtual: string, server: string | null): { v: number; servers: number[] } | null {
  const v = model.virtuals.findIndex((x) => x.name === virtual);
  if (v < 0) return null;
  const all = model.virtuals[v]!.servers;
  if (server === null) return { v, servers: all.map((_, i) => i).filter((i) => all[i]!.active) };
  const s = all.findIndex((x) => x.name === server);
  return s < 0 ? null : { v, servers: [s] };
}

/** Whether the drain still holds in `model`: its real servers active, at weight 0. */
export function inEffect(d: Drain, model: LvsConfig): boolean {
  const at = locate(model, d.virtual, d.server);
  if (!at) return false;
  const servers = model.virtuals[at.v]!.servers;
  const drained = Object.keys(d.weights);
  return drained.length > 0 && drained.every((name) => servers.some((s) => s.name === name && s.active && s.weight === 0));
}

/**
 * The edits that start a drain, and the weights to remember; or why it cannot start (nothing active
 * to drain, or already at weight 0).
 */
export function startDrain(model: LvsConfig, virtual: string, server: string | null): { edits: Edit[]; weights: Record<string, number> } | { problem: string } {
  const at = locate(model, virtual, server);
  if (!at) return { problem: `There is no ${server === null ? `virtual server ${virtual}` : `real server ${server} in ${virtual}`} (it may have been renamed or deleted).` };
  if (!model.virtuals[at.v]!.active) return { problem: `Virtual server ${virtual} is not active: it serves no connections to drain.` };
  const servers = model.virtuals[at.v]!.servers;
  const edits: Edit[] = [];
  const weights: Record<string, number> = {};
  for (const i of at.servers) {
    const s = servers[i]!;
    if (!s.active) continue;
    if (s.weight === 0) continue;
    weights[s.name] = s.weight;
    edits.push({ op: 'set', target: { scope: 'server', virtual: at.v, server: i }, key: 'weight', value: 0 });
  }
  if (edits.length === 0) {
    return { problem: server === null ? `${virtual} has no active real server with a weight to drain.` : `${server} is ${servers[at.servers[0]!]!.active ? 'already at weight 0' : 'not active'}: there is nothing to drain.` };
  }
  return { edits, weights };
}

/**
 * The edits that end a drain: `undrain` gives each drained server its weight back; `deactivate`
 * also sets the real server (or the virtual server) inactive, in the same save.
 */
export function endDrain(model: LvsConfig, d: Drain, how: 'undrain' | 'deactivate'): Edit[] {
  const at = locate(model, d.virtual, d.server);
  if (!at) return [];
  const servers = model.virtuals[at.v]!.servers;
  const edits: Edit[] = [];
  for (const [name, weight] of Object.entries(d.weights)) {
    const i = servers.findIndex((s) => s.name === name);
    if (i < 0 || servers[i]!.weight === weight) continue;
    edits.push({ op: 'set', target: { scope: 'server', virtual: at.v, server: i }, key: 'weight', value: weight });
  }
  if (how === 'deactivate') {
    if (d.server === null) {
      if (model.virtuals[at.v]!.active) edits.push({ op: 'setActive', target: { scope: 'virtual', virtual: at.v }, active: false });
    } else if (servers[at.servers[0]!]!.active) {
      edits.push({ op: 'setActive', target: { scope: 'server', virtual: at.v, server: at.servers[0]! }, active: false });
    }
  }
  return edits;
}

/** How a drain is named in the audit log and the pages. */
export function drainLabel(virtual: string, server: string | null): string {
  return server === null ? `virtual server ${virtual}` : `real server ${server} of ${virtual}`;
}
