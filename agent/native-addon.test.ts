// The native addon's loader: a missing build is one sentence saying how to build it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeAddon, NativeAddonError, nativeAddon } from './native-addon.ts';

test('native code that is not built is reported with how to build it', () => {
  assert.throws(
    () => loadNativeAddon('../build/Release/no-such-addon.node'),
    (e: unknown) =>
      e instanceof NativeAddonError &&
      /^the agent's native code \(native\/\*\.c\) is not built \(Cannot find module .*no-such-addon\.node'?\); `npm install` builds it with node-gyp/.test(e.message),
  );
});

test('the built addon has the relay and the checks', () => {
  const addon = nativeAddon();
  for (const f of ['relayInit', 'listen', 'sweep', 'checksInit', 'checkAdd', 'checkRemove'] as const) {
    assert.equal(typeof addon[f], 'function', f);
  }
});
