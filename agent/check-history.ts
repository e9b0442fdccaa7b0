// A real server's check history as the protocol carries it: what its check sends and expects,
// its state, when and why that last changed, its flap count and its last results (kept by the
// checker pool, agent/checkers/history.ts).
import type { CheckerPool } from './checkers/pool.ts';
import { checkExchange } from './checkers/check.ts';
import { findCheckTarget, type Configuration } from './config-state.ts';
import type { CheckHistoryResult } from './protocol/index.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/** `virtual`/`server` by their lvs.cf names; NotFoundError (E_NOT_FOUND) for unknown ones. */
export function checkHistoryOf(config: Configuration, pool: CheckerPool, virtual: string, server: string): CheckHistoryResult {
  const found = findCheckTarget(config, virtual, server);
  const { description, sent, expect } = checkExchange(found.spec);
  const state = pool.stateOf(found.key);
  const results = pool.historyOf(found.key) ?? [];
  return {
    virtual,
    server,
    address: found.spec.address,
    port: found.spec.port,
    check: description,
    sent,
    expect,
    checked: state !== undefined,
    state: state?.state ?? null,
    since: state ? iso(state.since) : null,
    reason: state?.reason ?? null,
    flaps: state?.flaps ?? 0,
    results: results.map((r) => ({
      time: iso(r.at),
      verdict: r.ok ? 'up' : 'down',
      latencyMs: Math.max(0, r.latencyMs),
      received: r.received,
      exitCode: r.exitCode,
      error: r.error,
    })),
  };
}
