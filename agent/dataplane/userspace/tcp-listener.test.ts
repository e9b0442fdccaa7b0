// The TCP listener's own problem reporting: a failed accept (EMFILE when the process is out of
// descriptors) is shown beside the service while it lasts, and cleared by the next accepted client.
// The descriptors really run out: the test lowers its own limit with prlimit(1) and fills it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { Service } from './service.ts';
import { TcpListener } from './tcp-listener.ts';
import { tcpService } from '../../../testing/dataplane.ts';
import { freePort } from '../../../testing/net.ts';
import { waitFor } from '../../../testing/wait.ts';

const VIP = '127.0.85.1';

function setSoftFdLimit(soft: number): void {
  const out = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:`], { encoding: 'utf8' });
  assert.equal(out.status, 0, `prlimit: ${out.stderr}`);
}

function softFdLimit(): number {
  const line = spawnSync('prlimit', ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings', '--output=SOFT'], { encoding: 'utf8' });
  return Number(line.stdout.trim());
}

test('a failed accept is reported as a problem, and the client is taken once descriptors are free again', async () => {
  const port = await freePort(VIP);
  const problems: (string | null)[] = [];
  const listener = new TcpListener(
    new Service(tcpService(VIP, port), 120),
    { idleTimeoutMs: 60_000, connectTimeoutMs: 5_000 },
    (message) => problems.push(message),
  );
  await listener.listen();
  // The client is another process, started while this one still has descriptors to spare; it
  // connects when told to and prints how the connection ended.
  const client = spawn(
    process.execPath,
    ['-e', `process.stdin.once('data', () => { const s = require('node:net').connect(${port}, '${VIP}');
      s.on('error', (e) => console.log(e.code)); s.on('close', () => console.log('closed')); })`],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let clientSaid = '';
  client.stdout!.setEncoding('utf8').on('data', (d: string) => (clientSaid += d));
  const savedLimit = softFdLimit();
  const fillers: number[] = [];
  try {
    setSoftFdLimit(readdirSync('/proc/self/fd').length + 20);
    try {
      for (;;) fillers.push(openSync('/dev/null', 'r'));
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'EMFILE');
    }
    client.stdin!.write('go\n');
    await waitFor(() => problems.length === 1, { timeoutMs: 5000, message: 'the accept failure to be reported' });
    assert.equal(problems[0], `cannot accept TCP clients on ${VIP}:${port}: EMFILE (too many open files)`);
    // The client waits in the backlog meanwhile: it is neither reset nor dropped.
    assert.equal(clientSaid, '');
    for (const fd of fillers.splice(0)) closeSync(fd);
    setSoftFdLimit(savedLimit);
    // The once-a-second sweep puts the listener back; the service has no real server, so the
    // client, now accepted, is reset, and the problem is cleared.
    listener.sweep(Date.now());
    await waitFor(() => problems.length === 2, { timeoutMs: 5000, message: 'the problem to be cleared' });
    assert.equal(problems[1], null);
    await waitFor(() => clientSaid.includes('ECONNRESET'), { timeoutMs: 5000, message: `the client to be reset (it said ${JSON.stringify(clientSaid)})` });
  } finally {
    for (const fd of fillers) closeSync(fd);
    setSoftFdLimit(savedLimit);
    client.kill();
    await listener.close(true);
  }
});
