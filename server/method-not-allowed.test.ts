// 405 with Allow, for every route: the test walks the console's own route table, so a route added
// later is covered without being listed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH, makeConsole } from '../testing/console.ts';
import { SAMPLE } from '../testing/lvs-cf.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'] as const;

/** A concrete path for a route pattern: parameters become 0, a wildcard a file that exists. */
function concrete(url: string): string {
  return url
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '0' : seg === '*' ? 'piranha.css' : seg))
    .join('/');
}

test('every route answers a method it does not take with 405 and an Allow header listing those it takes', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const routes = c.app.routeMethods.routes();
  assert.ok(routes.length >= 15, `the route table has ${routes.length} routes`);
  let refused = 0;
  for (const r of routes) {
    const path = concrete(r.url);
    const allowed = c.app.routeMethods.allowedAt(path)!;
    assert.ok(allowed, `${r.url} is found at ${path}`);
    for (const method of METHODS) {
      if (allowed.includes(method)) continue;
      const res = await c.app.inject({ method, url: path, headers: { authorization: AUTH } });
      assert.equal(res.statusCode, 405, `${method} ${path} gave ${res.statusCode}`);
      assert.equal(res.headers.allow, allowed.join(', '), `${method} ${path}`);
      if (method !== 'HEAD') assert.match(res.body, new RegExp(`does not take ${method}; it takes ${allowed.join(', ')}`));
      refused++;
    }
  }
  assert.ok(refused > routes.length, `${refused} refusals`);
  // What the pages take, as an administrator's tools see it.
  const put = await c.app.inject({ method: 'PUT', url: '/secure/global', headers: { authorization: AUTH } });
  assert.equal(put.headers.allow, 'GET, HEAD, POST');
  const get = await c.app.inject({ method: 'GET', url: '/secure/control/action', headers: { authorization: AUTH } });
  assert.equal(get.statusCode, 405);
  assert.equal(get.headers.allow, 'POST');
});

test('a path no route matches is still 404 for every method; the password comes before the 405', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  for (const method of METHODS) {
    const res = await c.app.inject({ method, url: '/secure/no-such-page', headers: { authorization: AUTH } });
    assert.equal(res.statusCode, 404, method);
    assert.equal(res.headers.allow, undefined);
  }
  const anonymous = await c.app.inject({ method: 'DELETE', url: '/secure/global' });
  assert.equal(anonymous.statusCode, 401);
  assert.equal(anonymous.headers.allow, undefined, 'nothing about the route is told before the password');
});
