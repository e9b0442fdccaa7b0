// Scheduled TCP health checks run by the native addon (native/checks*.c): each real server's check
// is registered once with its interval and first delay, and every verdict comes back in batches,
// one call into JavaScript per batch, as rows laid out by native-contract.ts. The pool (pool.ts)
// keeps nanny's state machine for them, as for the checks it schedules itself (UDP, send_program,
// regex expect, host names).
import { nativeAddon } from '../native-addon.ts';
import { Outcome, RESULT_FIELDS, ResultColumn, type NativeFailure } from '../native-contract.ts';
import type { NativeTcpPlan } from './check.ts';

/**
 * Receives every verdict of one registered check, with how long it took and, for a failure, the
 * answer it quotes (null for a success: it matched the plan's expect).
 */
export type NativeVerdict = (ok: boolean, error: string | null, micros: number, received: Buffer | null) => void;

interface Registered {
  plan: NativeTcpPlan;
  verdict: NativeVerdict;
}

let results: Int32Array | null = null;
let bytes: Uint8Array = new Uint8Array(0);
const registered: (Registered | undefined)[] = [];

function onResults(count: number): void {
  const r = results!;
  for (let i = 0; i < count; i++) {
    const at = i * RESULT_FIELDS;
    const reg = registered[r[at + ResultColumn.id]!];
    if (reg === undefined) continue;
    const outcome = r[at + ResultColumn.outcome]!;
    const micros = r[at + ResultColumn.micros]!;
    if (outcome === Outcome.ok) {
      reg.verdict(true, null, micros, null);
    } else {
      const offset = r[at + ResultColumn.offset]!;
      const received = Buffer.from(bytes.subarray(offset, offset + r[at + ResultColumn.length]!));
      reg.verdict(false, reg.plan.failure(outcome as NativeFailure, r[at + ResultColumn.errno]!, received), micros, received);
    }
  }
}

function started(): void {
  if (results !== null) return;
  const addon = nativeAddon();
  const [res, buf] = addon.checksInit(onResults);
  results = new Int32Array(res);
  bytes = new Uint8Array(buf);
}

/**
 * Starts checking: the first check after `firstDelayMs`, then one every `intervalMs` from the
 * start of the previous one, never overlapping. Returns the id that stops it.
 */
export function addNativeCheck(plan: NativeTcpPlan, intervalMs: number, firstDelayMs: number, verdict: NativeVerdict): number {
  started();
  const id = nativeAddon().checkAdd(
    plan.ip, plan.port, plan.send, plan.expect, plan.expectAny, intervalMs, plan.timeoutSec * 1000, firstDelayMs,
  );
  registered[id] = { plan, verdict };
  return id;
}

/** Stops a check's schedule and the check in flight, if any; no verdict follows. */
export function removeNativeCheck(id: number): void {
  registered[id] = undefined;
  nativeAddon().checkRemove(id);
}

/** Most native checks running at once (the rest wait for a slot). */
export function setNativeMaxInFlight(n: number): void {
  started();
  nativeAddon().checksSetMaxInFlight(n);
}

/** Native checks running now. */
export function nativeChecksInFlight(): number {
  return results === null ? 0 : nativeAddon().checksInFlight();
}
