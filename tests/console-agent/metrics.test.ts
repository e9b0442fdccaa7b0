// GET /metrics and GET /status.json from the real console and agent over HTTP: the exposition read
// by Prometheus's own client parser, the JSON by its schema, both behind the password and the
// allowlist, with live counters after real connections through the virtual server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { askHttp, observeBench, type ObserveBench } from '../../testing/observe.ts';
import { parseExposition, type ParsedFamily } from '../../testing/prometheus.ts';
import { missingTool } from '../../testing/requirements.ts';
import { makeConsole } from '../../testing/console.ts';
import { waitFor } from '../../testing/wait.ts';
import { statusJsonSchema } from '../../server/observe/status-json.ts';
import { exposition } from '../../server/observe/exposition.ts';

const skip = missingTool('prometheus_client') ?? missingTool('python3');
let b: ObserveBench;
before(async () => {
  b = await observeBench();
  // Real connections through the VIP, so the counters are not all zero.
  for (let i = 0; i < 3; i++) assert.match(await askHttp(b.vip.host, b.vip.port), /HTTP\/1\.0 200/);
});
after(() => b?.close());

function sample(families: ParsedFamily[], family: string, name: string, labels: Record<string, string>): number | undefined {
  const f = families.find((x) => x.name === family);
  return f?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

test('/metrics parses with the Prometheus client parser and carries the router\'s facts', { skip: skip ?? false }, async () => {
  const res = await b.get('/metrics');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const families = await parseExposition(await res.text());
  const types = new Map(families.map((f) => [f.name, f.type]));
  assert.equal(types.get('piranha_real_bytes'), 'counter');
  assert.equal(types.get('piranha_real_check_latency_seconds'), 'gauge');
  assert.equal(sample(families, 'piranha_agent_up', 'piranha_agent_up', {}), 1);
  assert.equal(sample(families, 'piranha_lvs_running', 'piranha_lvs_running', {}), 1);
  assert.equal(sample(families, 'piranha_role', 'piranha_role', { role: 'standalone' }), 1);
  assert.equal(sample(families, 'piranha_role', 'piranha_role', { role: 'active' }), 0);
  assert.equal(sample(families, 'piranha_config_serial', 'piranha_config_serial', {}), 5);
  assert.equal(sample(families, 'piranha_config_file_serial', 'piranha_config_file_serial', {}), 5);
  const saved = sample(families, 'piranha_config_last_save_timestamp_seconds', 'piranha_config_last_save_timestamp_seconds', {})!;
  assert.ok(saved > Date.now() / 1000 - 600 && saved <= Date.now() / 1000, 'lvs.cf written minutes ago at most');
  const real = { virtual: 'web', server: 'ok', real: `${b.ok.host}:${b.ok.port}` };
  assert.equal(sample(families, 'piranha_real_check_up', 'piranha_real_check_up', real), 1);
  assert.equal(sample(families, 'piranha_real_check_up', 'piranha_real_check_up', { virtual: 'web', server: 'dead' }), undefined, 'a down server is not in the table');
  assert.ok(sample(families, 'piranha_real_check_latency_seconds', 'piranha_real_check_latency_seconds', real)! > 0);
  assert.equal(sample(families, 'piranha_real_connections', 'piranha_real_connections_total', real), 3);
  assert.ok(sample(families, 'piranha_real_bytes', 'piranha_real_bytes_total', { ...real, direction: 'out' })! > 0);
  assert.ok(sample(families, 'piranha_virtual_packets', 'piranha_virtual_packets_total', { virtual: 'web', direction: 'in' })! > 0);
  assert.equal(sample(families, 'piranha_real_weight', 'piranha_real_weight', real), 1);
  assert.equal(sample(families, 'piranha_real_connections_active', 'piranha_real_connections_active', real), 0);
});

test('label values with quotes, backslashes and new lines survive the parser', { skip: skip ?? false }, async () => {
  const text = exposition([{ name: 'x_info', help: 'a \\ help\nline', type: 'gauge', samples: [{ labels: { v: 'a"b\\c\nd' }, value: 1 }] }]);
  const [f] = await parseExposition(text);
  assert.equal(f!.help, 'a \\ help\nline');
  assert.equal(f!.samples[0]!.labels.v, 'a"b\\c\nd');
});

test('/status.json: the same facts with the time they were read, in its schema', async () => {
  const res = await b.get('/status.json');
  assert.equal(res.status, 200);
  const doc = statusJsonSchema.parse(await res.json());
  assert.equal(doc.agent.answering, true);
  assert.ok(Math.abs(Date.parse(doc.agent.readAt!) - Date.now()) < 60_000);
  assert.equal(doc.config.fileSerial, 5);
  const web = doc.router!.services.find((s) => s.virtual === 'web')!;
  assert.equal(web.connections, 3);
  const ok = web.reals.find((r) => r.server === 'ok')!;
  assert.equal(ok.check?.state, 'up');
  assert.equal(typeof ok.check?.lastLatencyMs, 'number');
});

test('gzip to a client that accepts it, the same text to one that does not; requests at the same time share one read of the agent', async () => {
  const auth = { authorization: (await import('../../testing/console.ts')).AUTH };
  const { request } = await import('node:http');
  const { gunzipSync } = await import('node:zlib');
  // node:http does not decompress by itself: what the console sends is what arrives.
  const raw = (path: string, encoding: string) =>
    new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request(b.gui.url + path, { headers: { ...auth, 'accept-encoding': encoding } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d)).on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) })).on('error', reject);
      });
      req.on('error', reject).end();
    });
  for (const path of ['/metrics', '/status.json']) {
    const [zipped, plain, refused] = await Promise.all([raw(path, 'gzip, deflate'), raw(path, 'identity'), raw(path, 'gzip;q=0')]);
    assert.equal(zipped.headers['content-encoding'], 'gzip', path);
    assert.equal(plain.headers['content-encoding'], undefined, path);
    assert.equal(refused.headers['content-encoding'], undefined, path);
    // One read for the three: the same document, byte for byte (generatedAt included).
    assert.equal(gunzipSync(zipped.body).toString('utf8'), plain.body.toString('utf8'), path);
    assert.equal(refused.body.toString('utf8'), plain.body.toString('utf8'), path);
  }
  assert.equal(statusJsonSchema.parse(JSON.parse((await raw('/status.json', 'identity')).body.toString('utf8'))).agent.answering, true);
});

test('a stopped agent: /status.json keeps its last facts, dated, and says since when it is silent; /metrics says agent_up 0', { skip: skip ?? false }, async () => {
  const before = statusJsonSchema.parse(await (await b.get('/status.json')).json());
  await b.agent.stop();
  const doc = await waitFor(async () => {
    const d = statusJsonSchema.parse(await (await b.get('/status.json')).json());
    return d.agent.answering ? null : d;
  }, { message: 'status.json says the agent does not answer' });
  assert.ok(doc.agent.silentSince !== null);
  assert.ok(Date.parse(doc.agent.readAt!) >= Date.parse(before.agent.readAt!), 'the last facts are kept with their time');
  assert.ok(Date.parse(doc.agent.readAt!) < Date.parse(doc.generatedAt));
  assert.equal(doc.router?.services[0]?.virtual, 'web');
  const families = await parseExposition(await (await b.get('/metrics')).text());
  assert.equal(sample(families, 'piranha_agent_up', 'piranha_agent_up', {}), 0);
  assert.equal(families.find((f) => f.name === 'piranha_real_connections_active'), undefined, 'no stale counters');
});

test('both sit behind the password and the allowlist', async (t) => {
  for (const path of ['/metrics', '/status.json']) {
    assert.equal((await fetch(b.gui.url + path)).status, 401, `${path} without a password`);
  }
  const c = await makeConsole(t, { htaccess: 'Order deny,allow\nDeny from all\nAllow from 127.0.0.2\n' });
  for (const url of ['/metrics', '/status.json']) assert.equal((await c.get(url)).statusCode, 403, `${url} from an address the allowlist refuses`);
});
