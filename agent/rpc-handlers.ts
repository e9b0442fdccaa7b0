// The agent's methods on the control socket: each calls the core and answers in the protocol's
// types; the core's domain errors become protocol error codes here, at the edge, and nowhere else.
// Anything else thrown is the socket server's E_INTERNAL, with its message.
import type { Agent } from './agent.ts';
import { BadChangeError, ConfigInvalidError, NotFoundError, PairError, StaleBaseError } from './errors.ts';
import { RpcError, type Handlers } from './socket-server.ts';
import { METHODS } from './protocol/index.ts';
import { haStatusToWire } from './wire-map.ts';
import type { TrafficSampler } from './traffic/sampler.ts';
import { seriesReply } from './traffic/series-reply.ts';

/** What the handlers need of the core. */
export type AgentCore = Pick<Agent, 'status' | 'table' | 'checkers' | 'reload' | 'start' | 'stop' | 'checkNow' | 'haStatus' | 'plan' | 'reconcile' | 'checkHistory'> & { kernel: Pick<Agent['kernel'], 'driftNow' | 'routerSettings'> };

/** The protocol's error for a domain error; other errors are returned as they are. */
export function toRpcError(err: unknown): unknown {
  if (err instanceof ConfigInvalidError) return new RpcError('E_CONFIG_INVALID', err.message);
  if (err instanceof NotFoundError) return new RpcError('E_NOT_FOUND', err.message);
  if (err instanceof PairError) return new RpcError('E_INTERNAL', err.message);
  if (err instanceof StaleBaseError) return new RpcError('E_STALE', err.message);
  if (err instanceof BadChangeError) return new RpcError('E_BAD_PARAMS', err.message);
  return err;
}

async function atEdge<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toRpcError(err);
  }
}

export function rpcHandlers(agent: AgentCore, traffic: TrafficSampler): Handlers {
  return {
    series: (p) => atEdge(() => seriesReply(traffic, p)),
    status: () => atEdge(() => agent.status()),
    table: (p) => atEdge(() => agent.table(p)),
    checkers: (p) => atEdge(() => agent.checkers(p)),
    plan: (p) => atEdge(() => agent.plan(p)),
    reload: () => atEdge(() => agent.reload()),
    start: () => atEdge(() => agent.start()),
    stop: () => atEdge(() => agent.stop()),
    checkNow: (p) => atEdge(() => agent.checkNow(p.virtual, p.server)),
    drift: () => atEdge(() => agent.kernel.driftNow()),
    reconcile: () => atEdge(() => agent.reconcile()),
    routerSettings: () => atEdge(() => agent.kernel.routerSettings()),
    checkHistory: (p) => atEdge(() => agent.checkHistory(p.virtual, p.server)),
    haStatus: () =>
      atEdge(() => {
        const s = agent.haStatus();
        return s === null ? null : haStatusToWire(s);
      }),
  };
}

/**
 * Handlers for a socket that answers before the agent exists (while it reads lvs.cf at startup):
 * `hello` and `subscribe` are answered at once by the socket server; every other call waits for
 * the agent's handlers, then runs. A call never sees a half-started agent.
 */
export function handlersOnceReady(ready: Promise<Handlers>): Handlers {
  const out: Record<string, (params: unknown) => Promise<unknown>> = {};
  for (const method of Object.keys(METHODS)) {
    if (method === 'hello' || method === 'subscribe') continue;
    out[method] = async (params) => ((await ready)[method as keyof Handlers] as (p: unknown) => Promise<unknown>)(params);
  }
  return out as Handlers;
}
