// The client checks every reply and event against the protocol: an agent that answers with a
// missing or mistyped field, a line that is not JSON, or an error code it does not know yields an
// AgentError E_BAD_REPLY naming the problem; a malformed event goes to onBadEvent; nothing throws
// out of the socket's handlers. The "agent" here is a scripted unix socket server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { AgentClient, AgentError } from './client.ts';
import { LineSplitter } from './framing.ts';
import type { AgentEvent, StatusResult } from './protocol/index.ts';
import { tempRoot } from '../testing/temp.ts';

const t = await tempRoot('piranha-client-');
after(t.remove);
let n = 0;

const status: StatusResult = {
  running: true, role: 'standalone', since: new Date(0).toISOString(), serial: 3, configPath: '/x/lvs.cf', dataplane: 'userspace',
  pid: 4242, startedAt: new Date(0).toISOString(), lastReloadError: null, problems: [],
};

/**
 * A scripted agent: answers hello properly, then each request with `answer(method)`: an object is
 * sent as the result, a string is sent as the raw line. `push` sends raw lines to every connection.
 */
async function fakeAgent(answer: (method: string, id: number) => unknown): Promise<{ path: string; push(line: string): void; close(): Promise<void> }> {
  const path = join(t.root, `fake${++n}.sock`);
  const conns = new Set<Socket>();
  const server: Server = createServer((socket) => {
    conns.add(socket);
    socket.on('close', () => conns.delete(socket));
    socket.on('error', () => {});
    const splitter = new LineSplitter(1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) {
        if (ev.kind !== 'line') continue;
        const req = JSON.parse(ev.line) as { id: number; method: string };
        if (req.method === 'hello') {
          socket.write(JSON.stringify({ id: req.id, result: { agent: 'piranha-agent', version: '9', protocol: 1 } }) + '\n');
          continue;
        }
        const a = answer(req.method, req.id);
        socket.write((typeof a === 'string' ? a : JSON.stringify({ id: req.id, result: a })) + '\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    path,
    push: (line) => {
      for (const s of conns) s.write(line + '\n');
    },
    close: () => {
      for (const s of conns) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const badReply = (re: RegExp) => (e: unknown) => e instanceof AgentError && e.code === 'E_BAD_REPLY' && re.test(e.message);

test('a result with a mistyped or missing field is E_BAD_REPLY naming the method and the field; the connection stays usable', async () => {
  const agent = await fakeAgent((method) => {
    if (method === 'status') return { ...status, running: 'yes' };
    if (method === 'table') return { services: [{ key: 'tcp|1.2.3.4|80' }] };
    return { serial: 1, operations: 2 };
  });
  const c = await AgentClient.connect(agent.path);
  await assert.rejects(c.call('status', {}), badReply(/^the agent's reply to status does not match the protocol: running: /));
  await assert.rejects(c.call('table', {}), badReply(/^the agent's reply to table does not match the protocol: services\.0\.name: /));
  assert.deepEqual(await c.call('reload', {}), { serial: 1, operations: 2 });
  assert.equal(c.isClosed, false);
  c.close();
  await agent.close();
});

test('fields a newer agent adds are accepted (and not passed on)', async () => {
  const agent = await fakeAgent(() => ({ ...status, uptimeSec: 5 }));
  const c = await AgentClient.connect(agent.path);
  assert.deepEqual(await c.call('status', {}), status);
  c.close();
  await agent.close();
});

test('a line that is not JSON, or neither a reply nor an event, fails the calls in flight at once and closes the connection', async () => {
  const agent = await fakeAgent((method, id) => (method === 'status' ? 'this is not json' : JSON.stringify({ id, surprise: true, extra: [] })));
  const c = await AgentClient.connect(agent.path);
  await assert.rejects(c.call('status', {}), badReply(/^the agent sent a line that is not JSON: "this is not json"$/));
  assert.equal(c.isClosed, true);
  const d = await AgentClient.connect(agent.path);
  await assert.rejects(d.call('stop', {}), badReply(/^the agent sent a line that is neither a reply nor an event/));
  await agent.close();
});

test('an error code this client does not know keeps the agent\'s message', async () => {
  const agent = await fakeAgent((_m, id) => JSON.stringify({ id, error: { code: 'E_SOMETHING_NEW', message: 'try later' } }));
  const c = await AgentClient.connect(agent.path);
  await assert.rejects(c.call('start', {}), badReply(/^the agent answered start with an error code this console does not know \(E_SOMETHING_NEW\): try later$/));
  c.close();
  await agent.close();
});

test('events: good ones are delivered, malformed ones go to onBadEvent, unknown kinds are skipped', async () => {
  const agent = await fakeAgent(() => ({ subscribed: true }));
  const c = await AgentClient.connect(agent.path);
  const events: AgentEvent[] = [];
  const bad: AgentError[] = [];
  await c.subscribe((e) => events.push(e), (e) => bad.push(e));
  agent.push(JSON.stringify({ event: 'reload', data: { serial: 2, operations: 1 } }));
  agent.push(JSON.stringify({ event: 'checker', data: { virtual: 'web' } }));
  agent.push(JSON.stringify({ event: 'someday', data: { anything: 1 } }));
  agent.push(JSON.stringify({ event: 'log', data: { time: 't', message: 'last' } }));
  while (events.length < 2) await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, [
    { event: 'reload', data: { serial: 2, operations: 1 } },
    { event: 'log', data: { time: 't', message: 'last' } },
  ]);
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.code, 'E_BAD_REPLY');
  assert.match(bad[0]!.message, /^the agent's checker event does not match the protocol: data\.server: /);
  c.close();
  await agent.close();
});
