// The console facing an agent whose answers do not fit the protocol: every page that shows agent
// data says which answer was wrong and why, the buttons say so in their message, and the rest of
// the console keeps working. The agent here is the real socket server with handlers that answer
// wrongly, and its own check of its replies turned off (as in a production agent with a bug).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SocketServer, type Handlers } from '../agent/socket-server.ts';
import { quietHandlers, standaloneStatus } from '../testing/agent.ts';
import { makeConsole, follow } from '../testing/console.ts';
import { tempRoot } from '../testing/temp.ts';

const status = standaloneStatus(1, 77);

function text(html: string): string {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/\s+/g, ' ');
}

async function wrongAgent(t: import('node:test').TestContext, handlers: Partial<Record<keyof Handlers, () => Promise<unknown>>>) {
  const { socket: path, remove } = await tempRoot('piranha-wrong-agent-');
  const server = new SocketServer({ path, version: '0.0.0', handlers: quietHandlers(status, handlers as Partial<Handlers>), checkReplies: false });
  await server.listen();
  t.after(async () => {
    await server.close();
    await remove();
  });
  return path;
}

test('CONTROL/MONITORING: a status answer with a mistyped field is shown as the agent\'s error, naming it', async (t) => {
  const socket = await wrongAgent(t, { status: async () => ({ ...status, running: 'yes' }) });
  const c = await makeConsole(t, { agentSocket: socket });
  const page = await c.get('/secure/control');
  assert.equal(page.statusCode, 200);
  assert.match(text(page.body), new RegExp(`The agent at ${socket} sent an answer the console cannot use: the agent's reply to status does not match the protocol: running: `));
  const live = await c.get('/secure/control/live');
  assert.equal(live.statusCode, 200);
  assert.match(text(live.body), /sent an answer the console cannot use: the agent's reply to status does not match the protocol/);
  // The other panels keep working.
  assert.equal((await c.get('/secure/global')).statusCode, 200);
});

test('buttons and the reload after a save say what was wrong with the answer', async (t) => {
  const socket = await wrongAgent(t, {
    start: async () => ({ ...status, role: 'leader' }),
    reload: async () => ({ serial: 1 }),
  });
  const c = await makeConsole(t, { agentSocket: socket });
  const started = await follow(c, await c.submit('/secure/control', '/secure/control/action', { action: 'start' }));
  assert.match(text(started.body), /START failed: the agent's reply to start does not match the protocol: role: /);
  const reloaded = await follow(c, await c.submit('/secure/control', '/secure/control/action', { action: 'reload' }));
  assert.match(text(reloaded.body), /RELOAD failed: the agent's reply to reload does not match the protocol: operations: /);
  const fields = { primary: '10.0.0.2', primary_private: '', network: 'direct', nat_ip: '', nat_nmask: '', nat_dev: '', tcp_timeout: '', tcpfin_timeout: '', udp_timeout: '', action: 'accept' };
  const saved = await follow(c, await c.submit('/secure/global', '/secure/global', fields));
  assert.match(text(saved.body), /Saved: global settings/);
  assert.match(text(saved.body), /The agent's answer to the reload could not be read: the agent's reply to reload does not match the protocol: operations: /);
});

test('REDUNDANCY: a malformed pair status is reported in the panel, not rendered', async (t) => {
  const socket = await wrongAgent(t, { haStatus: async () => ({ role: 'primary', state: 'sleeping' }) });
  const c = await makeConsole(t, { agentSocket: socket });
  const page = await c.get('/secure/redundancy');
  assert.equal(page.statusCode, 200);
  assert.match(text(page.body), /The agent did not report the redundancy status: the agent's reply to haStatus does not match the protocol: /);
  const control = await c.get('/secure/control');
  assert.match(text(control.body), /redundancy status unavailable \(the agent's reply to haStatus does not match the protocol/);
});
