// The userspace dataplane as its own process for the benchmark: one TCP service VIP:PORT,
// round robin over the given real servers (as the HAProxy side's `balance roundrobin`).
// Usage: node --import tsx bench/dataplane/userspace-proc.ts VIP:PORT REAL:PORT [REAL:PORT...]
// Prints "ready" once listening; prints the table as JSON and exits on SIGTERM.
import { UserspaceDataplane } from '../../agent/dataplane/userspace/dataplane.ts';

const [vip, ...reals] = process.argv.slice(2);
const [address, port] = vip!.split(':');
const key = `tcp|${address}|${port}`;
const dp = new UserspaceDataplane();
await dp.start();
const r = await dp.apply([
  {
    op: 'addService',
    service: { key, name: 'bench', protocol: 'tcp', address: address!, port: Number(port), fwmark: 0, scheduler: 'rr', persistent: 0, pmask: null },
  },
  ...reals.map((x) => {
    const [a, p] = x.split(':');
    return { op: 'addReal' as const, key, real: { address: a!, port: Number(p), weight: 1, method: 'm' as const } };
  }),
]);
const [svc] = await dp.table();
if (r.failures.length > 0 || svc!.problem !== null) {
  process.stderr.write(`${JSON.stringify({ failures: r.failures, problem: svc!.problem })}\n`);
  process.exit(1);
}
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  process.stdout.write(`${JSON.stringify(await dp.table())}\n`);
  await dp.stop();
  process.exit(0);
});
