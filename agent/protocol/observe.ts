// What the agent tells about what it observes over time: a real server's last check results
// (`checkHistory`) and the traffic samples of its services and real servers (`series`).
import { z } from 'zod';
import { checkerInfoSchema } from './results.ts';

const isoTime = z.string();
const count = z.number().int().min(0);

export const checkHistoryParamsSchema = z.object({ virtual: z.string().min(1).max(200), server: z.string().min(1).max(200) }).strict();
export type CheckHistoryParams = z.infer<typeof checkHistoryParamsSchema>;

/** One check result, newest first in a history. */
export const checkRecordSchema = z.object({
  time: isoTime,
  verdict: z.enum(['up', 'down']),
  /** How long the check took, ms. */
  latencyMs: z.number().min(0),
  /** The first bytes received (a program's output), printable, at most 64 characters; '' when none. */
  received: z.string(),
  /** A send_program's exit status; null for network checks and programs killed or never started. */
  exitCode: z.number().int().nullable(),
  /** Why it failed (at most 64 characters), null when it passed. */
  error: z.string().nullable(),
});
export type CheckRecordWire = z.infer<typeof checkRecordSchema>;

/** The real server and its check as `checkers` names them, with its history. */
export const checkHistoryResultSchema = checkerInfoSchema.pick({ virtual: true, server: true, address: true, port: true, check: true }).extend({
  /** What every check sends, printable ('' for none); the command line of a send_program. */
  sent: z.string(),
  /** What a passing answer must start with (or match), printable; null when any answer or a connect will do. */
  expect: z.string().nullable(),
  /** false when this real server is not being checked now (inactive, stopped, standby): no results. */
  checked: z.boolean(),
  state: checkerInfoSchema.shape.state.nullable(),
  /** When the state last changed, and why. */
  since: isoTime.nullable(),
  reason: z.string().nullable(),
  /** Changes between up and down since its checking began. */
  flaps: count,
  /** The last results (at most 20), newest first. */
  results: z.array(checkRecordSchema),
});
export type CheckHistoryResult = z.infer<typeof checkHistoryResultSchema>;

/** Most virtual servers one `series` call may name (a page of CONTROL/MONITORING). */
export const MAX_SERIES_VIRTUALS = 100;

export const seriesParamsSchema = z
  .object({
    virtuals: z.array(z.string().min(1).max(200)).min(1).max(MAX_SERIES_VIRTUALS),
    /** false: the services' totals alone, every `reals` left empty (CONTROL/MONITORING draws no real server). Default true. */
    reals: z.boolean().optional(),
  })
  .strict();
export type SeriesParams = z.infer<typeof seriesParamsSchema>;

const points = z.array(z.number().min(0).nullable());
/** Samples oldest first, one every intervalSec; null where there was none (not yet in the table). */
export const trafficSeriesSchema = z.object({ active: points, inactive: points, connsPerSec: points, bytesPerSec: points });
export type TrafficSeries = z.infer<typeof trafficSeriesSchema>;

export const seriesResultSchema = z.object({
  intervalSec: z.number().positive(),
  /** Samples per series (the last ten minutes). */
  points: count,
  /** Time of the newest sample, null before the first. */
  newest: isoTime.nullable(),
  virtuals: z.array(
    z.object({
      name: z.string(),
      services: z.array(
        z.object({
          key: z.string(),
          total: trafficSeriesSchema,
          reals: z.array(z.object({ address: z.string(), port: z.number().int(), series: trafficSeriesSchema })),
        }),
      ),
    }),
  ),
});
export type SeriesResult = z.infer<typeof seriesResultSchema>;
