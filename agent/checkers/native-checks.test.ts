// The native TCP checks (native/checks.c) against real servers on 127.0.0.x: every way a check can
// end gives the same verdict and the same sentence as the JavaScript probe (runCheck), checks keep
// to the in-flight limit, and a removed check leaves no socket behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import { runCheck, nativeTcpPlan, type CheckSpec } from './check.ts';
import { addNativeCheck, nativeChecksInFlight, removeNativeCheck, setNativeMaxInFlight } from './native-checks.ts';
import { freePort } from '../../testing/net.ts';
import { waitFor } from '../../testing/wait.ts';

const HOST = '127.0.0.47';
const servers: net.Server[] = [];
const held = new Set<net.Socket>();
after(() => {
  for (const s of held) s.destroy();
  for (const s of servers) s.close();
});

/** A server that treats each connection with `onConn`; returns its port. */
async function server(onConn: (sock: net.Socket) => void): Promise<number> {
  const srv = net.createServer((sock) => {
    held.add(sock);
    sock.on('close', () => held.delete(sock));
    sock.on('error', () => {});
    onConn(sock);
  });
  servers.push(srv);
  await new Promise<void>((res) => srv.listen(0, HOST, res));
  return (srv.address() as net.AddressInfo).port;
}

function spec(port: number, over: Partial<CheckSpec> = {}): CheckSpec {
  return {
    key: `t/${port}`, address: HOST, port, virtualPort: 8080, protocol: 'tcp',
    send: 'GET / HTTP/1.0\\r\\n\\r\\n', expect: 'HTTP', useRegex: false, sendProgram: null, timeoutSec: 0.4,
    ...over,
  };
}

/** The first verdict of the native check for `s`, after which the check is removed. */
function nativeVerdict(s: CheckSpec): Promise<{ ok: boolean; error: string | null }> {
  const plan = nativeTcpPlan(s);
  assert.ok(plan, 'the spec is one native checks run');
  return new Promise((resolve) => {
    const id = addNativeCheck(plan, 60_000, 0, (ok, error) => {
      removeNativeCheck(id);
      resolve({ ok, error });
    });
  });
}

async function sameAsJavaScript(s: CheckSpec, expected: { ok: boolean; error: RegExp | null }): Promise<void> {
  const native = await nativeVerdict(s);
  const js = await runCheck(s);
  assert.equal(native.ok, expected.ok, native.error ?? '');
  if (expected.error) assert.match(native.error ?? '', expected.error);
  assert.deepEqual(native, { ok: js.ok, error: js.error }, 'native and JavaScript checks agree');
}

test('every ending of a check: the same verdict and sentence as the JavaScript probe', async () => {
  const http = await server((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\n\r\n')));
  await sameAsJavaScript(spec(http), { ok: true, error: null });
  // The answer in two pieces: the prefix is matched across reads.
  const split = await server((s) => s.once('data', () => { s.write('HT'); setTimeout(() => s.end('TP/1.0 200 OK\r\n\r\n'), 50); }));
  await sameAsJavaScript(spec(split), { ok: true, error: null });
  const ftp = await server((s) => s.end('220 ready\r\n'));
  await sameAsJavaScript(spec(ftp), { ok: false, error: /^expected "HTTP", got "220 ready\\r\\n"$/ });
  await sameAsJavaScript(spec(ftp, { expect: '*' }), { ok: true, error: null });
  const silent = await server(() => {});
  await sameAsJavaScript(spec(silent), { ok: false, error: /^timed out after 0\.4 s waiting for the expect string "HTTP"$/ });
  await sameAsJavaScript(spec(silent, { expect: '*' }), { ok: false, error: /^timed out after 0\.4 s waiting for any response$/ });
  // Connect only, and send only: up as soon as connected (and written).
  await sameAsJavaScript(spec(silent, { send: null, expect: null }), { ok: true, error: null });
  await sameAsJavaScript(spec(silent, { expect: null }), { ok: true, error: null });
  const hangUp = await server((s) => s.end());
  await sameAsJavaScript(spec(hangUp), { ok: false, error: /^connection closed before the expect string "HTTP"$/ });
  const short = await server((s) => s.end('HT'));
  await sameAsJavaScript(spec(short), { ok: false, error: /^connection closed before the expect string "HTTP", got "HT"$/ });
  const refused = await freePort(HOST);
  await sameAsJavaScript(spec(refused), { ok: false, error: new RegExp(`^connect ECONNREFUSED ${HOST}:${refused}$`) });
});

test('a regex expect, a host name or UDP stays with the JavaScript checks', async () => {
  assert.equal(nativeTcpPlan(spec(80, { useRegex: true, expect: 'HT+P' })), null);
  assert.equal(nativeTcpPlan(spec(80, { address: 'localhost' })), null);
  assert.equal(nativeTcpPlan(spec(80, { protocol: 'udp' })), null);
  assert.ok(nativeTcpPlan(spec(80, { useRegex: true, expect: '*' })), '"*" is not a regex');
});

test('checks keep to the in-flight limit, wait for a slot rather than fail, and leave no socket behind', async () => {
  // Reads (so it sees the checker's FIN and closes its end too), never answers.
  const silent = await server((s) => s.resume());
  setNativeMaxInFlight(2);
  const fdsBefore = readdirSync('/proc/self/fd').length;
  try {
    const verdicts: (string | null)[] = [];
    let most = 0;
    const ids = Array.from({ length: 6 }, () =>
      addNativeCheck(nativeTcpPlan(spec(silent, { timeoutSec: 0.3 }))!, 60_000, 0, (_ok, error) => verdicts.push(error)),
    );
    const watcher = setInterval(() => (most = Math.max(most, nativeChecksInFlight())), 5);
    await waitFor(() => verdicts.length === 6 || null, { timeoutMs: 5000, message: 'six verdicts' });
    clearInterval(watcher);
    assert.ok(most <= 2, `at most 2 in flight (saw ${most})`);
    assert.ok(verdicts.every((e) => e?.startsWith('timed out after 0.3 s')), verdicts.join('; '));
    // Removing checks in flight closes their sockets at once, and no verdict follows.
    for (const id of ids) removeNativeCheck(id);
    const again = Array.from({ length: 2 }, () =>
      addNativeCheck(nativeTcpPlan(spec(silent, { timeoutSec: 30 }))!, 60_000, 0, () => assert.fail('no verdict after removal')),
    );
    await waitFor(() => nativeChecksInFlight() === 2 || null, { timeoutMs: 5000, message: 'two checks in flight' });
    for (const id of again) removeNativeCheck(id);
    assert.equal(nativeChecksInFlight(), 0);
    await waitFor(() => readdirSync('/proc/self/fd').length <= fdsBefore || null, { timeoutMs: 5000, message: 'the sockets to be closed' });
  } finally {
    setNativeMaxInFlight(4096);
  }
});
