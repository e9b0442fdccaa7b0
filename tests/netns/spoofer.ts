// The attacker of the spoofing test, run in a third namespace. Source-address spoofing and packet
// capture are done by nftables rules the test installs (SNAT to the primary's address, dup of the
// primary's heartbeats to us); this program only builds, receives and sends datagrams:
//   forge   --to IP --port P --state standby|active|stopping [--key HEX]   one forged heartbeat
//   capture --bind IP --port P                                             prints one received datagram as hex
//   replay  --to IP --port P --hex HEX                                     sends those bytes again
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { encodeHeartbeat } from '../../agent/ha/heartbeat-packet.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { to: { type: 'string' }, bind: { type: 'string' }, port: { type: 'string' }, state: { type: 'string' }, key: { type: 'string' }, hex: { type: 'string' } },
});
const port = z.coerce.number().int().min(1).max(65535).parse(values.port);
const sock = createSocket('udp4');

function send(bytes: Buffer, to: string): Promise<void> {
  return new Promise((resolve, reject) => sock.send(bytes, port, to, (err) => (err ? reject(err) : resolve())));
}

switch (positionals[0]) {
  case 'forge': {
    const state = z.enum(['standby', 'active', 'stopping']).parse(values.state);
    const key = values.key ? Buffer.from(z.string().regex(/^[0-9a-f]{64}$/).parse(values.key), 'hex') : null;
    const packet = encodeHeartbeat(
      { node: 'primary', state, serial: 999, bootId: randomBytes(8).toString('hex'), seq: 1n << 40n, timeMs: Date.now() + 3_600_000, keepaliveMs: 1000 },
      key,
    );
    await send(packet, z.string().parse(values.to));
    sock.close();
    break;
  }
  case 'capture':
    sock.bind(port, z.string().parse(values.bind), () => process.stderr.write('listening\n'));
    sock.once('message', (msg) => {
      process.stdout.write(`${msg.toString('hex')}\n`);
      sock.close();
    });
    break;
  case 'replay':
    await send(Buffer.from(z.string().regex(/^[0-9a-f]+$/).parse(values.hex), 'hex'), z.string().parse(values.to));
    sock.close();
    break;
  default:
    process.stderr.write('usage: spoofer forge|capture|replay ...\n');
    process.exit(2);
}
