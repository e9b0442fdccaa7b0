// lvs.cf and ports for a redundant pair on loopback, as agent/agent-ha.test.ts runs it: 127.0.0.1 is
// the primary, a fresh 127.x address the backup (the agents are told their role with --node), the
// VIP on a device that does not exist so `ip addr add` fails and is reported instead of touching
// this machine. Shared by the console's integration test and the browser test.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { lvsCf } from '../../agent/test-support.ts';

/** A UDP port free on both addresses whose TCP port + 1 (configuration sync) is free too. */
export async function heartbeatPort(a: string, b: string): Promise<number> {
  const fits = async (port: number) => {
    for (const host of [a, b]) {
      const u = createSocket('udp4');
      await new Promise<void>((r, j) => {
        u.once('error', j);
        u.bind(port, host, () => r());
      });
      await new Promise<void>((r) => u.close(() => r()));
      const s = createServer();
      await new Promise<void>((r, j) => {
        s.once('error', j);
        s.listen(port + 1, host, () => r());
      });
      await new Promise<void>((r) => s.close(() => r()));
    }
  };
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      await fits(port);
      return port;
    } catch (err) {
      if (attempt > 50) throw err;
    }
  }
}

/** A pair's lvs.cf: keepalive 1 s, deadtime 2 s, one virtual server on a device that does not exist. */
export function pairCf(o: { serial: number; backup: string; port: number; vip: string }): string {
  return lvsCf({ serial: o.serial, virtuals: [{ name: 'web', vip: o.vip, port: 80, servers: [] }] })
    .replace('backup_active = 0', `backup_active = 1\nbackup = ${o.backup}\nmonitor_links = 0`)
    .replace('heartbeat_port = 539', `heartbeat_port = ${o.port}`)
    .replace('keepalive = 6', 'keepalive = 1')
    .replace('deadtime = 18', 'deadtime = 2')
    .replace(`address = ${o.vip} lo`, `address = ${o.vip} pirtest0:1`);
}
