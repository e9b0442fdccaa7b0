// The one local backend of bench/scale's agent figures, as a process of its own so that its CPU
// does not disturb the console or the agent being measured: it listens on every real server
// address:port of a loopback layout (generate.ts) and answers the first bytes of each connection
// with an HTTP status line, then closes, which is what every health check of the layout expects.
// It uses bench/checks/servers.ts, on the agent's raw TCP handles for the reason given there.
//
//   node --import tsx bench/scale/backend.ts VIRTUALS PORT     (prints "ready N" once listening)
import { serveEndpoints } from '../checks/servers.ts';
import { realEndpoints } from './generate.ts';

const [virtuals, port] = process.argv.slice(2).map(Number);
if (!virtuals || !port) throw new Error('usage: backend.ts VIRTUALS PORT');
const endpoints = realEndpoints({ virtuals, loopbackPort: port });
serveEndpoints(endpoints, 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n');
process.stdout.write(`ready ${endpoints.length}\n`);
// Ends with its parent (the benchmark), whatever the way it ends.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
