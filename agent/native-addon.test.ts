// The native addon's loader: a missing build, or one whose layout differs from this code's, is one
// sentence saying what is wrong and what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

test('a built addon whose layout differs from this code is refused, naming the field', (t) => {
  // The built addon with one counter moved, as a relay.h changed without native-contract.ts would be.
  const dir = mkdtempSync(join(tmpdir(), 'piranha-addon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const built = fileURLToPath(new URL('../build/Release/piranha_native.node', import.meta.url));
  const layout = structuredClone(nativeAddon().layout);
  layout.relay.counters.bytesIn = 6;
  const path = join(dir, 'drifted-addon.cjs');
  writeFileSync(path, `module.exports = { ...require(${JSON.stringify(built)}), layout: ${JSON.stringify(layout)} };\n`);
  assert.throws(
    () => loadNativeAddon(path),
    (e: unknown) =>
      e instanceof NativeAddonError &&
      e.message ===
        "the agent's built native code and agent/native-contract.ts disagree on the layout they share: " +
          'layout.relay.counters.bytesIn is 6 in the addon and 4 here. Run `npm rebuild` if native/*.c changed since the last build; ' +
          'a layout is changed on both sides together (native/relay.h or native/checks.h, and agent/native-contract.ts)',
  );
});
