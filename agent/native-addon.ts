// The agent's native addon (native/*.c, built by `npm install` through node-gyp into build/Release):
// the userspace dataplane's TCP relay (native/relay*.c, used through
// agent/dataplane/userspace/native-relay.ts) and the scheduled TCP health checks (native/checks*.c,
// used through agent/checkers/native-checks.ts). This module loads it, says how to build it when it
// is missing, and refuses it when its functions or its layout (native-contract.ts) are not the
// ones this code was written against.
import { createRequire } from 'node:module';
import { checkLayout, type NativeLayout } from './native-contract.ts';

export interface NativeAddon {
  relayInit(
    onAccept: (listener: number, peer: number, conn: number) => number,
    onClosed: (conn: number, slot: number) => void,
    onProblem: (listener: number, errno: number) => void,
  ): ArrayBuffer;
  listen(ip: number, port: number, backlog: number): number;
  closeListener(listener: number, cut: boolean): void;
  connections(listener: number): number;
  sweep(listener: number, idleLimit: number, connectLimit: number): void;

  checksInit(onResults: (count: number) => void): [ArrayBuffer, ArrayBuffer];
  checkAdd(
    ip: number, port: number, send: Buffer | null, expect: Buffer | null, expectAny: boolean,
    intervalMs: number, timeoutMs: number, firstDelayMs: number,
  ): number;
  checkRemove(id: number): void;
  checksSetMaxInFlight(n: number): void;
  checksInFlight(): number;

  /** Offsets and codes shared with this code, checked against native-contract.ts at load. */
  layout: NativeLayout;
}

const FUNCTIONS = [
  'relayInit', 'listen', 'closeListener', 'connections', 'sweep',
  'checksInit', 'checkAdd', 'checkRemove', 'checksSetMaxInFlight', 'checksInFlight',
] as const satisfies readonly (keyof NativeAddon)[];

/** The addon is missing, older than this code, or disagrees with it: the agent says so and how to build it. */
export class NativeAddonError extends Error {
  override name = 'NativeAddonError';
}

/** Where `npm install` (node-gyp, binding.gyp) puts the built addon, relative to this file. */
const ADDON_PATH = '../build/Release/piranha_native.node';

/** Loads the addon from `path` (relative to this file), or throws a NativeAddonError saying what is wrong and what to do. */
export function loadNativeAddon(path = ADDON_PATH): NativeAddon {
  let addon: Record<string, unknown>;
  try {
    addon = createRequire(import.meta.url)(path) as Record<string, unknown>;
  } catch (e) {
    throw new NativeAddonError(
      `the agent's native code (native/*.c) is not built (${(e as Error).message.split('\n')[0]}); ` +
        '`npm install` builds it with node-gyp, which needs python3, make and a C compiler, and `npm rebuild` builds it again',
    );
  }
  const missing = FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
  if (missing.length > 0) {
    throw new NativeAddonError(`the agent's built native code is older than this code (no ${missing.join(', ')}): run \`npm rebuild\``);
  }
  const layout = checkLayout(addon.layout);
  if (!layout.ok) {
    throw new NativeAddonError(
      `the agent's built native code and agent/native-contract.ts disagree on the layout they share: ${layout.problems.join('; ')}. ` +
        'Run `npm rebuild` if native/*.c changed since the last build; a layout is changed on both sides together ' +
        '(native/relay.h or native/checks.h, and agent/native-contract.ts)',
    );
  }
  return addon as unknown as NativeAddon;
}

let loaded: NativeAddon | null = null;

/** The addon, loaded once. */
export function nativeAddon(): NativeAddon {
  loaded ??= loadNativeAddon();
  return loaded;
}
