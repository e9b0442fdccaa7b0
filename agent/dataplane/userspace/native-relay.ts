// The JavaScript side of the native TCP relay (native/relay*.c, in the addon of
// agent/native-addon.ts): starts it, hands out each real server's slot in the counters it shares
// with the addon (their layout: agent/native-contract.ts), and routes the addon's callbacks (a
// client to place, a connection ended, accept failing) to the listener they concern. What a placed
// connection holds (a real server, a persistence template) is the listener's business
// (tcp-listener.ts): this module knows listeners, connection ids and slots only.
import { nativeAddon, type NativeAddon } from '../../native-addon.ts';
import { COUNTER_FIELDS } from '../../native-contract.ts';

/** What a listener does with the addon's callbacks. */
export interface RelayListener {
  /**
   * A new client (its IPv4 address as an integer) that the addon calls connection `conn` until it
   * ends: the slot of the real server that takes it, or -1 to reset the client.
   */
  accept(peer: number, conn: number): number;
  /** Connection `conn`, which this listener accepted, has ended both ways. */
  closed(conn: number): void;
  /** Accepting failed with this errno (negative), or works again (0). */
  acceptProblem(errno: number): void;
}

interface Loaded {
  addon: NativeAddon;
  counters: Float64Array;
}

let loaded: Loaded | null = null;
/** Listeners taking clients, by the addon's listener id. */
const listeners: (RelayListener | undefined)[] = [];
/** The listener of every open connection, by the addon's connection id: it outlives routeListener(id, undefined). */
const owners: (RelayListener | undefined)[] = [];

function onAccept(listener: number, peer: number, conn: number): number {
  const l = listeners[listener];
  if (l === undefined) return -1;
  const slot = l.accept(peer, conn);
  if (slot >= 0) owners[conn] = l;
  return slot;
}

function onClosed(conn: number): void {
  const l = owners[conn]!;
  owners[conn] = undefined;
  l.closed(conn);
}

function onProblem(listener: number, errno: number): void {
  listeners[listener]?.acceptProblem(errno);
}

/** The addon, loaded and started on first use. */
export function relay(): Loaded {
  if (loaded !== null) return loaded;
  const addon = nativeAddon();
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
    const max = addon.layout.relay.maxSlots;
    if (nextSlot >= max) throw new Error(`the userspace dataplane holds at most ${max} real servers`);
    slot = nextSlot++;
  }
  const base = slot * COUNTER_FIELDS;
  counters.fill(0, base, base + COUNTER_FIELDS);
  slotReleaser.register(owner, slot);
  return { slot, base, counters };
}

/** Routes new clients of a listener (by the addon's listener id) to `l`, or stops routing them with undefined. */
export function routeListener(id: number, l: RelayListener | undefined): void {
  listeners[id] = l;
}
