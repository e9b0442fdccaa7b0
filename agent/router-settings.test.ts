// The router settings, given a configuration: which sysctls are wanted; given a /proc/sys (here a
// folder standing in for it): what is written, what is read back, and the reason when a setting
// cannot be set. The real /proc/sys, a missing module and a read-only /proc/sys are the kernel
// suite's (tests/kernel/suite/router-settings.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RouterSettings, wantedSettings } from './router-settings.ts';
import { parseConfigText } from './config.ts';
import { lvsCf } from '../testing/lvs-cf.ts';
import { tempRoot } from '../testing/temp.ts';

function model(network: 'nat' | 'direct', quiesce: boolean) {
  const text = lvsCf({ network, virtuals: [{ name: 'web', vip: '192.0.2.50', port: 80, quiesce, servers: [{ name: 'a', address: '10.0.0.2', port: 80, weight: 1 }] }] });
  const parsed = parseConfigText(text, 'lvs.cf');
  assert.equal(parsed.kind, 'ok');
  return (parsed as Extract<typeof parsed, { kind: 'ok' }>).model;
}

test('NAT wants ip_forward, quiesce_server expire_quiescent_template, nftables nat rules conntrack; always expire_nodest_conn', () => {
  const names = (m: ReturnType<typeof model> | null, nat: boolean) => wantedSettings(m, nat).map((s) => `${s.name}=${s.wanted}`);
  assert.deepEqual(names(model('nat', false), false), ['net.ipv4.ip_forward=1', 'net.ipv4.vs.expire_nodest_conn=1']);
  assert.deepEqual(names(model('direct', true), true), ['net.ipv4.vs.expire_nodest_conn=1', 'net.ipv4.vs.expire_quiescent_template=1', 'net.ipv4.vs.conntrack=1']);
  assert.deepEqual(names(null, false), ['net.ipv4.vs.expire_nodest_conn=1']);
});

test('values are written and read back; a missing file names the module; a value changed later is reported', async (t) => {
  const tmp = await tempRoot('piranha-sysctl-');
  t.after(tmp.remove);
  await mkdir(join(tmp.root, 'net', 'ipv4'), { recursive: true });
  await writeFile(join(tmp.root, 'net', 'ipv4', 'ip_forward'), '0\n');
  const log: string[] = [];
  const settings = new RouterSettings((m) => log.push(m), tmp.root);
  await settings.apply(wantedSettings(model('nat', false), false));
  assert.equal(await readFile(join(tmp.root, 'net', 'ipv4', 'ip_forward'), 'utf8'), '1\n');
  const report = await settings.report();
  assert.deepEqual(report.map((s) => [s.name, s.wanted, s.actual, s.error]), [
    ['net.ipv4.ip_forward', '1', '1', null],
    ['net.ipv4.vs.expire_nodest_conn', '1', null, `${join(tmp.root, 'net/ipv4/vs/expire_nodest_conn')} does not exist (the ip_vs module is not loaded)`],
  ]);
  assert.match(log.join('\n'), /set net\.ipv4\.ip_forward = 1 \(was 0\)/);
  assert.match(log.join('\n'), /cannot set net\.ipv4\.vs\.expire_nodest_conn = 1: .* does not exist \(the ip_vs module is not loaded\)/);
  await writeFile(join(tmp.root, 'net', 'ipv4', 'ip_forward'), '0\n');
  assert.deepEqual((await settings.problems()).map((p) => p.message), [
    'net.ipv4.ip_forward should be 1: it is 0: changed outside Piranha',
    `net.ipv4.vs.expire_nodest_conn should be 1: ${join(tmp.root, 'net/ipv4/vs/expire_nodest_conn')} does not exist (the ip_vs module is not loaded)`,
  ]);
});
