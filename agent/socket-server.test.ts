// The protocol layer on its own: framing, handshake, validation, errors, events, stale sockets.
// Handlers here are minimal ones that record their calls; the full agent is tested in agent.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketServer, RpcError, type Handlers } from './socket-server.ts';
import { AgentClient, AgentError } from './client.ts';
import { MAX_LINE_BYTES } from './protocol/index.ts';
import { quietHandlers, rawExchange, rawFlood, rawSession, standaloneStatus } from '../testing/agent.ts';

const dir = await mkdtemp(join(tmpdir(), 'piranha-sock-'));
after(() => rm(dir, { recursive: true, force: true }));
let n = 0;

const status = standaloneStatus(3, 4242);
/** An agent whose reload, stop and checks fail, each in its own way. */
function handlers(): Handlers {
  return quietHandlers(status, {
    reload: async () => {
      throw new RpcError('E_CONFIG_INVALID', 'lvs.cf:3:1: error[E-X]: bad');
    },
    stop: async () => {
      throw new Error('boom');
    },
    checkNow: async (p) => {
      throw new RpcError('E_NOT_FOUND', `no virtual server named ${p.virtual}`);
    },
    checkHistory: async (p) => {
      throw new RpcError('E_NOT_FOUND', `no virtual server named ${p.virtual}`);
    },
  });
}
async function serve(path = join(dir, `s${++n}.sock`)) {
  const server = new SocketServer({ path, version: '9.9.9', handlers: handlers() });
  await server.listen();
  return { server, path };
}

test('socket is created 0660 in a 0750 folder made for it, and removed on close', async () => {
  const path = join(dir, 'sub', 'agent.sock');
  const { server } = await serve(path);
  assert.equal((await stat(path)).mode & 0o777, 0o660);
  assert.equal((await stat(join(dir, 'sub'))).mode & 0o777, 0o750);
  await server.close();
  await assert.rejects(stat(path), { code: 'ENOENT' });
});

test('hello, then typed calls; handler errors keep their code; unexpected errors are E_INTERNAL', async () => {
  const { server, path } = await serve();
  const c = await AgentClient.connect(path);
  assert.deepEqual(c.hello, { agent: 'piranha-agent', version: '9.9.9', protocol: 1 });
  assert.equal((await c.call('status', {})).pid, 4242);
  await assert.rejects(c.call('reload', {}), (e: AgentError) => e.code === 'E_CONFIG_INVALID' && /lvs\.cf:3:1/.test(e.message));
  await assert.rejects(c.call('stop', {}), (e: AgentError) => e.code === 'E_INTERNAL' && e.message === 'boom');
  await assert.rejects(c.call('checkNow', { virtual: 'nope', server: 'x' }), { code: 'E_NOT_FOUND' });
  await assert.rejects(c.call('checkNow', { virtual: '', server: 'x' }), { code: 'E_BAD_PARAMS' });
  await assert.rejects(c.call('status', { extra: 1 } as never), { code: 'E_BAD_PARAMS' });
  await assert.rejects(c.call('fly' as never, {} as never), { code: 'E_UNKNOWN_METHOD' });
  await assert.rejects(c.call('__proto__' as never, {} as never), { code: 'E_UNKNOWN_METHOD' });
  c.close();
  await server.close();
});

test('garbage, wrong shapes, requests before hello and a wrong version get their error codes', async () => {
  const { server, path } = await serve();
  const replies = await rawExchange(path, [
    'not json',
    '[1,2]',
    '{"id":1}',
    '{"id":2,"method":"status"}',
    '{"id":3,"method":"hello","params":{"version":99}}',
    '{"id":4,"method":"hello","params":{"version":"1"}}',
    '',
    '{"id":"x5","method":"hello","params":{"version":1}}',
    '{"id":6,"method":"status"}',
  ]);
  assert.deepEqual(
    replies.map((r) => [r.id, (r.error as { code: string } | undefined)?.code ?? 'ok']),
    [[null, 'E_PARSE'], [null, 'E_PARSE'], [1, 'E_PARSE'], [2, 'E_HANDSHAKE'], [3, 'E_VERSION'], [4, 'E_BAD_PARAMS'], ['x5', 'ok'], [6, 'ok']],
  );
  await server.close();
});

test('a 10 MB line gets one E_TOO_LARGE and the connection is closed; the server keeps serving', async () => {
  const { server, path } = await serve();
  const { replies, closed } = await rawFlood(path, 10 * 1024 * 1024);
  assert.equal(closed, true);
  assert.equal(replies.length, 1);
  assert.equal((replies[0].error as { code: string }).code, 'E_TOO_LARGE');
  assert.match((replies[0].error as { message: string }).message, new RegExp(String(MAX_LINE_BYTES)));
  const c = await AgentClient.connect(path);
  assert.equal((await c.call('status', {})).serial, 3);
  c.close();
  await server.close();
});

test('events reach subscribers only', async () => {
  const { server, path } = await serve();
  const a = await AgentClient.connect(path);
  const got: string[] = [];
  await a.subscribe((e) => got.push(e.event));
  const raw = await rawSession(path);
  raw.send('{"id":1,"method":"hello","params":{"version":1}}\n');
  assert.equal((await raw.next()).id, 1);
  server.broadcast({ event: 'log', data: { time: 't', message: 'm' } });
  raw.send('{"id":2,"method":"status"}\n');
  // The non-subscriber's next line is its reply, not the event.
  assert.equal((await raw.next()).id, 2);
  await a.call('status', {}); // replies are ordered after the event on the same connection
  assert.deepEqual(got, ['log']);
  raw.close();
  a.close();
  await server.close();
});

test('a client that disconnects mid-request does not disturb the server', async () => {
  const { server, path } = await serve();
  for (let i = 0; i < 20; i++) {
    const c = await AgentClient.connect(path);
    void c.call('status', {}).catch(() => {});
    c.close();
  }
  const c = await AgentClient.connect(path);
  assert.equal((await c.call('status', {})).pid, 4242);
  c.close();
  await server.close();
});

test('a stale socket file is replaced; a live agent on the path makes a second one refuse, naming its pid', async () => {
  const path = join(dir, 'stale.sock');
  // A socket file nobody listens on, as a crash leaves it: a process binds it and is SIGKILLed.
  spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", path]);
  assert.ok((await stat(path)).isSocket());
  const { server } = await serve(path);
  const second = new SocketServer({ path, version: '0', handlers: handlers() });
  await assert.rejects(second.listen(), { message: `another piranha-agent is already listening on ${path} (pid 4242)` });
  await server.close();
  const plain = join(dir, 'plain');
  await writeFile(plain, 'x');
  await assert.rejects(new SocketServer({ path: plain, version: '0', handlers: handlers() }).listen(), /not a socket/);
});

test('client reports a missing socket clearly', async () => {
  await assert.rejects(AgentClient.connect(join(dir, 'none.sock')), (e: AgentError) => e.code === 'E_CONNECT' && /no agent socket/.test(e.message));
});

test('its own reply that does not fit the protocol is not sent: E_INTERNAL naming the field, reported', async () => {
  const path = join(dir, `s${++n}.sock`);
  const reported: string[] = [];
  const server = new SocketServer({
    path,
    version: '9.9.9',
    handlers: { ...handlers(), status: async () => ({ ...status, serial: 'three' }) as never },
    checkReplies: true,
    onProtocolError: (m) => reported.push(m),
  });
  await server.listen();
  const c = await AgentClient.connect(path);
  await assert.rejects(c.call('status', {}), (e: AgentError) => e.code === 'E_INTERNAL' && /^the reply to status does not match the protocol: serial: /.test(e.message));
  assert.equal(reported.length, 1);
  assert.match(reported[0]!, /^the reply to status does not match the protocol: serial: /);
  c.close();
  await server.close();
});

test('an event that does not fit the protocol is not broadcast, and is reported', async () => {
  const path = join(dir, `s${++n}.sock`);
  const reported: string[] = [];
  const server = new SocketServer({ path, version: '9.9.9', handlers: handlers(), checkReplies: true, onProtocolError: (m) => reported.push(m) });
  await server.listen();
  const c = await AgentClient.connect(path);
  const got: string[] = [];
  await c.subscribe((e) => got.push(e.event === 'log' ? e.data.message : e.event));
  server.broadcast({ event: 'reload', data: { serial: 1, operations: -1 } });
  server.broadcast({ event: 'log', data: { time: 't', message: 'after' } });
  await c.call('status', {}); // replies are ordered after the events on the same connection
  assert.deepEqual(got, ['after']);
  assert.match(reported.join('\n'), /^the reload event does not match the protocol: data\.operations: /);
  c.close();
  await server.close();
});
