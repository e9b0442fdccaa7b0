// The real servers of bench/checks: tiny HTTP-ish responders that answer the first bytes they
// receive with a status line and close. They run on the agent's raw TCP handles
// (agent/net/raw-tcp.ts) rather than net.Server, because at 10,000 checks a second net.Server
// needed about a core of its own on this 2-core machine and, not the checker, became the limit.
import * as raw from '../../agent/net/raw-tcp.ts';

export interface Servers {
  targets: { address: string; port: number }[];
  /** Connections answered so far. */
  answered(): number;
  close(): void;
}

const READ_BUFFER = Buffer.allocUnsafe(16 * 1024);
let reply: Buffer = Buffer.alloc(0);
let answered = 0;

function closeAfterWrite(_status: number, handle: raw.TcpHandle): void {
  handle.close();
}

function onRead(this: raw.TcpHandle): void {
  const n = raw.readResult();
  if (n <= 0) {
    this.close();
    return;
  }
  this.readStop();
  answered++;
  // The reply is a constant buffer, so a write that has to wait may keep pointing at it.
  const w = raw.write(this, reply, closeAfterWrite);
  if (w !== raw.WRITE_PENDING) this.close();
}

function onConnection(status: number, client?: raw.TcpHandle): void {
  if (status !== 0 || client === undefined) return;
  client.onread = onRead;
  client.useUserBuffer(READ_BUFFER);
  if (client.readStart() !== 0) client.close();
}

/** `perAddress` servers on each address, on ephemeral ports, all answering `text`. */
export function startServers(addresses: string[], perAddress: number, text: string): Servers {
  return serveEndpoints(addresses.flatMap((address) => Array.from({ length: perAddress }, () => ({ address, port: 0 }))), text);
}

/** One server on each address:port (port 0: an ephemeral one), all answering `text`. */
export function serveEndpoints(endpoints: { address: string; port: number }[], text: string): Servers {
  reply = Buffer.from(text);
  const handles: raw.TcpHandle[] = [];
  const targets: Servers['targets'] = [];
  for (const { address, port } of endpoints) {
    const h = raw.createServer();
    const err = raw.listen(h, address, port, 4096);
    if (err !== 0) throw new Error(`listen on ${address}:${port}: ${raw.errorName(err)}`);
    h.onconnection = onConnection;
    handles.push(h);
    targets.push({ address, port: raw.localPort(h)! });
  }
  return { targets, answered: () => answered, close: () => handles.forEach((h) => h.close()) };
}
