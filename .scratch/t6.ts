import { generate } from '../bench/lvs-cf/run.ts';
import { ConfigStore } from '../server/config-store.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const root = mkdtempSync(join(tmpdir(), 'cs-'));
writeFileSync(join(root, 'lvs.cf'), generate(10000));
const store = new ConfigStore(root);
let t = performance.now();
let snap = await store.read();
console.log('first read', performance.now() - t);
for (let i = 0; i < 8; i++) {
  t = performance.now();
  const cur = await store.read();
  const t1 = performance.now();
  const r = await store.save({ baseVersion: cur.version, client: 'x', action: 'w', build: () => [{ op: 'set', target: { scope: 'server', virtual: 5000, server: 3 }, key: 'weight', value: 10 + i }] });
  console.log(r.kind, 'read', (t1 - t).toFixed(1), 'save', (performance.now() - t1).toFixed(1));
}
console.log('rss', process.memoryUsage().rss / 1e6);
