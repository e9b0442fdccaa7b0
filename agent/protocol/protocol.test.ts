// The protocol's schemas against the messages docs/agent-protocol.md shows, and the seam's rules:
// the protocol imports nothing of the agent, and the console imports only the protocol and the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkEvent, checkParams, checkResult, METHODS, requestSchema } from './index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..');

test('the documented session parses: hello, checkNow and their replies', () => {
  assert.ok(requestSchema.safeParse({ id: 1, method: 'hello', params: { version: 1 } }).success);
  assert.deepEqual(checkParams('hello', { version: 1, client: 'piranha-gui' }), { ok: true, value: { version: 1, client: 'piranha-gui' } });
  assert.ok(checkResult('hello', { agent: 'piranha-agent', version: '0.1.0', protocol: 1 }).ok);
  assert.ok(checkParams('checkNow', { virtual: 'www', server: 'web1' }).ok);
  assert.ok(
    checkResult('checkNow', {
      virtual: 'www', server: 'web1', sent: 'GET / HTTP/1.0\\r\\n\\r\\n', received: 'HTTP/1.1 200 OK\\r\\n…', verdict: 'up', error: null, durationMs: 3,
    }).ok,
  );
  assert.ok(checkResult('haStatus', null).ok, 'a standalone agent answers null');
  assert.ok(checkResult('subscribe', { subscribed: true }).ok);
});

test('methods without parameters refuse unknown ones; messages name the field', () => {
  assert.deepEqual(checkParams('status', { extra: 1 }), { ok: false, message: 'bad params for status: Unrecognized key: "extra"' });
  assert.deepEqual(checkParams('checkNow', { virtual: '', server: 'x' }), { ok: false, message: 'bad params for checkNow: virtual: Too small: expected string to have >=1 characters' });
  assert.deepEqual(checkResult('reload', { serial: null, operations: 1.5 }), { ok: false, message: 'the reply to reload does not match the protocol: operations: Invalid input: expected int, received number' });
});

test('events: each kind is checked; an unknown kind is told apart from a malformed one', () => {
  assert.deepEqual(checkEvent({ event: 'log', data: { time: 't', message: 'm' } }), { ok: true, value: { event: 'log', data: { time: 't', message: 'm' } } });
  assert.deepEqual(checkEvent({ event: 'someday', data: {} }), { ok: 'unknown', event: 'someday' });
  const bad = checkEvent({ event: 'state', data: { running: true } });
  assert.equal(bad.ok, false);
  assert.match((bad as { message: string }).message, /^the state event does not match the protocol: data\.role: /);
});

test('plan takes the whole text or hunks against a base version; table may name one virtual server', () => {
  assert.ok(checkParams('plan', { text: 'serial_no = 1\n' }).ok);
  assert.ok(checkParams('plan', { base: 'a'.repeat(64), hunks: [{ start: 0, end: 14, removed: 'serial_no = 1\n', inserted: 'serial_no = 2\n' }] }).ok);
  assert.deepEqual(checkParams('plan', { base: 'xyz', hunks: [] }).ok, false);
  assert.match((checkParams('plan', { base: 'a'.repeat(64), hunks: [{ start: 5, end: 2, removed: '', inserted: '' }] }) as { message: string }).message, /end is before start/);
  assert.equal(checkParams('plan', { text: 'x', base: 'a'.repeat(64) }).ok, false, 'one form or the other');
  assert.ok(checkParams('table', {}).ok);
  assert.ok(checkParams('table', { virtual: 'web' }).ok);
  assert.equal(checkParams('table', { virtual: '' }).ok, false);
  assert.ok(checkResult('plan', {
    serial: 2, directing: true, role: 'standalone', scope: 'changed', services: 1, notes: [], problems: [],
    operations: [{ op: 'editReal', service: 'tcp|10.0.0.1|80', virtual: 'web', real: '10.0.0.2:80', server: 'a', weight: { from: 3, to: 0 }, afterCheck: false, text: 'set real server a 10.0.0.2:80 of web to weight 0 (from 3)' }],
  }).ok);
});

test('every method has a params and a result schema', () => {
  assert.deepEqual(Object.keys(METHODS).sort(), ['checkHistory', 'checkNow', 'checkers', 'drift', 'haStatus', 'hello', 'plan', 'reconcile', 'reload', 'routerSettings', 'series', 'start', 'status', 'stop', 'subscribe', 'table']);
});

/** The module specifiers a TypeScript file imports (static imports and re-exports). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('the protocol imports nothing but zod and itself', () => {
  for (const file of sources(here)) {
    for (const spec of imports(file)) assert.ok(spec === 'zod' || /^\.\/[\w-]+\.ts$/.test(spec), `${relative(repo, file)} imports ${spec}`);
  }
});

test('the console reaches the agent only through the protocol and the client', () => {
  const allowed = new Set([join(repo, 'agent', 'protocol', 'index.ts'), join(repo, 'agent', 'client.ts')]);
  const server = join(repo, 'server');
  let checked = 0;
  for (const file of sources(server).filter((f) => !relative(server, f).startsWith('test'))) {
    for (const spec of imports(file)) {
      if (!spec.startsWith('.')) continue;
      const target = join(file, '..', spec);
      if (relative(repo, target).startsWith('agent')) {
        checked++;
        assert.ok(allowed.has(target), `${relative(repo, file)} imports ${relative(repo, target)}`);
      }
    }
  }
  assert.ok(checked > 0, 'the console does talk to the agent');
});
