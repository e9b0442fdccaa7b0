// The JavaScript side of the native TCP relay (native/relay.c, in the addon of
// agent/native-addon.ts): starts it, hands out each real server's slot in the counters it shares with
// the addon, and routes the addon's callbacks (a client to place, a connection ended, accept
// failing) to the listener or connection they concern.
import { nativeAddon, NativeAddonError, type NativeAddon } from '../../native-addon.ts';
import type { Assignment } from './service.ts';

/** Field offsets within a real server's slot; the same order as in native/relay.c. */
export const F_ACTIVE = 0;
export const F_INACTIVE = 1;
export const F_PACKETS_IN = 2;
export const F_PACKETS_OUT = 3;
export const F_BYTES_IN = 4;
export const F_BYTES_OUT = 5;
export const F_IP = 6;
export const F_PORT = 7;
const SLOT_FIELDS = 8;

/** What a listener does with the addon's callbacks. */
export interface RelayListener {
  /** Places a new client: the assignment, or null to reset the client. */
  place(peer: number): Assignment | null;
  /** Accepting failed with this errno (negative), or works again (0). */
  acceptProblem(errno: number): void;
}

interface Loaded {
  addon: NativeAddon;
  counters: Float64Array;
}

let loaded: Loaded | null = null;
const listeners: (RelayListener | undefined)[] = [];
/** The assignment of every open connection, by the addon's connection id. */
const assignments: (Assignment | undefined)[] = [];

function onAccept(listener: number, peer: number, conn: number): number {
  const a = listeners[listener]?.place(peer) ?? null;
  if (a === null) return -1;
  if (a.real.counters[a.real.base + F_IP] === 0) {
    // A real server named by a host name that has not resolved yet: nowhere to connect.
    if (a.template !== null) a.table!.release(a.template, Date.now());
    return -1;
  }
  assignments[conn] = a;
  return a.real.slot;
}

function onClosed(conn: number): void {
  const a = assignments[conn]!;
  assignments[conn] = undefined;
  a.real.recordClosed();
  if (a.template !== null) a.table!.release(a.template, Date.now());
}

function onProblem(listener: number, errno: number): void {
  listeners[listener]?.acceptProblem(errno);
}

/** The addon, loaded and started on first use. */
export function relay(): Loaded {
  if (loaded !== null) return loaded;
  const addon = nativeAddon();
  if (addon.SLOT_FIELDS !== SLOT_FIELDS) {
    throw new NativeAddonError(`the built TCP relay has ${addon.SLOT_FIELDS} counters per real server where this code expects ${SLOT_FIELDS}: run \`npm rebuild\``);
  }
  const counters = new Float64Array(addon.relayInit(onAccept, onClosed, onProblem));
  loaded = { addon, counters };
  return loaded;
}

const freeSlots: number[] = [];
let nextSlot = 0;
// A slot returns to the pool once its Real is garbage: an open connection keeps its Assignment,
// and so its Real, reachable until it ends, so the addon never counts into a reused slot.
const slotReleaser = new FinalizationRegistry<number>((slot) => freeSlots.push(slot));

/** A zeroed slot of the shared counters for `owner`, where its fields start, and the counters themselves. */
export function allocateSlot(owner: object): { slot: number; base: number; counters: Float64Array } {
  const { addon, counters } = relay();
  let slot = freeSlots.pop();
  if (slot === undefined) {
    if (nextSlot >= addon.MAX_SLOTS) throw new Error(`the userspace dataplane holds at most ${addon.MAX_SLOTS} real servers`);
    slot = nextSlot++;
  }
  const base = slot * SLOT_FIELDS;
  counters.fill(0, base, base + SLOT_FIELDS);
  slotReleaser.register(owner, slot);
  return { slot, base, counters };
}

/** Registers a listener's callbacks under the addon's listener id (or removes them with undefined). */
export function routeListener(id: number, l: RelayListener | undefined): void {
  listeners[id] = l;
}
