// The `lvs-cf` command as a user runs it: `node bin/lvs-cf.js …` in a child process, checking exit
// codes, stdout and stderr.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, chmodSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from './index.ts';
import { main } from './cli.ts';
import { CORPUS_DIR, REPO_ROOT } from '../testing/paths.ts';
import { pool } from '../testing/pool.ts';
import { unprivileged } from '../testing/requirements.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(argv: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

const run = (...args: string[]) => spawnCli([process.execPath, join(REPO_ROOT, 'bin/lvs-cf.js'), ...args]);
/** The command without root's privileges (see testing/requirements.ts), as an administrator's own account runs it. */
const runUnprivileged = (...args: string[]) => spawnCli(unprivileged([process.execPath, join(REPO_ROOT, 'bin/lvs-cf.js'), ...args]));

/**
 * The same command through cli.ts's main() in this process. Each child costs a second of CPU to
 * start its TypeScript loader, so every behaviour is shown once through a real child and the
 * repetitions (every corpus file, every usage error) run here.
 */
async function runHere(...args: string[]): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (b: Buffer) => o.push(b));
  err.on('data', (b: Buffer) => e.push(b));
  const code = await main(args, out as unknown as typeof process.stdout, err as unknown as typeof process.stderr);
  return { code, stdout: Buffer.concat(o).toString('utf8'), stderr: Buffer.concat(e).toString('utf8') };
}

const lines = (...ls: string[]) => ls.map((l) => `${l}\n`).join('');
let dir: string;
const at = (name: string) => join(dir, name);

const VALID = lines('network = direct', 'primary = 10.0.0.1', 'virtual web {', '     active = 1', '     address = 10.0.0.10 eth0:1', '}');
const WARNS = lines('network = direct', 'primary = lvs1.example.com', 'virtual web {', '     active = 1', '     address = 10.0.0.10 eth0:1', '}');
const BAD = lines('network = direct', 'virtual web {', '     active = 1', '     address = 10.0.0.10 eth0:1', '     protocol = TCP', '     port = 0', '}');

/** fwmark + persistence + pmask, udp, a real-server port that defaults to the virtual's, an inactive server. */
const IPVS = (network: string) =>
  lines(
    `network = ${network}`,
    ...(network === 'nat' ? ['nat_router = 192.168.1.254 eth1:1'] : []),
    'virtual http {',
    '     active = 1',
    '     address = 10.0.0.10 eth0:1',
    '     fwmark = 80',
    '     port = 80',
    '     persistent = 300',
    '     pmask = 255.255.255.0',
    '     scheduler = rr',
    '     server a {',
    '         address = 192.168.1.1',
    '         active = 1',
    '         weight = 2',
    '     }',
    '}',
    'virtual https {',
    '     active = 1',
    '     address = 10.0.0.10 eth0:1',
    '     fwmark = 80',
    '     port = 443',
    '     persistent = 300',
    '     pmask = 255.255.255.0',
    '     server a {',
    '         address = 192.168.1.1',
    '         active = 1',
    '     }',
    '}',
    'virtual dns {',
    '     active = 1',
    '     address = 10.0.0.11 eth0:2',
    '     protocol = udp',
    '     port = 53',
    '     persistent = 60',
    '     scheduler = wrr',
    '     server ns1 {',
    '         address = 192.168.1.3',
    '         active = 1',
    '         port = 5353',
    '         weight = 5',
    '     }',
    '     server ns2 {',
    '         address = 192.168.1.4',
    '         active = 1',
    '     }',
    '     server spare {',
    '         address = 192.168.1.5',
    '         active = 0',
    '     }',
    '}',
    'virtual off {',
    '     active = 0',
    '     address = 10.0.0.12 eth0:3',
    '}',
  );

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lvs-cf-cli-'));
  writeFileSync(at('valid.cf'), VALID);
  writeFileSync(at('warns.cf'), WARNS);
  writeFileSync(at('bad.cf'), BAD);
  for (const n of ['nat', 'direct', 'tunnel']) writeFileSync(at(`ipvs-${n}.cf`), IPVS(n));
  writeFileSync(at('binary.cf'), Buffer.from([0x6e, 0x65, 0x74, 0x00, 0x01, 0x02, 0x0a]));
  writeFileSync(at('latin1.cf'), Buffer.from('primary = 10.0.0.1\n# caf\xe9\n', 'latin1'));
  writeFileSync(at('empty.cf'), '');
  writeFileSync(at('locked.cf'), VALID);
  chmodSync(at('locked.cf'), 0o000);
  mkdirSync(at('adir.cf'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('check: a valid file prints nothing; warnings print with a code frame and do not fail', async () => {
  const r = await run('check', at('valid.cf'), at('warns.cf'));
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.equal(
    r.stdout,
    [
      `${at('warns.cf')}:2:11: warning[HOSTNAME]: "lvs1.example.com" is a host name: the daemons resolve it through DNS when they start, and refuse the whole file if that fails; prefer the IP address`,
      '  1 | network = direct',
      '> 2 | primary = lvs1.example.com',
      '    |           ^^^^^^^^^^^^^^^^',
      '  3 | virtual web {',
      '',
    ].join('\n'),
  );
  assert.deepEqual(await runHere('check', at('valid.cf')), { code: 0, stdout: '', stderr: '' });
});

test('check: errors exit 1, one FILE:LINE:COL line per problem, each with its code frame', async () => {
  const r = await run('check', at('valid.cf'), at('bad.cf'));
  assert.equal(r.code, 1);
  const heads = r.stdout.split('\n').filter((l) => l.startsWith(dir));
  assert.deepEqual(heads, [`${at('bad.cf')}:5:17: error[BADARGUMENT]: invalid argument: "protocol" must be one of tcp, udp, not "TCP" (values are lower case: "tcp")`]);
  assert.match(r.stdout, /\n> 5 \|      protocol = TCP\n {4}\| {17}\^\^\^\n/);
  // Fixed, the semantic problem underneath shows: the daemons run port 0, so it is a warning.
  writeFileSync(at('bad2.cf'), BAD.replace('TCP', 'tcp'));
  const r2 = await runHere('check', at('bad2.cf'));
  assert.equal(r2.code, 0);
  assert.match(r2.stdout, new RegExp(`^${at('bad2.cf')}:6:13: warning\\[V-PORT\\]: The application port must be between 1 and 65535, not 0\\n`));
});

test('fmt: every corpus file the daemons accept comes back byte for byte', async () => {
  const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.cf') && parse(readFileSync(join(CORPUS_DIR, f), 'utf8')).ok);
  assert.ok(files.length >= 10);
  // The richest file through a real child, then every file.
  const child = await run('fmt', join(CORPUS_DIR, 'piranha-sample-1.cf'));
  assert.equal(child.code, 0);
  assert.equal(child.stdout, readFileSync(join(CORPUS_DIR, 'piranha-sample-1.cf'), 'utf8'));
  const results = await pool(files.length, 1, (i) => runHere('fmt', join(CORPUS_DIR, files[i]!)));
  files.forEach((f, i) => {
    assert.equal(results[i]!.code, 0, f);
    assert.equal(results[i]!.stdout, readFileSync(join(CORPUS_DIR, f), 'utf8'), f);
  });
});

test('fmt --canonical: the GUI\'s layout, keys in its order, comments and blank lines gone', async () => {
  writeFileSync(
    at('hand.cf'),
    lines('# hand-made', 'network   =  direct', 'primary = 10.0.0.1', '', 'virtual web {', '\tport = 81', '\taddress = 10.0.0.10 eth0:1', '\tactive = 1', '\tserver a {', '\t\tweight = 3', '\t\taddress = 10.0.1.1', '\t}', '}'),
  );
  const r = await run('fmt', '--canonical', at('hand.cf'));
  assert.equal(r.code, 0);
  assert.equal(
    r.stdout,
    lines('primary = 10.0.0.1', 'network = direct', 'virtual web {', '     active = 1', '     address = 10.0.0.10 eth0:1', '     port = 81', '     server a {', '         address = 10.0.1.1', '         weight = 3', '     }', '}'),
  );
  const bad = await runHere('fmt', '--canonical', at('bad.cf'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.cf:5:17: error\[BADARGUMENT\]/);
});

test('json: the model', async () => {
  const r = await run('json', at('ipvs-direct.cf'));
  assert.equal(r.code, 0);
  const m = JSON.parse(r.stdout);
  assert.deepEqual(m, parse(IPVS('direct')).model);
  assert.equal(m!.virtuals[2]!.servers[1]!.port, 53);
  const bad = await runHere('json', at('bad.cf'));
  assert.deepEqual([bad.code, bad.stdout], [1, '']);
});

test('ipvsadm: the ipvsadm-restore lines for each forwarding method', async () => {
  const expected = (m: string) => [
    '-A -f 80 -s rr -p 300 -M 255.255.255.0',
    `-a -f 80 -r 192.168.1.1:80 ${m} -w 2`,
    `-a -f 80 -r 192.168.1.1:443 ${m} -w 1`,
    '-A -u 10.0.0.11:53 -s wrr -p 60',
    `-a -u 10.0.0.11:53 -r 192.168.1.3:5353 ${m} -w 5`,
    `-a -u 10.0.0.11:53 -r 192.168.1.4:53 ${m} -w 1`,
    '',
  ].join('\n');
  const methods: [string, string][] = [['nat', '-m'], ['direct', '-g'], ['tunnel', '-i']];
  const results = await pool(methods.length, 1, (i) => (methods[i]![0] === 'direct' ? run : runHere)('ipvsadm', at(`ipvs-${methods[i]![0]}.cf`)));
  methods.forEach(([n, flag], i) => {
    assert.equal(results[i]!.code, 0, n);
    assert.equal(results[i]!.stdout, expected(flag), n);
  });
});

test('input errors: missing, directory, unreadable, binary, empty', async () => {
  const rows: [string, RegExp][] = [
    ['missing.cf', /missing\.cf: no such file/],
    ['adir.cf', /adir\.cf: is a directory/],
    ['binary.cf', /binary\.cf: binary file \(NUL byte at offset 3\)/],
    // Root reads a mode-000 file anyway: the command runs without root's privileges.
    ['locked.cf', /locked\.cf: permission denied/],
  ];
  // check reports each unreadable file and goes on with the next.
  const r = await runUnprivileged('check', ...rows.map(([f]) => at(f)), at('valid.cf'), at('empty.cf'));
  assert.equal(r.code, 1);
  for (const [f, re] of rows) assert.match(r.stderr, re, f);
  assert.equal(r.stderr.trim().split('\n').length, rows.length);
  assert.equal(r.stdout, `${at('empty.cf')}:0:0: error[STAT]: Empty configuration: the file is empty\n`);
  for (const [f, re] of rows) {
    const one = await (f === 'locked.cf' ? runUnprivileged : runHere)('fmt', at(f));
    assert.equal(one.code, 1, f);
    assert.match(one.stderr, re, f);
  }
});

test('a file that is not UTF-8 is read as Latin-1 with a warning, and fmt gives back its bytes', async () => {
  const r = await run('check', at('latin1.cf'));
  assert.equal(r.code, 0);
  assert.match(r.stdout, /latin1\.cf:0:0: warning\[ENCODING\]: the file is not valid UTF-8: it is read as Latin-1/);
  const out = new PassThrough();
  const bytes: Buffer[] = [];
  out.on('data', (b: Buffer) => bytes.push(b));
  assert.equal(await main(['fmt', at('latin1.cf')], out as unknown as typeof process.stdout, new PassThrough() as unknown as typeof process.stderr), 0);
  assert.deepEqual(Buffer.concat(bytes), readFileSync(at('latin1.cf')));
});

test('usage errors exit 2', async () => {
  const cases: string[][] = [[], ['frobnicate'], ['check'], ['fmt'], ['fmt', at('valid.cf'), at('warns.cf')], ['json'], ['ipvsadm', at('valid.cf'), at('valid.cf')]];
  const results = await pool(cases.length, 1, (i) => (cases[i]!.length === 0 ? run() : runHere(...cases[i]!)));
  cases.forEach((args, i) => {
    assert.equal(results[i]!.code, 2, args.join(' '));
    assert.match(results[i]!.stderr, /usage: lvs-cf check FILE/, args.join(' '));
  });
  const help = await runHere('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: lvs-cf check FILE/);
});
