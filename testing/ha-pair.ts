// lvs.cf and ports for a redundant pair on loopback, as agent/agent-ha.test.ts runs it: 127.0.0.1 is
// the primary, a fresh 127.x address the backup (the agents are told their role with --node), the
// VIP on a device that does not exist so `ip addr add` fails and is reported instead of touching
// this machine. Shared by the console's integration test and the browser test.
import { lvsCf } from './agent.ts';

export { heartbeatPort } from './agent.ts';

/** A pair's lvs.cf: keepalive 1 s, deadtime 2 s, one virtual server on a device that does not exist. */
export function pairCf(o: { serial: number; backup: string; port: number; vip: string }): string {
  return lvsCf({ serial: o.serial, virtuals: [{ name: 'web', vip: o.vip, port: 80, servers: [] }] })
    .replace('backup_active = 0', `backup_active = 1\nbackup = ${o.backup}\nmonitor_links = 0`)
    .replace('heartbeat_port = 539', `heartbeat_port = ${o.port}`)
    .replace('keepalive = 6', 'keepalive = 1')
    .replace('deadtime = 18', 'deadtime = 2')
    .replace(`address = ${o.vip} lo`, `address = ${o.vip} pirtest0:1`);
}
