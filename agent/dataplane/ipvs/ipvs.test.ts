// The ipvs dataplane: exact ipvsadm batches against recorded expectations (injected runner), the
// read-back parser, and the real ipvsadm binary where installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { BATCH_LINES, IpvsDataplane } from './dataplane.ts';
import type { RunResult, Runner } from '../../run-program.ts';
import type { DataplaneOp, ServiceSpec } from '../types.ts';
import { missingTool } from '../../../testing/requirements.ts';

const data = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

interface Call {
  file: string;
  args: string[];
  input?: string;
}

/** A runner that records every call and answers from a script keyed by the arguments. */
function recorder(answer: (c: Call) => Partial<RunResult> = () => ({})) {
  const calls: Call[] = [];
  const runner: Runner = async (file, args, input) => {
    const c: Call = { file, args, ...(input !== undefined ? { input } : {}) };
    calls.push(c);
    return { code: 0, stdout: '', stderr: '', ...answer(c) };
  };
  return { calls, runner };
}

/** An executable file standing in for ipvsadm's path (the injected runner never runs it). */
function fakeBinary(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-test-'));
  const path = join(dir, 'ipvsadm');
  writeFileSync(path, '', { mode: 0o755 });
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const web: ServiceSpec = {
  key: 'tcp|192.168.1.250|80', name: 'web', protocol: 'tcp', address: '192.168.1.250', port: 80,
  fwmark: 0, scheduler: 'wlc', persistent: 300, pmask: '255.255.255.0',
};
const dns: ServiceSpec = {
  key: 'udp|192.168.1.250|53', name: 'dns', protocol: 'udp', address: '192.168.1.250', port: 53,
  fwmark: 0, scheduler: 'rr', persistent: 0, pmask: null,
};
const marked: ServiceSpec = {
  key: 'fwm|7', name: 'marked', protocol: 'tcp', address: '192.168.1.250', port: 0,
  fwmark: 7, scheduler: 'lc', persistent: 0, pmask: null,
};
const addOps: DataplaneOp[] = [
  { op: 'addService', service: web },
  { op: 'addReal', key: web.key, real: { address: '10.0.0.2', port: 80, weight: 1, method: 'm' } },
  { op: 'addReal', key: web.key, real: { address: '10.0.0.3', port: 8080, weight: 1, method: 'm' } },
  { op: 'addService', service: dns },
  { op: 'addReal', key: dns.key, real: { address: '10.0.0.4', port: 53, weight: 5, method: 'g' } },
  { op: 'addService', service: marked },
  { op: 'addReal', key: marked.key, real: { address: '10.0.0.5', port: 0, weight: 2, method: 'i' } },
];

async function started(answer?: (c: Call) => Partial<RunResult>) {
  const bin = fakeBinary();
  const rec = recorder(answer);
  const dp = new IpvsDataplane({ ipvsadm: bin.path, runner: rec.runner });
  await dp.start();
  bin.cleanup();
  return { dp, ...rec, bin: bin.path };
}

test('start() checks the binary, then that IPVS answers (ipvsadm -Ln), then sets the timeouts', async () => {
  const bin = fakeBinary();
  const rec = recorder();
  const dp = new IpvsDataplane({ ipvsadm: bin.path, runner: rec.runner, timeouts: { tcp: 900, tcpfin: 120, udp: 300 } });
  await dp.start();
  bin.cleanup();
  assert.deepEqual(rec.calls, [
    { file: bin.path, args: ['-Ln'] },
    { file: bin.path, args: ['--set', '900', '120', '300'] },
  ]);
});

test('start() rejects clearly when ipvsadm is missing or the kernel has no IPVS', async () => {
  const none = new IpvsDataplane({ ipvsadm: '/nonexistent/ipvsadm', runner: recorder().runner });
  await assert.rejects(none.start(), {
    message: 'ipvsadm not found (looked for /nonexistent/ipvsadm): install the ipvsadm package, or run the agent with --dataplane userspace',
  });
  const bin = fakeBinary();
  const noModule = new IpvsDataplane({
    ipvsadm: bin.path,
    runner: recorder(() => ({
      code: 2,
      stderr: "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
    })).runner,
  });
  await assert.rejects(noModule.start(), {
    message:
      "IPVS is not available in this kernel: Can't initialize ipvs: Protocol not available " +
      '(load the module with "modprobe ip_vs" as root, or run the agent with --dataplane userspace)',
  });
  // Where kmod is installed, ipvsadm's modprobe speaks first: the kernel's reason still leads.
  const noModuleFile = new IpvsDataplane({
    ipvsadm: bin.path,
    runner: recorder(() => ({
      code: 2,
      stderr:
        'modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0\n' +
        "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
    })).runner,
  });
  await assert.rejects(noModuleFile.start(), {
    message:
      "IPVS is not available in this kernel: Can't initialize ipvs: Protocol not available " +
      '[modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0] ' +
      '(load the module with "modprobe ip_vs" as root, or run the agent with --dataplane userspace)',
  });
  bin.cleanup();
});

test('add: one ipvsadm -R batch with exactly the recorded lines', async () => {
  const { dp, calls, bin } = await started();
  const r = await dp.apply(addOps);
  assert.deepEqual(r.failures, []);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1], { file: bin, args: ['-R'], input: data('add.batch') });
});

test('edit/delete: -E (persistence off when omitted), -e with weight 0 (quiesce), -d, -D', async () => {
  const { dp, calls } = await started();
  await dp.apply(addOps);
  const r = await dp.apply([
    { op: 'editService', service: { ...web, scheduler: 'rr', persistent: 0, pmask: null } },
    { op: 'editReal', key: web.key, real: { address: '10.0.0.3', port: 8080, weight: 0, method: 'm' } },
    { op: 'deleteReal', key: dns.key, address: '10.0.0.4', port: 53 },
    { op: 'deleteService', key: marked.key },
  ]);
  assert.deepEqual(r.failures, []);
  assert.equal(calls.at(-1)!.input, data('edit.batch'));
});

test('stop() deletes only the services it added, never -C', async () => {
  const { dp, calls } = await started();
  await dp.apply(addOps);
  await dp.apply([{ op: 'deleteService', key: marked.key }]);
  await dp.stop();
  assert.deepEqual(calls.at(-1)!.args, ['-R']);
  assert.equal(calls.at(-1)!.input, data('stop.batch'));
  assert.ok(calls.every((c) => !c.args.includes('-C') && !(c.input ?? '').includes('-C')));
});

test('ops on services Piranha did not add, duplicates, and values that could inject lines never reach ipvsadm', async () => {
  const { dp, calls } = await started();
  const r = await dp.apply([
    { op: 'deleteService', key: 'tcp|192.168.1.251|443' },
    { op: 'addReal', key: web.key, real: { address: '10.0.0.9', port: 80, weight: 1, method: 'm' } },
    { op: 'addService', service: { ...web, address: '192.168.1.250\n-C' } },
    { op: 'addService', service: { ...web, pmask: '255.255.255.0 -C' } },
    { op: 'addService', service: dns },
    { op: 'addService', service: dns },
  ]);
  assert.deepEqual(r.failures.map((f) => f.message), [
    'service tcp|192.168.1.251|443 was not added by Piranha; not touching it',
    'service tcp|192.168.1.250|80 was not added by Piranha; not touching it',
    'invalid operation: service.address: must be a dotted IPv4 address',
    'invalid operation: service.pmask: must be a dotted IPv4 address',
    `service ${dns.key} already exists`,
  ]);
  assert.equal(calls.length, 2, 'the start-up probe, then one batch');
  assert.equal(calls[1]!.input, '-A -u 192.168.1.250:53 -s rr\n');
});

test('a batch with errors: the table is read back and only ops without effect are failures', async () => {
  const { dp, calls } = await started((c) => {
    if (c.args[0] === '-R') return { code: 0, stderr: 'Destination already exists\nDestination already exists\n' };
    if (c.args.join(' ') === '-Ln') return { stdout: data('list.txt') };
    return {};
  });
  const ops: DataplaneOp[] = [
    ...addOps,
    // 10.0.0.6 is not in list.txt: this is the line that failed.
    { op: 'addReal', key: web.key, real: { address: '10.0.0.6', port: 80, weight: 1, method: 'm' } },
  ];
  const r = await dp.apply(ops);
  assert.deepEqual(r.failures, [{ index: 7, message: 'ipvsadm: Destination already exists' }]);
  assert.deepEqual(calls.slice(1).map((c) => c.args.join(' ')), ['-R', '-Ln']);
});

test('a large apply goes in batches of BATCH_LINES; a batch stopped half done is read back (again if the read fails) and the rest still applies', async () => {
  const service = (i: number): ServiceSpec => ({ ...dns, key: `udp|192.168.2.1|${1000 + i}`, name: `s${i}`, address: '192.168.2.1', port: 1000 + i });
  const count = BATCH_LINES * 2 + 500;
  // The kernel took the first 300 services of the second batch before ipvsadm was stopped.
  const took = Array.from({ length: BATCH_LINES + 300 }, (_, i) => `UDP  192.168.2.1:${1000 + i} rr`);
  let restores = 0;
  let listings = 0; // the first is start()'s
  const { dp, calls } = await started((c) => {
    if (c.args[0] === '-R') return ++restores === 2 ? { code: null } : {};
    if (c.args.join(' ') === '-Ln') return ++listings === 2 ? { code: 1, stderr: 'Resource temporarily unavailable\n' } : { stdout: `IP Virtual Server version 1.2.1 (size=4096)\n${took.join('\n')}\n` };
    return {};
  });
  const r = await dp.apply(Array.from({ length: count }, (_, i): DataplaneOp => ({ op: 'addService', service: service(i) })));
  assert.deepEqual(calls.slice(1).map((c) => `${c.args.join(' ')} ${c.input?.split('\n').length ?? ''}`.trim()),
    [`-R ${BATCH_LINES + 1}`, `-R ${BATCH_LINES + 1}`, '-Ln', '-Ln', '-R 501']);
  const failed = r.failures.map((f) => f.index);
  assert.equal(failed.length, BATCH_LINES - 300);
  assert.equal(failed[0], BATCH_LINES + 300);
  assert.equal(failed.at(-1), 2 * BATCH_LINES - 1);
  assert.equal(r.failures[0]!.message, 'ipvsadm: ipvsadm -R did not finish in time and was stopped');
  // What the kernel took is owned (a later edit of it reaches ipvsadm); what it did not is not.
  const edit = await dp.apply([{ op: 'editService', service: { ...service(BATCH_LINES + 299), scheduler: 'wlc' } }, { op: 'editService', service: { ...service(BATCH_LINES + 300), scheduler: 'wlc' } }]);
  assert.deepEqual(edit.failures.map((f) => f.index), [1]);
});

test('table(): parses -Ln and --stats --exact, reports only its own services, flags vanished ones', async () => {
  const { dp, calls } = await started((c) => {
    const a = c.args.join(' ');
    if (a === '-Ln') return { stdout: data('list.txt') };
    if (a === '-Ln --stats --exact') return { stdout: data('stats.txt') };
    return {};
  });
  await dp.apply(addOps);
  const t = await dp.table();
  assert.deepEqual(calls.slice(-2).map((c) => c.args.join(' ')).sort(), ['-Ln', '-Ln --stats --exact']);
  assert.deepEqual(t.map((s) => s.key), [web.key, dns.key, marked.key], '192.168.1.251:443 is not ours');
  const w = t[0]!;
  assert.equal(w.scheduler, 'wlc');
  assert.equal(w.persistent, 300);
  assert.equal(w.pmask, '255.255.255.0');
  assert.equal(w.problem, null);
  assert.deepEqual(w.reals[0], {
    address: '10.0.0.2', port: 80, method: 'm', weight: 1, activeConns: 3, inactiveConns: 12,
    connections: 1000, packetsIn: 50000, packetsOut: 40000, bytesIn: 3000000, bytesOut: 90000000,
  });
  assert.equal(t[1]!.reals[0]!.method, 'g');
  assert.equal(t[1]!.reals[0]!.inactiveConns, 7);
  assert.equal(t[2]!.reals[0]!.method, 'i');
  assert.equal(t[2]!.reals[0]!.port, 0);

  // Someone flushed the table behind our back.
  const empty = await started((c) => (c.args[0] === '-Ln' ? { stdout: 'IP Virtual Server version 1.2.1 (size=4096)\n' } : {}));
  await empty.dp.apply([{ op: 'addService', service: dns }]);
  const [gone] = await empty.dp.table();
  assert.equal(gone!.problem, 'missing from the kernel IPVS table (removed outside Piranha?)');
});

test('table(keys): a few services are listed one by one (-Ln -t VIP:PORT); an unknown or foreign key is left out', async () => {
  const one = (text: string, head: string) => text.split('\n').filter((l, i, all) => i < 3 || l.startsWith(head) || (l.startsWith('  ->') && all.slice(0, i).reverse().find((x) => !x.startsWith('  ->'))?.startsWith(head))).join('\n');
  const { dp, calls } = await started((c) => {
    const a = c.args.join(' ');
    if (a === '-Ln -u 192.168.1.250:53') return { stdout: one(data('list.txt'), 'UDP  192.168.1.250:53') };
    if (a === '-Ln --stats --exact -u 192.168.1.250:53') return { stdout: one(data('stats.txt'), 'UDP  192.168.1.250:53') };
    if (a.startsWith('-Ln ')) return { code: 1, stderr: 'No such service\n' };
    return {};
  });
  await dp.apply(addOps);
  const before = calls.length;
  const t = await dp.table(new Set([dns.key, 'tcp|192.168.1.251|443']));
  assert.deepEqual(calls.slice(before).map((c) => c.args.join(' ')).sort(), ['-Ln --stats --exact -u 192.168.1.250:53', '-Ln -u 192.168.1.250:53']);
  assert.deepEqual(t.map((s) => s.key), [dns.key], 'the foreign service is not ours to show');
  assert.deepEqual(t[0]!.reals.map((r) => [r.address, r.weight, r.inactiveConns, r.connections]), [['10.0.0.4', 5, 7, 700]]);
  // A service of ours the kernel lost is reported, not dropped.
  const [lost] = await dp.table(new Set([web.key]));
  assert.equal(lost!.problem, 'missing from the kernel IPVS table (removed outside Piranha?)');
});

test('the real ipvsadm binary: start() succeeds with IPVS, or rejects with the kernel\'s reason', async (t) => {
  const missing = missingTool('ipvsadm');
  if (missing) {
    t.skip(missing);
    return;
  }
  const dp = new IpvsDataplane();
  if (existsSync('/proc/net/ip_vs')) {
    // IPVS present: start() only lists the table; nothing is changed.
    await dp.start();
    return;
  }
  await assert.rejects(dp.start(), (err: Error) => {
    // ipvsadm's own reason: without kmod it reports the socket error; with kmod installed, modprobe's.
    assert.match(err.message, /^IPVS is not available in this kernel: (Can't initialize ipvs: Protocol not available|modprobe: FATAL: Module ip_vs not found)/);
    assert.match(err.message, /--dataplane userspace/);
    return true;
  });
});
