// The lvs.cf files of bench/scale: N virtual servers × 20 real servers in the GUI's layout, the
// shape of bench/lvs-cf's generator (same keys, same order, a block of 256 consecutive virtual
// servers shares its 20 real server addresses, ports cycling over three values), with the
// addresses either of a lab network (`lab`: nothing is reachable, for the console's figures) or
// on loopback (`loopback`: VIPs the userspace dataplane can bind and real servers one local
// backend answers, for the agent's figures).
//
//   node --import tsx bench/scale/generate.ts 10000 [--loopback PORT] > lvs.cf

export const SERVERS_PER_VIRTUAL = 20;

export interface Layout {
  virtuals: number;
  /** Loopback addresses with ports PORT, PORT+1, PORT+2; lab addresses and ports 80–82 when absent. */
  loopbackPort?: number;
}

/** The VIP of virtual server `v`. */
export function vipOf(layout: Layout, v: number): string {
  return layout.loopbackPort === undefined ? `10.${1 + (v >> 16)}.${(v >> 8) & 255}.${v & 255}` : `127.${1 + (v >> 16)}.${(v >> 8) & 255}.${v & 255}`;
}

/** The address of real server `s` of virtual server `v` (shared by the 256 virtual servers of a block). */
export function realOf(layout: Layout, v: number, s: number): string {
  return layout.loopbackPort === undefined ? `172.${16 + (v >> 16)}.${(v >> 8) & 255}.${s + 1}` : `127.${9 + (v >> 16)}.${(v >> 8) & 255}.${s + 1}`;
}

/** The port of virtual server `v` and of its real servers. */
export function portOf(layout: Layout, v: number): number {
  return (layout.loopbackPort ?? 80) + (v % 3);
}

/** Every distinct real server address:port of the layout (what one backend has to answer on). */
export function realEndpoints(layout: Layout): { address: string; port: number }[] {
  const seen = new Map<string, { address: string; port: number }>();
  for (let v = 0; v < layout.virtuals; v++) {
    for (let s = 0; s < SERVERS_PER_VIRTUAL; s++) {
      const address = realOf(layout, v, s);
      const port = portOf(layout, v);
      seen.set(`${address}:${port}`, { address, port });
    }
  }
  return [...seen.values()];
}

export function generate(layout: Layout): string {
  // On loopback the router's own addresses are this machine's, so the agent runs standalone
  // without a note; the lab file names a pair of routers elsewhere, as bench/lvs-cf's does.
  const routers = layout.loopbackPort === undefined ? ['primary = 10.0.0.1', 'service = lvs', 'backup_active = 1', 'backup = 10.0.0.2'] : ['primary = 127.0.0.1', 'service = lvs', 'backup_active = 0'];
  const out: string[] = [
    'serial_no = 42', ...routers, 'heartbeat = 1', 'heartbeat_port = 539', 'keepalive = 6', 'deadtime = 18', 'network = direct',
    'debug_level = NONE', 'monitor_links = 0', 'syncdaemon = 0',
  ];
  for (let v = 0; v < layout.virtuals; v++) {
    const port = portOf(layout, v);
    out.push(
      `virtual vs${v} {`, '     active = 1', `     address = ${vipOf(layout, v)} eth0:${v % 100}`, `     port = ${port}`,
      '     send = "GET / HTTP/1.0\\r\\n\\r\\n"', '     expect = "HTTP"', '     use_regex = 0', '     load_monitor = none',
      '     scheduler = wlc', '     protocol = tcp', '     timeout = 6', '     reentry = 15', '     quiesce_server = 0',
    );
    for (let s = 0; s < SERVERS_PER_VIRTUAL; s++) {
      out.push(`     server rs${s} {`, `         address = ${realOf(layout, v, s)}`, '         active = 1', `         port = ${port}`, `         weight = ${1 + (s % 4)}`, '     }');
    }
    out.push('}');
  }
  return out.map((l) => `${l}\n`).join('');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--loopback');
  const virtuals = Number(args.find((a, n) => /^\d+$/.test(a) && args[n - 1] !== '--loopback') ?? 1000);
  process.stdout.write(generate({ virtuals, loopbackPort: i >= 0 ? Number(args[i + 1]) : undefined }));
}
