// The Host header check: the names and addresses the console answers to, the DNS-rebinding shape
// (a foreign Host and Origin with a valid token) refused before anything is written, and
// --allowed-hosts on the real listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { AllowedHosts, hostOf } from './security/allowed-hosts.ts';
import { AUTH, makeConsole, startConsole } from '../testing/console.ts';
import { SAMPLE } from '../testing/lvs-cf.ts';
import { loopback } from '../testing/net.ts';

test('hostOf: the host part of a Host header, normalized; malformed headers are null', () => {
  assert.equal(hostOf('Router.Example.:3636'), 'router.example');
  assert.equal(hostOf('10.0.0.1'), '10.0.0.1');
  assert.equal(hostOf('[::1]:3636'), '0:0:0:0:0:0:0:1');
  assert.equal(hostOf('[fe80::1'), null);
  assert.equal(hostOf('a.example:http'), null);
  assert.equal(hostOf('a b'), null);
  assert.equal(hostOf(''), null);
});

test('defaults: loopback, the host name, the listen address and the interface addresses, re-read for a new address', () => {
  let addrs = ['127.0.0.1', '10.1.1.1', 'fe80::1%eth0'];
  let now = 0;
  const hosts = new AllowedHosts({ extra: ['lvs.example.org'], listen: '192.0.2.7', hostname: () => 'router1', addresses: () => addrs, now: () => now });
  for (const ok of ['localhost:3636', '127.0.0.5', '[::1]', 'router1', 'ROUTER1:3636', '192.0.2.7:3636', '10.1.1.1:3636', '[fe80::1]:3636', 'lvs.example.org']) assert.ok(hosts.allows(ok), ok);
  for (const no of ['evil.example', 'router1.evil.example', '10.1.1.2', 'lvs.example.org.evil', undefined]) assert.ok(!hosts.allows(no), String(no));
  // A VIP taken over a moment ago: the addresses are re-read (at most once a second).
  addrs = [...addrs, '10.1.1.2'];
  assert.ok(!hosts.allows('10.1.1.2'), 'read less than a second ago');
  now = 1500;
  assert.ok(hosts.allows('10.1.1.2'));
  assert.throws(() => new AllowedHosts({ extra: ['not a host'] }), /not a host name or an IP address/);
});

test('DNS rebinding: a foreign Host and Origin with a valid CSRF token is refused with 421 and writes nothing', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE, allowedHosts: ['lvs.example.org'] });
  const page = await c.get('/secure/virtual');
  const { csrf, version } = c.hidden(page.body);
  const fields = { _csrf: csrf, version, action: 'delete', selected: '0' };
  // The attacker's page at evil.example, its name now resolving to the router.
  const rebound = await c.post('/secure/virtual', fields, { host: 'evil.example:3636', origin: 'http://evil.example:3636', 'sec-fetch-site': 'same-origin' });
  assert.equal(rebound.statusCode, 421);
  assert.match(rebound.body, /does not answer to the name &quot;evil\.example:3636&quot;/);
  assert.match(rebound.body, /--allowed-hosts evil\.example/);
  assert.equal(await c.lvs(), SAMPLE);
  // Reading is refused too (the page would carry the configuration and a token).
  assert.equal((await c.get('/secure/global', { host: 'evil.example' })).statusCode, 421);
  assert.equal((await c.app.inject({ url: '/', headers: { host: 'evil.example' } })).statusCode, 421);
  // The same request under a configured name is the administrator's own: it saves.
  const own = await c.post('/secure/virtual', fields, { host: 'lvs.example.org:3636', origin: 'http://lvs.example.org:3636', 'sec-fetch-site': 'same-origin' });
  assert.equal(own.statusCode, 303, own.body);
  assert.doesNotMatch(await c.lvs(), /virtual web/);
});

test('the real listener: --allowed-hosts adds names; a request without Host is refused', async (t) => {
  const host = loopback();
  const h = await startConsole({ host, allowedHosts: ['lvs.example.org', 'console.example.org'] });
  t.after(() => h.close());
  const port = Number(new URL(h.url).port);
  const ask = (headers: Record<string, string>, raw = false) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host, port, path: '/secure/control', headers: { authorization: AUTH, ...headers }, setHost: !raw }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await ask({}), 200, 'the listen address');
  assert.equal(await ask({ host: `console.example.org:${port}` }), 200);
  assert.equal(await ask({ host: 'evil.example' }), 421);
  // HTTP/1.1 needs a Host: Node's parser refuses a request without one before the console sees it.
  assert.equal(await ask({}, true), 400);
});
