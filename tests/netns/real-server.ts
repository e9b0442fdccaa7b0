// A real server of the namespace tests, run in rs1/rs2: an HTTP server on ADDRESS:PORT that answers
// every request with `NAME via PEER`, PEER being the address the connection came from. The
// userspace dataplane is a proxy, so PEER is the router that forwarded the request: the client
// can tell both which real server and which router served it.
// Run: ip netns exec NS node --import tsx tests/netns/real-server.ts NAME ADDRESS PORT
import { createServer } from 'node:http';
import { z } from 'zod';

const [name, address, port] = z
  .tuple([z.string().regex(/^[a-z0-9-]+$/), z.ipv4(), z.coerce.number().int().min(1).max(65535)])
  .parse(process.argv.slice(2));

const server = createServer((req, res) => {
  const peer = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '?';
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`${name} via ${peer}\n`);
});
server.listen(port, address, () => process.stdout.write(`listening ${address}:${port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
