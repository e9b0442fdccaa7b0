// A generated lvs.cf in the original GUI's layout (every field the GUI writes, in its order):
// `virtuals` virtual servers × 20 real servers. The benchmarks' files, and the large files of the
// property tests that must behave as on a real site's file.
import type { Edit } from '../lvs-cf/api-types.ts';

/** Real servers in each virtual server. */
export const SERVERS = 20;

/** A file as the original GUI writes it (docs/lvs-cf.md), with `virtuals` virtual servers. */
export function generate(virtuals: number): string {
  const out: string[] = [
    'serial_no = 42', 'primary = 10.0.0.1', 'service = lvs', 'backup_active = 1', 'backup = 10.0.0.2', 'heartbeat = 1',
    'heartbeat_port = 539', 'keepalive = 6', 'deadtime = 18', 'network = direct', 'debug_level = NONE', 'monitor_links = 0',
    'syncdaemon = 0',
  ];
  for (let v = 0; v < virtuals; v++) {
    const vip = `10.${1 + (v >> 16)}.${(v >> 8) & 255}.${v & 255}`;
    out.push(
      `virtual vs${v} {`, '     active = 1', `     address = ${vip} eth0:${v % 100}`, `     port = ${80 + (v % 3)}`,
      '     send = "GET / HTTP/1.0\\r\\n\\r\\n"', '     expect = "HTTP"', '     use_regex = 0', '     load_monitor = none',
      '     scheduler = wlc', '     protocol = tcp', '     timeout = 6', '     reentry = 15', '     quiesce_server = 0',
    );
    for (let s = 0; s < SERVERS; s++) {
      out.push(`     server rs${s} {`, `         address = 172.${16 + (v >> 16)}.${(v >> 8) & 255}.${s + 1}`, '         active = 1', `         port = ${80 + (v % 3)}`, `         weight = ${1 + (s % 4)}`, '     }');
    }
    out.push('}');
  }
  return out.map((l) => `${l}\n`).join('');
}

/**
 * The one-virtual-server saves the console makes, each as the edits of one save, on virtual server
 * `v` (which must have six real servers or more): a real server's weight, a virtual server field,
 * ADD and DELETE a real server, and (DE)ACTIVATE one.
 */
export function consoleSaves(v: number): Edit[][] {
  return [
    [{ op: 'set', target: { scope: 'server', virtual: v, server: 3 }, key: 'weight', value: 9 }],
    [{ op: 'set', target: { scope: 'virtual', virtual: v }, key: 'timeout', value: 7 }],
    [{ op: 'addServer', virtual: v, name: 'rs20', fields: { address: '10.9.9.9' } }],
    [{ op: 'removeServer', virtual: v, server: 5 }],
    [{ op: 'setActive', target: { scope: 'server', virtual: v, server: 5 }, active: false }],
  ];
}
