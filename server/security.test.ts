// The access chain and request hygiene: the CVE-2013-6492 matrix (no 2xx unless the address is
// allowed AND the credentials are right, for every route and method), CSRF, security headers,
// the allowlist on public pages, throttling, and a password change taking effect at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AUTH, makeConsole, PASSWORD, WRONG_AUTH } from '../testing/console.ts';
import { SAMPLE } from '../testing/lvs-cf.ts';
import { writePasswordFile } from './password-file.ts';

const SECURE_ROUTES = [
  '/secure/control', '/secure/control/live', '/secure/control/action', '/secure/control/check',
  '/secure/global', '/secure/redundancy', '/secure/virtual', '/secure/virtual/0/edit', '/secure/virtual/0/real',
  '/secure/virtual/0/real/0/edit', '/secure/virtual/0/scripts', '/secure/validate/global/primary',
  '/secure/does-not-exist', '/secure/virtual/99/edit', '/anything-else',
];
const PUBLIC_ROUTES = ['/', '/introduction', '/help', '/static/piranha.css', '/static/piranha.js'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const ALLOWED = '127.0.0.1';
const DENIED = '127.0.0.9';

test('CVE-2013-6492: no 2xx without an allowed address and the right credentials, on any route or method', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE, htaccess: `Order deny,allow\nDeny from all\nAllow from ${ALLOWED}\n` });
  const before = await c.lvs();
  const page = await c.get('/secure/global');
  const { csrf, version } = c.hidden(page.body);
  // A body that would be a valid save: the matrix must refuse it whenever access is not complete.
  const body = new URLSearchParams({ _csrf: csrf, version, primary: '10.9.9.9', network: 'direct', action: 'add', selected: '0' }).toString();
  let cells = 0;
  for (const url of [...SECURE_ROUTES, ...PUBLIC_ROUTES]) {
    for (const method of METHODS) {
      for (const cred of ['none', 'wrong', 'right'] as const) {
        for (const addr of [ALLOWED, DENIED]) {
          const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
          if (cred === 'wrong') headers.authorization = WRONG_AUTH;
          if (cred === 'right') headers.authorization = AUTH;
          const res = await c.app.inject({ method, url, headers, remoteAddress: addr, payload: method === 'GET' || method === 'HEAD' ? undefined : body });
          cells++;
          const ok = res.statusCode >= 200 && res.statusCode < 300;
          const isPublicRead = PUBLIC_ROUTES.includes(url) && (method === 'GET' || method === 'HEAD');
          const mayPass = addr === ALLOWED && (cred === 'right' || isPublicRead);
          if (!mayPass) assert.ok(!ok, `${method} ${url} cred=${cred} from ${addr} gave ${res.statusCode}`);
          if (addr === DENIED) assert.equal(res.statusCode, 403, `${method} ${url} from a denied address must be 403 before auth`);
          else if (!isPublicRead && cred !== 'right') {
            assert.equal(res.statusCode, 401, `${method} ${url} cred=${cred}`);
            assert.equal(res.headers['www-authenticate'], 'Basic realm="access to the piranha web GUI"');
          }
        }
      }
    }
  }
  assert.equal(cells, (SECURE_ROUTES.length + PUBLIC_ROUTES.length) * METHODS.length * 6);
  // Not one of those requests changed the file (the right-credential POSTs carried no valid
  // per-route form, or were refused by CSRF / method checks).
  const after = await c.lvs();
  assert.ok(after === before || /serial_no = 8/.test(after));
});

test('the allowlist guards the welcome, help and static pages too, and a denied address never sees a password prompt', async (t) => {
  const c = await makeConsole(t, { htaccess: 'Order deny,allow\nDeny from all\nAllow from 127.0.0.2\n' });
  for (const url of ['/', '/help', '/introduction', '/static/piranha.css', '/secure/control']) {
    const res = await c.app.inject({ method: 'GET', url, remoteAddress: '127.0.0.1', headers: { authorization: AUTH } });
    assert.equal(res.statusCode, 403, url);
    assert.equal(res.headers['www-authenticate'], undefined);
    assert.match(res.body, /Access from 127\.0\.0\.1 is not allowed/);
  }
  const ok = await c.app.inject({ method: 'GET', url: '/', remoteAddress: '127.0.0.2' });
  assert.equal(ok.statusCode, 200);
  // IPv4-mapped IPv6 peers are matched as IPv4.
  const mapped = await c.app.inject({ method: 'GET', url: '/', remoteAddress: '::ffff:127.0.0.2' });
  assert.equal(mapped.statusCode, 200);
});

test('an allowlist edit applies to the next request; a broken one keeps the previous rules and the console says so', async (t) => {
  const c = await makeConsole(t, { htaccess: 'Order deny,allow\nDeny from all\nAllow from 127.0.0.1\n' });
  const file = join(c.root, 'web', 'secure', '.htaccess');
  assert.equal((await c.app.inject({ url: '/', remoteAddress: '127.0.0.3' })).statusCode, 403);
  await writeFile(file, 'Order deny,allow\nDeny from all\nAllow from 127.0.0.3\n');
  assert.equal((await c.app.inject({ url: '/', remoteAddress: '127.0.0.3' })).statusCode, 200);
  await writeFile(file, 'Order deny, allow\nAllow from all\n');
  assert.equal((await c.app.inject({ url: '/', remoteAddress: '127.0.0.3' })).statusCode, 200);
  assert.equal((await c.app.inject({ url: '/', remoteAddress: '127.0.0.4' })).statusCode, 403);
  const control = await c.app.inject({ url: '/secure/control', remoteAddress: '127.0.0.3', headers: { authorization: AUTH } });
  assert.equal(control.statusCode, 200);
  assert.match(control.body, /The allowlist has problems; the previous rules stay in force/);
  assert.match(control.body, /\.htaccess:1:/);
});

test('welcome page needs no password; console pages ask for one with the original realm', async (t) => {
  const c = await makeConsole(t);
  const welcome = await c.app.inject({ url: '/' });
  assert.equal(welcome.statusCode, 200);
  assert.match(welcome.body, /<form method="get" action="\/secure\/control"><button type="submit">Login<\/button><\/form>/);
  const noAuth = await c.app.inject({ url: '/secure/control' });
  assert.equal(noAuth.statusCode, 401);
  assert.equal(noAuth.headers['www-authenticate'], 'Basic realm="access to the piranha web GUI"');
  const wrongUser = await c.app.inject({ url: '/secure/control', headers: { authorization: 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64') } });
  assert.equal(wrongUser.statusCode, 401);
});

test('a changed password takes effect at once', async (t) => {
  const c = await makeConsole(t);
  assert.equal((await c.get('/secure/control')).statusCode, 200);
  await writePasswordFile(join(c.root, 'conf', 'piranha.passwd'), 'a new password', 4);
  assert.equal((await c.get('/secure/control')).statusCode, 401);
  const fresh = await c.app.inject({ url: '/secure/control', headers: { authorization: 'Basic ' + Buffer.from('piranha:a new password').toString('base64') } });
  assert.equal(fresh.statusCode, 200);
});

test('failed logins are throttled per client address with 429 and Retry-After', async (t) => {
  const { buildApp } = await import('./app.ts');
  const { AllowlistWatcher } = await import('./allowlist-watcher.ts');
  const { PasswordStore } = await import('./password-file.ts');
  const { LoginThrottle } = await import('./login-throttle.ts');
  const c = await makeConsole(t);
  const allowlist = new AllowlistWatcher({ files: [] });
  await allowlist.start();
  const app = await buildApp({ root: c.root, agentSocket: null, allowlist, passwords: new PasswordStore({ file: join(c.root, 'conf', 'piranha.passwd') }), throttle: new LoginThrottle({ maxFailures: 3 }) });
  t.after(() => app.close());
  for (let i = 0; i < 3; i++) assert.equal((await app.inject({ url: '/secure/control', remoteAddress: '127.0.0.5', headers: { authorization: WRONG_AUTH } })).statusCode, 401);
  const blocked = await app.inject({ url: '/secure/control', remoteAddress: '127.0.0.5', headers: { authorization: AUTH } });
  assert.equal(blocked.statusCode, 429);
  assert.ok(Number(blocked.headers['retry-after']) > 0);
  // Another address is not affected.
  assert.equal((await app.inject({ url: '/secure/control', remoteAddress: '127.0.0.6', headers: { authorization: AUTH } })).statusCode, 200);
});

test('CSRF: a POST without the token, with a wrong one, or from another origin is refused and writes nothing', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const page = await c.get('/secure/virtual');
  const { csrf, version } = c.hidden(page.body);
  const fields = { version, action: 'delete', selected: '0' };
  const cases: [Record<string, string>, Record<string, string>, RegExp][] = [
    [fields, {}, /no security token/],
    [{ ...fields, _csrf: 'forged' }, {}, /expired/],
    [{ ...fields, _csrf: csrf }, { origin: 'http://evil.example' }, /came from http:\/\/evil\.example/],
    [{ ...fields, _csrf: csrf }, { 'sec-fetch-site': 'cross-site' }, /another site/],
  ];
  for (const [body, headers, message] of cases) {
    const res = await c.post('/secure/virtual', body, headers);
    assert.equal(res.statusCode, 403, JSON.stringify(headers));
    assert.match(res.body, message);
  }
  assert.equal(await c.lvs(), SAMPLE);
  // The token also works as the X-CSRF-Token header (htmx), with a same-origin Origin.
  const ok = await c.post('/secure/virtual', fields, { 'x-csrf-token': csrf, origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' });
  assert.equal(ok.statusCode, 303, ok.body);
  assert.doesNotMatch(await c.lvs(), /virtual web/);
});

test('a form without its version is refused with 428', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const page = await c.get('/secure/virtual');
  const { csrf } = c.hidden(page.body);
  const res = await c.post('/secure/virtual', { _csrf: csrf, action: 'delete', selected: '0' });
  assert.equal(res.statusCode, 428);
  assert.equal(await c.lvs(), SAMPLE);
});

test('security headers and a CSP without inline script or style on every response', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  for (const res of [await c.get('/secure/virtual'), await c.app.inject({ url: '/' }), await c.app.inject({ url: '/secure/x' }), await c.app.inject({ url: '/static/piranha.css' })]) {
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'same-origin');
  }
  const page = await c.get('/secure/virtual');
  assert.equal(page.headers['cache-control'], 'no-store');
  // No inline script, no style attribute or element: the CSP would block them.
  assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(page.body, /<style|\sstyle=/);
  assert.match(page.body, /<meta name="htmx-config" content='\{"includeIndicatorStyles":false,"allowEval":false/);
});

test('hostile values in lvs.cf are escaped in every page', async (t) => {
  const evil = SAMPLE.replace('virtual web {', 'virtual <script>alert(1)</script> {').replace('server r1 {', 'server "><img/src=x> {');
  const c = await makeConsole(t, { lvs: evil });
  for (const url of ['/secure/virtual', '/secure/virtual/0/edit', '/secure/virtual/0/real']) {
    const res = await c.get(url);
    assert.doesNotMatch(res.body, /<script>alert|<img\/src=x>/, url);
  }
});
