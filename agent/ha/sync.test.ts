import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSync } from './sync.ts';

const KEY = Buffer.alloc(32, 1);
const PORT = 20540 + (process.pid % 1000);
const cf = (serial: number) => `serial_no = ${serial}\nprimary = 127.0.0.41\nservice = lvs\nbackup_active = 1\nbackup = 127.0.0.42\nnetwork = direct\n`;

function receiver(key: Buffer | null) {
  const root = mkdtempSync(join(tmpdir(), 'sync-'));
  writeFileSync(join(root, 'lvs.cf'), cf(1));
  const received: number[] = [];
  const sync = new ConfigSync({ root, node: 'backup', key, allowUnauthenticated: false, log: () => {}, onConfigReceived: async (_t, m) => void received.push(m.serial_no) });
  return { root, sync, received };
}
const sender = (key: Buffer | null) =>
  new ConfigSync({ root: mkdtempSync(join(tmpdir(), 'sync-')), node: 'primary', key, allowUnauthenticated: false, log: () => {}, onConfigReceived: async () => {} });

test('an authenticated push is validated, the old file kept in history/, the new one written and reloaded', async (t) => {
  const r = receiver(KEY);
  await r.sync.listen(['127.0.0.42'], PORT, ['127.0.0.1', '127.0.0.41']);
  t.after(() => r.sync.close());
  const s = sender(KEY);
  assert.deepEqual(await s.push(cf(2), ['127.0.0.42'], PORT), { ok: true, serial: 2, unchanged: false });
  assert.equal(readFileSync(join(r.root, 'lvs.cf'), 'utf8'), cf(2));
  assert.deepEqual(r.received, [2]);
  assert.equal(r.sync.state.lastSync?.direction, 'received');
  assert.equal(s.state.lastSync?.direction, 'sent');

  // A wrong key, an invalid file: refused with the reason, the file untouched.
  const bad = await sender(Buffer.alloc(32, 2)).push(cf(3), ['127.0.0.42'], PORT);
  assert.deepEqual(bad, { ok: false, error: 'bad HMAC: the routers do not share the same heartbeat key' });
  const invalid = await s.push('serial_no = 4\nbogus_key = 1\n', ['127.0.0.42'], PORT);
  assert.equal(invalid.ok, false);
  assert.match((invalid as { error: string }).error, /does not validate/);
  assert.equal(readFileSync(join(r.root, 'lvs.cf'), 'utf8'), cf(2));
  assert.ok(existsSync(join(r.root, 'history')));
  assert.deepEqual(r.received, [2]);
});

test('without a key, sync is off on both ends unless explicitly allowed', async (t) => {
  const r = receiver(null);
  await r.sync.listen(['127.0.0.43'], PORT, ['127.0.0.1']);
  t.after(() => r.sync.close());
  const noKey = await sender(null).push(cf(2), ['127.0.0.43'], PORT);
  assert.match((noKey as { error: string }).error, /no heartbeat key/);
  // A sender that has a key still meets a receiver that refuses unauthenticated… and cannot verify.
  const refused = await sender(KEY).push(cf(2), ['127.0.0.43'], PORT);
  assert.match((refused as { error: string }).error, /no heartbeat key on this router/);
  assert.equal(readFileSync(join(r.root, 'lvs.cf'), 'utf8'), cf(1));
});
