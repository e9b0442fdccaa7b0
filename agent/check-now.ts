// "Check now" of one real server: while the agent directs and the server is checked, the pool runs
// its check (the verdict is recorded like a scheduled one); otherwise a one-off check is run and
// recorded nowhere (an inactive server, or an agent that is stopped, can still be checked by hand).
import type { CheckerPool } from './checkers/pool.ts';
import { runCheck, type CheckOutcome, type CheckSpec } from './checkers/check.ts';
import { findCheckTarget, type Configuration } from './config-state.ts';
import type { CheckNowResult } from './protocol/index.ts';

export interface CheckNowDeps {
  config: Configuration;
  pool: Pick<CheckerPool, 'checkNow'>;
  directing: boolean;
  /** The one-off check (tests pass a scripted one). */
  run?: (spec: CheckSpec) => Promise<CheckOutcome>;
}

/** `virtual`/`server` by their lvs.cf names; NotFoundError (E_NOT_FOUND) for unknown ones. */
export async function checkNowOf(deps: CheckNowDeps, virtual: string, server: string): Promise<CheckNowResult> {
  const found = findCheckTarget(deps.config, virtual, server);
  const pooled = deps.directing && deps.config.plan.checks.has(found.key);
  const outcome = pooled ? await deps.pool.checkNow(found.key) : await (deps.run ?? runCheck)(found.spec);
  return {
    virtual,
    server,
    sent: outcome.sent,
    received: outcome.received,
    verdict: outcome.ok ? 'up' : 'down',
    error: outcome.error,
    durationMs: outcome.durationMs,
  };
}
