// The one way the agent runs programs: argument arrays passed as they are, standard input when
// given, output and exit code collected, and never a rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { programRunner, spawnRunner } from './run-program.ts';

test('arguments reach the program as they are, never through a shell', async () => {
  const r = await spawnRunner('/usr/bin/printf', ['%s|', '$(id); rm -rf /tmp/x', '`uname`', 'a b']);
  assert.deepEqual(r, { code: 0, stdout: '$(id); rm -rf /tmp/x|`uname`|a b|', stderr: '' });
});

test('standard input when given; standard error and the exit code collected', async () => {
  const r = await spawnRunner('/bin/sh', ['-c', 'cat; echo complaint >&2; exit 3'], '-A -t 10.0.0.1:80 -s wlc\n');
  assert.deepEqual(r, { code: 3, stdout: '-A -t 10.0.0.1:80 -s wlc\n', stderr: 'complaint\n' });
  // Without input the program reads an empty standard input, not the agent's.
  assert.deepEqual(await spawnRunner('/bin/cat', []), { code: 0, stdout: '', stderr: '' });
});

test('a program that cannot be started is an answer with the reason, not a rejection', async () => {
  const r = await spawnRunner('/nonexistent/ipvsadm', ['-Ln']);
  assert.equal(r.code, null);
  assert.match(r.error ?? '', /ENOENT/);
});

test('with a time limit, a program still running is killed', async () => {
  const r = await programRunner(200)('/bin/sleep', ['5']);
  assert.equal(r.code, null);
  assert.equal(r.error, undefined);
});
