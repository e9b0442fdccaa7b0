import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDataplane } from './index.ts';

test('createDataplane picks the implementation and passes its options', async () => {
  const u = createDataplane('userspace', { userspace: { udpTimeout: 30 } });
  assert.equal(u.kind, 'userspace');
  await u.start();
  assert.deepEqual(await u.table(), []);
  await u.stop();
  const i = createDataplane('ipvs', { ipvs: { ipvsadm: '/nonexistent/ipvsadm' } });
  assert.equal(i.kind, 'ipvs');
  await assert.rejects(i.start(), /ipvsadm not found/);
  assert.throws(() => createDataplane('userspace', { userspace: { udpTimeout: -1 } }));
});
