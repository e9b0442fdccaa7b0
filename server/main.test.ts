// piranha-gui's command line and process entry: argument checks, a real listening socket on a
// loopback address, and TLS with --tls-cert/--tls-key.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { parseGuiArgs, startGui } from './main.ts';
import { consoleRoot } from '../testing/console.ts';
import { missingTool } from '../testing/requirements.ts';

test('arguments: defaults, checks, both TLS files or none', () => {
  assert.deepEqual(parseGuiArgs([]), { root: '/etc/sysconfig/ha', port: 3636, host: '0.0.0.0', 'history-keep': 100, 'history-days': 90 });
  assert.equal(parseGuiArgs(['--history-keep', '20', '--history-days', '0'])['history-keep'], 20);
  assert.throws(() => parseGuiArgs(['--history-keep', '0']), /keep at least 1 version/);
  assert.throws(() => parseGuiArgs(['--history-days', 'soon']), /whole number of days/);
  assert.equal(parseGuiArgs(['--port', '8080', '--root', '/x', '--agent-socket', '/run/a.sock'])['agent-socket'], '/run/a.sock');
  assert.throws(() => parseGuiArgs(['--port', '70000']));
  assert.throws(() => parseGuiArgs(['--port', 'abc']));
  assert.throws(() => parseGuiArgs(['--tls-cert', 'c.pem']), /both --tls-cert and --tls-key/);
  assert.throws(() => parseGuiArgs(['--bogus']));
  assert.deepEqual(parseGuiArgs(['--allowed-hosts', 'lvs.example.org,10.0.0.1', '--allowed-hosts', '::1'])['allowed-hosts'], ['lvs.example.org', '10.0.0.1', '::1']);
  assert.throws(() => parseGuiArgs(['--allowed-hosts', 'a b']), /\\"a b\\" is not a host name or an IP address/);
});

async function tempRoot(t: TestContext): Promise<string> {
  const c = await consoleRoot({});
  t.after(c.remove);
  return c.root;
}

test('listens on the given loopback address and serves the welcome page', async (t) => {
  const root = await tempRoot(t);
  const gui = await startGui({ root, port: 0, host: '127.0.0.7' }, () => {});
  t.after(() => gui.close());
  assert.match(gui.url, /^http:\/\/127\.0\.0\.7:\d+$/);
  const res = await fetch(gui.url + '/');
  assert.equal(res.status, 200);
  assert.match(await res.text(), /Welcome to the Piranha Configuration Tool/);
  const secure = await fetch(gui.url + '/secure/control');
  assert.equal(secure.status, 401);
});

test('TLS with --tls-cert and --tls-key, with HSTS', { skip: missingTool('openssl') ?? false }, async (t) => {
  const root = await tempRoot(t);
  const cert = join(root, 'cert.pem');
  const key = join(root, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.8'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const gui = await startGui({ root, port: 0, host: '127.0.0.8', 'tls-cert': cert, 'tls-key': key }, () => {});
  t.after(() => gui.close());
  assert.match(gui.url, /^https:\/\//);
  const res = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
    request(gui.url + '/', { rejectUnauthorized: false }, (r) => {
      r.resume();
      resolve({ status: r.statusCode ?? 0, hsts: r.headers['strict-transport-security'] as string | undefined });
    }).on('error', reject).end();
  });
  assert.equal(res.status, 200);
  assert.match(res.hsts ?? '', /max-age=/);
});
