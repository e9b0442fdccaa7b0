// The dataplane's live view (what it reports, counters and all) as the director's Table, the form
// director.diff() starts from. A plan compares against this rather than against what the agent
// believes it applied, so a table changed behind the agent's back (ipvsadm by hand) shows up too.
import type { ServiceStats } from '../dataplane/types.ts';
import type { Table } from '../director.ts';
import { realKey } from '../service-plan.ts';

export function liveTable(services: readonly ServiceStats[]): Table {
  const table: Table = new Map();
  for (const s of services) {
    const { key, name, protocol, address, port, fwmark, scheduler, persistent, pmask } = s;
    const reals = new Map(s.reals.map((r) => [realKey(r.address, r.port), { address: r.address, port: r.port, weight: r.weight, method: r.method }]));
    table.set(key, { spec: { key, name, protocol, address, port, fwmark, scheduler, persistent, pmask }, reals });
  }
  return table;
}
