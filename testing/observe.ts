// The observability tests' bench: the console (real piranha-gui on HTTP) with the real agent on its
// socket, a virtual server on loopback whose real servers answer HTTP checks (one of them down),
// and GET helpers that log in.
import { join } from 'node:path';
import { createConnection, type Server } from 'node:net';
import { spawnAgent, type SpawnedAgent } from './agent.ts';
import { AUTH, startConsole, type Harness } from './console.ts';
import { lvsCf } from './lvs-cf.ts';
import { freePort, loopback } from './net.ts';
import { startReplyServer } from './traffic.ts';
import { waitFor } from './wait.ts';

export interface ObserveBench {
  gui: Harness;
  agent: SpawnedAgent;
  socket: string;
  vip: { host: string; port: number };
  /** The real server that answers (`ok`), its address. */
  ok: { host: string; port: number };
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  text(path: string): Promise<string>;
  close(): Promise<void>;
}

/** Virtual server `web` with real servers `ok` (answers `HTTP/1.0 200 OK`) and `dead` (refuses). */
export async function observeBench(): Promise<ObserveBench> {
  const okHost = loopback();
  const okPort = await freePort(okHost);
  const web: Server = await startReplyServer(okHost, okPort, 'HTTP/1.0 200 OK\r\nServer: test\r\n\r\nhello');
  const deadHost = loopback();
  const vipHost = loopback();
  const vip = { host: vipHost, port: await freePort(vipHost) };
  const lvs = lvsCf({
    serial: 5,
    virtuals: [{
      name: 'web', vip: vip.host, port: vip.port, send: 'GET / HTTP/1.0\\r\\n\\r\\n', expect: 'HTTP/1.0 200', timeout: 1, reentry: 0,
      servers: [{ name: 'ok', address: okHost, port: okPort }, { name: 'dead', address: deadHost, port: await freePort(deadHost) }],
    }],
  });
  const gui = await startConsole({ lvs, agentInRoot: true });
  const socket = join(gui.root, 'agent.sock');
  // One traffic sample a second: the sparklines move while a test watches.
  const agent = await spawnAgent({ root: gui.root, socket, args: ['--sample-interval', '1'] });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(gui.url + path, { headers: { authorization: AUTH, ...headers } });
  const client = await agent.client();
  await waitFor(async () => (await client.call('checkers', {})).checkers.filter((c) => c.lastCheck !== null).length === 2, { message: 'both real servers checked' });
  client.close();
  return {
    gui, agent, socket, vip, ok: { host: okHost, port: okPort }, get,
    text: async (path) => (await get(path)).text(),
    async close() {
      await agent.stop().catch(() => {});
      await gui.close();
      await new Promise((r) => web.close(r));
    },
  };
}

/** A page's text as a reader sees it (tags dropped, entities of our templates decoded). */
export function pageText(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}

/** One request through host:port as a check or a client would make it: what came back, once closed. */
export function askHttp(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port }, () => sock.write('GET / HTTP/1.0\r\n\r\n'));
    let got = '';
    sock.setEncoding('utf8').on('data', (d: string) => (got += d));
    sock.setTimeout(5000, () => sock.destroy(new Error(`no answer from ${host}:${port} within 5 s`)));
    sock.on('error', reject);
    sock.on('close', () => resolve(got));
  });
}
