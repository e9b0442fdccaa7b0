// The applier against both real dataplanes: a refused operation is matched to its operation by
// index, so it is never recorded as applied and the next reconciliation retries it. The ipvs
// dataplane runs against a small simulated kernel table (the injected runner reads the -R batches
// and answers -Ln), which refuses the `wrr` scheduler as a kernel without ip_vs_wrr does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Applier, matchResults } from './applier.ts';
import { reconcile } from './reconciler.ts';
import { proposalOf, type Configuration } from './config-state.ts';
import { parseConfigText } from './config.ts';
import type { CheckerView } from './director.ts';
import type { Dataplane, DataplaneOp, ServiceSpec } from './dataplane/types.ts';
import { IpvsDataplane } from './dataplane/ipvs/dataplane.ts';
import { UserspaceDataplane } from './dataplane/userspace/dataplane.ts';
import type { Runner } from './run-program.ts';
import { scriptedDataplane } from '../testing/dataplane.ts';
import { lvsCf, type TestVirtual } from '../testing/lvs-cf.ts';

const KERNEL_REFUSAL = 'Scheduler or persistence engine not found';

/** The IPVS table as `ipvsadm -R` lines change it and `ipvsadm -Ln` prints it (TCP/UDP services only). */
class SimulatedKernel {
  readonly services = new Map<string, { scheduler: string; reals: Map<string, { method: string; weight: number }> }>();
  readonly batches: string[] = [];
  constructor(readonly missingSchedulers = new Set<string>()) {}

  readonly runner: Runner = async (_file, args, input) => {
    if (args[0] === '-R') {
      this.batches.push(input ?? '');
      const errors = (input ?? '').split('\n').filter(Boolean).map((l) => this.line(l)).filter((e): e is string => e !== null);
      return { code: errors.length ? 255 : 0, stdout: '', stderr: errors.map((e) => `${e}\n`).join('') };
    }
    if (args.join(' ') === '-Ln') return { code: 0, stdout: this.list(), stderr: '' };
    return { code: 0, stdout: '', stderr: '' };
  };

  private line(l: string): string | null {
    const w = l.split(' ');
    const service = `${w[1] === '-u' ? 'UDP' : 'TCP'}  ${w[2]}`;
    const sched = w[w.indexOf('-s') + 1]!;
    const real = w[w.indexOf('-r') + 1]!;
    const s = this.services.get(service);
    switch (w[0]) {
      case '-A':
        if (this.missingSchedulers.has(sched)) return KERNEL_REFUSAL;
        if (s) return 'Service already exists';
        this.services.set(service, { scheduler: sched, reals: new Map() });
        return null;
      case '-E':
        if (this.missingSchedulers.has(sched)) return KERNEL_REFUSAL;
        if (!s) return 'No such service';
        s.scheduler = sched;
        return null;
      case '-D':
        return this.services.delete(service) ? null : 'No such service';
      case '-a':
      case '-e': {
        if (!s) return 'No such service';
        if (w[0] === '-a' && s.reals.has(real)) return 'Destination already exists';
        if (w[0] === '-e' && !s.reals.has(real)) return 'No such destination';
        const method = { '-m': 'Masq', '-g': 'Route', '-i': 'Tunnel' }[w.find((x) => /^-[mgi]$/.test(x))!]!;
        s.reals.set(real, { method, weight: Number(w[w.indexOf('-w') + 1]) });
        return null;
      }
      case '-d':
        return s?.reals.delete(real) ? null : 'No such destination';
    }
    return `unknown line ${l}`;
  }

  private list(): string {
    const out = ['IP Virtual Server version 1.2.1 (size=4096)', 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'];
    for (const [name, s] of this.services) {
      out.push(`${name} ${s.scheduler}`);
      for (const [addr, r] of s.reals) out.push(`  -> ${addr.padEnd(28)} ${r.method.padEnd(7)} ${r.weight}      0          0`);
    }
    return out.join('\n') + '\n';
  }
}

async function ipvsOn(kernel: SimulatedKernel): Promise<IpvsDataplane> {
  const dir = mkdtempSync(join(tmpdir(), 'piranha-applier-'));
  const bin = join(dir, 'ipvsadm');
  writeFileSync(bin, '', { mode: 0o755 });
  const dp = new IpvsDataplane({ ipvsadm: bin, runner: kernel.runner });
  await dp.start();
  rmSync(dir, { recursive: true, force: true });
  return dp;
}

const web: TestVirtual = {
  name: 'web', vip: '192.168.1.250', port: 80, scheduler: 'wrr',
  servers: [{ name: 'a', address: '10.0.0.2', port: 80, weight: 1 }, { name: 'b', address: '10.0.0.3', port: 80, weight: 3 }],
};
const dns: TestVirtual = { name: 'dns', vip: '192.168.1.250', port: 53, protocol: 'udp', scheduler: 'rr', servers: [{ name: 'd', address: '10.0.0.4', port: 53 }] };
const LVS_CF = lvsCf({ virtuals: [web] });

function configuration(text: string): Configuration {
  const p = proposalOf(parseConfigText(text, 'lvs.cf'), 'lvs.cf');
  assert.ok(p.ok);
  return p.config;
}

const up: CheckerView = { state: 'up', upSince: 0, reentered: false, wasUp: true };
/** Every check of the configuration up. */
function allUp(_config: Configuration): (check: string) => CheckerView {
  return () => up;
}

function applierFor(dp: Dataplane) {
  const log: string[] = [];
  return { applier: new Applier(dp, (m) => log.push(m)), log };
}

test('matchResults: failures name operations by index; copies of the operations are never needed', () => {
  const ops: DataplaneOp[] = [
    { op: 'deleteService', key: 'tcp|10.0.0.1|80' },
    { op: 'deleteService', key: 'tcp|10.0.0.1|81' },
    { op: 'deleteService', key: 'tcp|10.0.0.1|82' },
  ];
  const r = matchResults(ops, { failures: [{ index: 1, message: 'no' }, { index: 7, message: 'out of range' }] });
  assert.deepEqual(r.applied, [ops[0], ops[2]]);
  assert.deepEqual(r.failed, [{ op: ops[1], message: 'no' }]);
  assert.deepEqual(r.unmatched, [{ index: 7, message: 'out of range' }]);
});

test('ipvs: a scheduler the kernel refuses is not recorded as applied, is shown with the kernel\'s reason, and is retried', async () => {
  const kernel = new SimulatedKernel(new Set(['wrr']));
  const dp = await ipvsOn(kernel);
  const { applier, log } = applierFor(dp);
  const config = configuration(LVS_CF);
  const input = { config, directing: true, states: allUp(config), now: 0 };
  const planned = () => true;

  const first = reconcile(input, applier.applied);
  assert.deepEqual(first.ops.map((o) => o.op), ['addService', 'addReal', 'addReal']);
  const report = await applier.apply(first.ops, planned);
  assert.deepEqual(report.applied, []);
  assert.equal(report.failed.length, 3);
  assert.equal(applier.owns('tcp|192.168.1.250|80'), false, 'the refused service is not ours: the kernel does not have it');
  assert.deepEqual(applier.failures(), [
    { service: 'tcp|192.168.1.250|80', message: `add real server 10.0.0.3:80 to tcp|192.168.1.250|80 weight 3 failed: ipvsadm: ${KERNEL_REFUSAL}; No such service` }, // each of ipvsadm's complaints once
  ]);
  assert.ok(log.some((l) => l.startsWith('add service tcp|192.168.1.250|80 (web, wrr) failed: ipvsadm: Scheduler or persistence engine not found')));

  // The next evaluation asks for the same operations again; once the module is loaded they succeed.
  kernel.missingSchedulers.clear();
  const retry = reconcile(input, applier.applied);
  assert.deepEqual(retry.ops, first.ops);
  const second = await applier.apply(retry.ops, planned);
  assert.deepEqual(second.failed, []);
  assert.equal(applier.owns('tcp|192.168.1.250|80'), true);
  assert.deepEqual(applier.failures(), []);
  assert.deepEqual([...kernel.services.get('TCP  192.168.1.250:80')!.reals.keys()], ['10.0.0.2:80', '10.0.0.3:80']);
  assert.deepEqual(reconcile(input, applier.applied).ops, [], 'nothing left to do');

  // Had the refusal been recorded as applied, every later operation on the service would fail.
  const weight = reconcile({ ...input, config: configuration(LVS_CF.replace('weight = 3', 'weight = 5')) }, applier.applied);
  assert.deepEqual(weight.ops.map((o) => o.op), ['editReal']);
  assert.deepEqual((await applier.apply(weight.ops, planned)).failed, []);
  assert.equal(kernel.services.get('TCP  192.168.1.250:80')!.reals.get('10.0.0.3:80')!.weight, 5);
  await dp.stop();
});

test('ipvs: in a batch that partly fails, only the refused operations stay pending', async () => {
  const kernel = new SimulatedKernel(new Set(['wrr']));
  const dp = await ipvsOn(kernel);
  const { applier } = applierFor(dp);
  const two = configuration(lvsCf({ virtuals: [dns, web] }));
  const input = { config: two, directing: true, states: allUp(two), now: 0 };
  const r = reconcile(input, applier.applied);
  const report = await applier.apply(r.ops, () => true);
  assert.deepEqual(report.applied.map((o) => o.op), ['addService', 'addReal']);
  assert.deepEqual(new Set(report.failed.map((f) => f.op.op)), new Set(['addService', 'addReal']));
  assert.equal(applier.owns('udp|192.168.1.250|53'), true);
  assert.equal(applier.owns('tcp|192.168.1.250|80'), false);
  assert.deepEqual(reconcile(input, applier.applied).ops.map((o) => `${o.op} ${'key' in o ? o.key : o.service.key}`), [
    'addService tcp|192.168.1.250|80',
    'addReal tcp|192.168.1.250|80',
    'addReal tcp|192.168.1.250|80',
  ]);
  await dp.stop();
});

test('userspace: refused operations are matched by index the same way', async () => {
  const dp = new UserspaceDataplane();
  await dp.start();
  const svc: ServiceSpec = { key: 'tcp|127.0.0.1|0', name: 'web', protocol: 'tcp', address: '127.0.0.1', port: 0, fwmark: 0, scheduler: 'rr', persistent: 0, pmask: null };
  const ops: DataplaneOp[] = [
    // a port-less service without a firewall mark is invalid: refused before anything is bound
    { op: 'addService', service: svc },
    { op: 'addReal', key: svc.key, real: { address: '127.0.0.2', port: 80, weight: 1, method: 'm' } },
    { op: 'addService', service: { ...svc, key: 'fwm|5', fwmark: 5 } },
    { op: 'addReal', key: 'fwm|5', real: { address: '127.0.0.2', port: 80, weight: 1, method: 'm' } },
    { op: 'addReal', key: 'fwm|5', real: { address: '127.0.0.2', port: 80, weight: 2, method: 'm' } },
  ];
  const raw = await dp.apply(ops.map((o) => structuredClone(o)));
  assert.deepEqual(raw.failures.map((f) => f.index), [0, 1, 4]);
  await dp.stop();

  const again = new UserspaceDataplane();
  await again.start();
  const b = applierFor(again);
  const report = await b.applier.apply(ops, () => true);
  assert.deepEqual(report.applied, [ops[2], ops[3]]);
  assert.deepEqual(report.failed.map((f) => f.op), [ops[0], ops[1], ops[4]]);
  assert.equal(b.applier.owns('fwm|5'), true);
  assert.equal(b.applier.owns(svc.key), false);
  assert.deepEqual([...b.applier.applied.get('fwm|5')!.reals.values()].map((r) => r.weight), [1]);
  await again.stop();
});

test('a dataplane that answers with copies of the operations: the applier does not depend on identity', async () => {
  const refused = new Set<string>(['addReal']);
  // Validated copies, as a dataplane that parses its input holds: never the caller's objects.
  const copying = scriptedDataplane('ipvs', async (ops) => ({
    failures: ops.map((o, index) => ({ index, o: structuredClone(o) })).filter((x) => refused.has(x.o.op)).map(({ index }) => ({ index, message: 'refused' })),
  }));
  const { applier } = applierFor(copying);
  const config = configuration(LVS_CF);
  const ops = reconcile({ config, directing: true, states: allUp(config), now: 0 }, applier.applied).ops;
  const report = await applier.apply(ops, () => true);
  assert.deepEqual(report.applied.map((o) => o.op), ['addService']);
  assert.equal(applier.applied.get('tcp|192.168.1.250|80')!.reals.size, 0, 'the refused reals are not recorded');
});
