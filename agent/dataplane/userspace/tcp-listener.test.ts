// The TCP listener's own problem reporting: a failed accept (EMFILE when the process is out of
// descriptors) is shown beside the service while it lasts, and cleared by the next accepted client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Service } from './service.ts';
import { TcpListener } from './tcp-listener.ts';
import { freePort, tcpService, until } from './test-helpers.ts';

const VIP = '127.0.85.1';
const UV_EMFILE = -24;

test('a failed accept is reported as a problem, and the next accepted client clears it', async () => {
  const port = await freePort(VIP);
  const problems: (string | null)[] = [];
  const listener = new TcpListener(
    new Service(tcpService(VIP, port), 120),
    { idleTimeoutMs: 60_000, connectTimeoutMs: 5_000 },
    (message) => problems.push(message),
  );
  await listener.listen();
  try {
    // What libuv hands the listener when accept(2) fails for lack of descriptors.
    listener.accept(UV_EMFILE, undefined);
    assert.deepEqual(problems, [`cannot accept TCP clients on ${VIP}:${port}: EMFILE (too many open files)`]);
    // The service has no real server, so the client is reset; but it was accepted.
    const sock = net.connect({ host: VIP, port });
    const [err] = (await once(sock, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
    await until(() => problems.length === 2, 2000, 'the problem to be cleared');
    assert.equal(problems[1], null);
    // A later success reports nothing more.
    const again = net.connect({ host: VIP, port });
    await once(again, 'error');
    assert.equal(problems.length, 2);
  } finally {
    await listener.close(true);
  }
});
