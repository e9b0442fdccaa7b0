// The `series` call's answer: the sampled traffic of the named virtual servers, their services and
// real servers unless asked without them (agent/protocol/observe.ts).
import type { SeriesParams, SeriesResult, TrafficSeries } from '../protocol/index.ts';
import type { TrafficSampler } from './sampler.ts';

export function seriesReply(sampler: TrafficSampler, params: SeriesParams): SeriesResult {
  const { store } = sampler;
  const empty = (): TrafficSeries => {
    const none = Array.from({ length: store.points }, () => null);
    return { active: none, inactive: none, connsPerSec: none, bytesPerSec: none };
  };
  return {
    intervalSec: sampler.intervalSec,
    points: store.points,
    newest: store.newestAt === 0 ? null : new Date(store.newestAt).toISOString(),
    virtuals: params.virtuals.map((name) => ({
      name,
      services: sampler.servicesOf(name).map((key) => ({
        key,
        total: store.read(key) ?? empty(),
        reals:
          params.reals === false
            ? []
            : sampler.realsOf(key).flatMap((r) => {
                const series = store.read(r.key);
                return series ? [{ address: r.address, port: r.port, series }] : [];
              }),
      })),
    })),
  };
}
