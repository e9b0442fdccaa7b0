// The agent's native addon (native/*.c, built by `npm install` through node-gyp into build/Release):
// the userspace dataplane's TCP relay (native/relay.c, used through
// agent/dataplane/userspace/native-relay.ts) and the scheduled TCP health checks (native/checks.c,
// used through agent/checkers/native-checks.ts). This module only loads it and says how to build
// it when it is missing.
import { createRequire } from 'node:module';

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
  SLOT_FIELDS: number;
  MAX_SLOTS: number;

  checksInit(onResults: (count: number) => void): [ArrayBuffer, ArrayBuffer];
  checkAdd(
    ip: number, port: number, send: Buffer | null, expect: Buffer | null, expectAny: boolean,
    intervalMs: number, timeoutMs: number, firstDelayMs: number,
  ): number;
  checkRemove(id: number): void;
  checksSetMaxInFlight(n: number): void;
  checksInFlight(): number;
  RESULT_FIELDS: number;
}

/** The addon is missing or older than this code: the agent says so and how to build it. */
export class NativeAddonError extends Error {
  override name = 'NativeAddonError';
}

/** Where `npm install` (node-gyp, binding.gyp) puts the built addon, relative to this file. */
const ADDON_PATH = '../build/Release/piranha_native.node';

/** Loads the addon from `path` (relative to this file), or throws a NativeAddonError saying how to build it. */
export function loadNativeAddon(path = ADDON_PATH): NativeAddon {
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new NativeAddonError(
      `the agent's native code (native/*.c) is not built (${(e as Error).message.split('\n')[0]}); ` +
        '`npm install` builds it with node-gyp, which needs python3, make and a C compiler, and `npm rebuild` builds it again',
    );
  }
  const missing = ['relayInit', 'checksInit', 'checkAdd'].filter((f) => typeof (addon as unknown as Record<string, unknown>)[f] !== 'function');
  if (missing.length > 0) {
    throw new NativeAddonError(`the agent's built native code is older than this code (no ${missing.join(', ')}): run \`npm rebuild\``);
  }
  return addon;
}

let loaded: NativeAddon | null = null;

/** The addon, loaded once. */
export function nativeAddon(): NativeAddon {
  loaded ??= loadNativeAddon();
  return loaded;
}
