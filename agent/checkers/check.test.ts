// Every kind of check against real TCP/UDP servers on 127.0.0.x and real programs in a temp dir.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dgram from 'node:dgram';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSpec } from '../../testing/model.ts';
import { runCheck, describeCheck, unescape, type CheckSpec } from './check.ts';

const HOST = '127.0.0.41';

function spec(over: Partial<CheckSpec>): CheckSpec {
  return checkSpec('web/rs1', HOST, { port: 1, timeoutSec: 2, ...over });
}

/** A TCP server whose per-connection behaviour the test chooses; records what clients sent. */
async function tcpServer(onConn: (sock: net.Socket) => void, host = HOST): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    const idx = received.push('') - 1;
    sock.on('data', (d) => (received[idx] += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    onConn(sock);
  });
  await new Promise<void>((res) => server.listen(0, host, res));
  const port = (server.address() as net.AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise<void>((res) => {
      openServers.delete(close);
      for (const s of sockets) s.destroy();
      server.close(() => res());
    });
  openServers.add(close);
  return { port, received, close };
}

/** Servers a failed assertion left open would keep the test process alive: closed at the end. */
const openServers = new Set<() => Promise<void>>();
after(() => Promise.all([...openServers].map((close) => close())));

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True once `pid` no longer runs: gone, or a zombie waiting for its (re)parent to reap it. */
async function goneOrZombie(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    } catch {
      return true;
    }
    await wait(50);
  }
  return false;
}

describe('unescape (nanny convert_str)', () => {
  test('turns \\\\ \\r \\n \\t \\\' \\" into their characters', () => {
    assert.equal(unescape('GET / HTTP/1.0\\r\\n\\r\\n'), 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(unescape('a\\tb\\\\c\\\'d\\"e'), 'a\tb\\c\'d"e');
  });
  test('keeps other backslash pairs and a trailing backslash as written', () => {
    assert.equal(unescape('HTTP/1\\.[01]'), 'HTTP/1\\.[01]');
    assert.equal(unescape('end\\'), 'end\\');
    assert.equal(unescape('\\\\n'), '\\n');
  });
});

describe('describeCheck', () => {
  test('names each kind of check', () => {
    assert.equal(describeCheck(spec({})), 'connect tcp');
    assert.equal(describeCheck(spec({ send: 'quit', expect: '220' })), 'send/expect');
    assert.equal(describeCheck(spec({ expect: 'OK', useRegex: true })), 'send/expect (regex)');
    assert.equal(describeCheck(spec({ virtualPort: 80 })), 'HTTP GET / (default)');
    assert.equal(describeCheck(spec({ sendProgram: '/x %h', send: 'ignored' })), 'program /x %h');
    assert.equal(describeCheck(spec({ protocol: 'udp', send: 'ping' })), 'udp send/expect');
    assert.equal(describeCheck(spec({ protocol: 'udp' })), 'udp any reply');
    assert.equal(describeCheck(spec({ protocol: 'udp', virtualPort: 80 })), 'udp any reply');
  });
});

describe('TCP checks', () => {
  test('connect only: up when listening, down with the socket error when not', async () => {
    const srv = await tcpServer(() => {});
    const up = await runCheck(spec({ port: srv.port }));
    assert.equal(up.ok, true);
    assert.equal(up.error, null);
    assert.equal(up.description, 'connect tcp');
    await srv.close();
    const down = await runCheck(spec({ port: srv.port }));
    assert.equal(down.ok, false);
    assert.equal(down.error, `connect ECONNREFUSED ${HOST}:${srv.port}`);
  });

  test('send/expect: escapes are interpreted and the prefix is compared', async () => {
    const srv = await tcpServer((s) => s.write('220 ftp.example.com ready\r\n'));
    const out = await runCheck(spec({ port: srv.port, send: 'quit\\r\\n', expect: '220' }));
    assert.equal(out.ok, true, out.error ?? '');
    assert.equal(out.sent, 'quit\\r\\n');
    assert.match(out.received, /^220/);
    await wait(20);
    assert.equal(srv.received[0], 'quit\r\n');
    await srv.close();
  });

  // What the server answers, and the verdict and message of a check against it.
  const answers: { name: string; serve: (s: net.Socket) => void; check: Partial<CheckSpec>; error: string | null; received?: string; atLeastMs?: number }[] = [
    {
      name: 'send/expect: an expect with escapes matches the bytes they name',
      serve: (s) => s.once('data', () => s.end('+OK\r\n\tdone')),
      check: { send: 'PING\\n', expect: '+OK\\r\\n\\t' },
      error: null,
    },
    {
      name: 'prefix: an answer split over two packets still matches (nanny read once and failed)',
      serve: (s) => {
        s.setNoDelay(true);
        s.write('HT');
        setTimeout(() => s.write('TP/1.0 200 OK\r\n'), 60);
      },
      check: { send: 'GET / HTTP/1.0\\r\\n\\r\\n', expect: 'HTTP' },
      error: null,
    },
    {
      name: 'prefix: a different answer is down with expected/got',
      serve: (s) => s.write('FOO/1.0'),
      check: { expect: 'HTTP' },
      error: 'expected "HTTP", got "FOO/1.0"',
      received: 'FOO/1.0',
    },
    { name: 'prefix: only the beginning counts ("HTTP" later in the answer is not a match)', serve: (s) => s.end('xHTTP/1.0'), check: { expect: 'HTTP' }, error: 'expected "HTTP", got "xHTTP/1.0"' },
    {
      name: 'a silent server is down after the timeout, naming what was awaited',
      serve: () => {},
      check: { send: 'hello', expect: 'HTTP', timeoutSec: 0.3 },
      error: 'timed out after 0.3 s waiting for the expect string "HTTP"',
      atLeastMs: 250,
    },
    { name: 'a short answer then close is down and shows what came', serve: (s) => s.end('HT'), check: { expect: 'HTTP' }, error: 'connection closed before the expect string "HTTP", got "HT"' },
  ];
  for (const a of answers) {
    test(a.name, async () => {
      const srv = await tcpServer(a.serve);
      const out = await runCheck(spec({ port: srv.port, ...a.check }));
      assert.deepEqual({ ok: out.ok, error: out.error }, { ok: a.error === null, error: a.error });
      if (a.received !== undefined) assert.equal(out.received, a.received);
      if (a.atLeastMs !== undefined) assert.ok(out.durationMs >= a.atLeastMs, `took ${out.durationMs} ms`);
      await srv.close();
    });
  }

  test('expect "*" accepts any answer and refuses none', async () => {
    const talk = await tcpServer((s) => s.end('x'));
    assert.equal((await runCheck(spec({ port: talk.port, expect: '*' }))).ok, true);
    const mute = await tcpServer((s) => s.end());
    const out = await runCheck(spec({ port: mute.port, expect: '*' }));
    assert.equal(out.ok, false);
    assert.match(out.error ?? '', /closed before any response/);
    await talk.close();
    await mute.close();
  });

  test('regex: unanchored match, non-match is down, a bad pattern is down with the compiler message', async () => {
    const srv = await tcpServer((s) => s.end('HTTP/1.1 200 OK\r\nServer: x\r\n\r\n'));
    const ok = await runCheck(spec({ port: srv.port, expect: '200 OK', useRegex: true }));
    assert.equal(ok.ok, true, ok.error ?? '');
    const anchored = await runCheck(spec({ port: srv.port, expect: '^HTTP/1\\.[01] 200', useRegex: true }));
    assert.equal(anchored.ok, true, anchored.error ?? '');
    const no = await runCheck(spec({ port: srv.port, expect: '^HTTP/2', useRegex: true }));
    assert.equal(no.ok, false);
    assert.match(no.error ?? '', /^expected a match for \/\^HTTP\\\/2\/, got "HTTP\/1\.1 200 OK/);
    const bad = await runCheck(spec({ port: srv.port, expect: '(unclosed', useRegex: true }));
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? '', /^invalid expect regex: /);
    await srv.close();
  });

  test('default HTTP check on a virtual port 80 sends GET / and expects HTTP', async () => {
    const web = await tcpServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\n\r\nhi')));
    const out = await runCheck(spec({ port: web.port, virtualPort: 80 }));
    assert.equal(out.ok, true, out.error ?? '');
    assert.equal(out.description, 'HTTP GET / (default)');
    assert.equal(out.sent, 'GET / HTTP/1.0\\r\\n\\r\\n');
    await wait(20);
    assert.equal(web.received[0], 'GET / HTTP/1.0\r\n\r\n');
    const notHttp = await tcpServer((s) => s.once('data', () => s.end('SSH-2.0-OpenSSH')));
    const down = await runCheck(spec({ port: notHttp.port, virtualPort: 80 }));
    assert.equal(down.ok, false);
    assert.equal(down.error, 'expected "HTTP", got "SSH-2.0-OpenSSH"');
    await web.close();
    await notHttp.close();
  });

  test('another virtual port with nothing configured is connect-only: nothing is sent', async () => {
    const srv = await tcpServer(() => {});
    const out = await runCheck(spec({ port: srv.port, virtualPort: 443 }));
    assert.equal(out.ok, true);
    await wait(30);
    assert.equal(srv.received[0] ?? '', '');
    await srv.close();
  });

  test('a busy event loop does not turn a timely connect into a timeout', async () => {
    const srv = await tcpServer(() => {});
    // Start from the check phase of the loop, so that the next turn begins with the timers (a test
    // started from a timer callback would see its new timer only after the I/O of that turn).
    await new Promise((r) => setImmediate(r));
    const pending = runCheck(spec({ port: srv.port, timeoutSec: 0.1 }));
    // Block the loop past the deadline: the kernel completes the connect meanwhile, and both the
    // timer and the connect are ready when the loop resumes. Timers run first in Node's loop.
    const until = Date.now() + 300;
    while (Date.now() < until);
    const out = await pending;
    assert.equal(out.ok, true, out.error ?? '');
    await srv.close();
  });

  test('timeout 0 or less is treated as 1 s instead of crashing', async () => {
    const srv = await tcpServer(() => {});
    assert.equal((await runCheck(spec({ port: srv.port, timeoutSec: 0 }))).ok, true);
    assert.equal((await runCheck(spec({ port: srv.port, timeoutSec: -5 }))).ok, true);
    await srv.close();
  });

  test('an aborted check ends at once as down', async () => {
    const srv = await tcpServer(() => {});
    const ac = new AbortController();
    const p = runCheck(spec({ port: srv.port, expect: 'HTTP', timeoutSec: 10 }), ac.signal);
    setTimeout(() => ac.abort(), 50);
    const out = await p;
    assert.equal(out.ok, false);
    assert.equal(out.error, 'check cancelled');
    await srv.close();
  });

  test('an invalid port is a failed check, not an exception', async () => {
    const out = await runCheck(spec({ port: 70000 }));
    assert.equal(out.ok, false);
    assert.match(out.error ?? '', /port/i);
  });
});

describe('UDP checks', () => {
  const UHOST = '127.0.0.42';
  let server: dgram.Socket;
  let port: number;
  const got: string[] = [];
  before(async () => {
    server = dgram.createSocket('udp4');
    server.on('message', (msg, rinfo) => {
      got.push(msg.toString('latin1'));
      const text = msg.toString('latin1');
      if (text === 'silent') return;
      const reply = text === 'ping\n' ? 'pong' : text === '' ? 'empty?' : 'what?';
      server.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((res) => server.bind(0, UHOST, res));
    port = server.address().port;
  });
  after(() => server.close());

  test('send/expect over UDP: up on the right answer, down on a wrong one', async () => {
    const up = await runCheck(spec({ address: UHOST, port, protocol: 'udp', send: 'ping\\n', expect: 'pong' }));
    assert.equal(up.ok, true, up.error ?? '');
    assert.equal(up.description, 'udp send/expect');
    assert.equal(got.at(-1), 'ping\n');
    const down = await runCheck(spec({ address: UHOST, port, protocol: 'udp', send: 'other', expect: 'pong' }));
    assert.equal(down.ok, false);
    assert.equal(down.error, 'expected "pong", got "what?"');
  });

  test('no expect: any answer is up (nanny crashed here), an empty datagram is sent when no send', async () => {
    const up = await runCheck(spec({ address: UHOST, port, protocol: 'udp' }));
    assert.equal(up.ok, true, up.error ?? '');
    assert.equal(got.at(-1), '');
    assert.equal(up.received, 'empty?');
  });

  test('silence is down after the timeout', async () => {
    const out = await runCheck(spec({ address: UHOST, port, protocol: 'udp', send: 'silent', timeoutSec: 0.3 }));
    assert.equal(out.ok, false);
    assert.equal(out.error, `no reply from ${UHOST}:${port} within 0.3 s`);
  });

  test('a closed port (ICMP port unreachable) is down without waiting for the timeout', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((res) => probe.bind(0, UHOST, res));
    const dead = probe.address().port;
    await new Promise<void>((res) => probe.close(() => res()));
    const out = await runCheck(spec({ address: UHOST, port: dead, protocol: 'udp', send: 'ping\\n', timeoutSec: 10 }));
    assert.equal(out.ok, false);
    assert.equal(out.error, `port unreachable: ${UHOST}:${dead} (ECONNREFUSED)`);
    assert.ok(out.durationMs < 5000, `took ${out.durationMs} ms`);
  });
});

describe('send_program checks', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'piranha-checkers-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function script(name: string, body: string): Promise<string> {
    const p = join(dir, name);
    await writeFile(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  }

  test('%h and %p become the address and port, as separate arguments, and the output is compared', async () => {
    const argsFile = join(dir, 'args.txt');
    const prog = await script('check-ok', `for a in "$@"; do printf '%s\\n' "$a"; done > '${argsFile}'\necho OK`);
    const out = await runCheck(spec({ port: 8081, sendProgram: `${prog} --host %h -p %p x%h`, send: 'ignored', expect: 'OK' }));
    assert.equal(out.ok, true, out.error ?? '');
    assert.equal(out.sent, `${prog} --host ${HOST} -p 8081 x%h`);
    assert.equal(out.received, 'OK\\n');
    assert.deepEqual((await readFile(argsFile, 'utf8')).split('\n').slice(0, -1), ['--host', HOST, '-p', '8081', 'x%h']);
  });

  test('output different from expect is down; regex applies with use_regex', async () => {
    const prog = await script('check-fail', 'echo "FAIL: no soa"');
    const out = await runCheck(spec({ sendProgram: `${prog} %h`, expect: 'OK' }));
    assert.equal(out.ok, false);
    assert.equal(out.error, 'expected "OK", got "FAIL: no soa"');
    const re = await runCheck(spec({ sendProgram: `${prog} %h`, expect: 'no s.a$', useRegex: true }));
    assert.equal(re.ok, true, re.error ?? '');
  });

  test('non-zero exit is down even when the output matches (nanny said up)', async () => {
    const prog = await script('check-exit', 'echo OK; exit 3');
    const out = await runCheck(spec({ sendProgram: prog, expect: 'OK' }));
    assert.equal(out.ok, false);
    assert.equal(out.error, 'send_program exited with status 3');
  });

  test('without expect the exit status decides', async () => {
    const good = await script('check-true', 'exit 0');
    const bad = await script('check-false', 'exit 1');
    assert.equal((await runCheck(spec({ sendProgram: good }))).ok, true);
    assert.equal((await runCheck(spec({ sendProgram: bad }))).ok, false);
  });

  test('a program past the timeout is killed with what it started, and is down', async () => {
    const pidFile = join(dir, 'child.pid');
    const prog = await script('check-hang', `sleep 30 &\necho $! > '${pidFile}'\nwait`);
    const out = await runCheck(spec({ sendProgram: prog, expect: 'OK', timeoutSec: 0.5 }));
    assert.equal(out.ok, false);
    assert.equal(out.error, 'send_program timed out after 0.5 s (killed)');
    assert.ok(out.durationMs < 5000, `took ${out.durationMs} ms`);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    assert.equal(await goneOrZombie(pid), true, 'the sleep started by the program must be killed');
  });

  test('a relative path or a missing file is down with a clear error; nothing is run through a shell', async () => {
    const rel = await runCheck(spec({ sendProgram: 'check_dns %h' }));
    assert.equal(rel.ok, false);
    assert.equal(rel.error, 'send_program must be an absolute path, got "check_dns"');
    const missing = await runCheck(spec({ sendProgram: join(dir, 'nope') + ' %h' }));
    assert.equal(missing.ok, false);
    assert.match(missing.error ?? '', /ENOENT/);
    const marker = join(dir, 'pwned');
    const sh = await script('check-args', 'exit 0');
    const out = await runCheck(spec({ sendProgram: `${sh} ;touch ${marker}` }));
    assert.equal(out.ok, true);
    await assert.rejects(readFile(marker), /ENOENT/);
  });
});
