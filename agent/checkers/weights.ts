// nanny's slow start for a real server that comes back (adjustWeight in nanny.c): it re-enters
// with a small weight that doubles about every 20 s until the configured weight is reached, so a
// cold server is not flooded the moment it passes its check.

/** nanny stepped the weight when `currCount % (20 / interval) == 0`: roughly every 20 s. */
export const RAMP_STEP_MS = 20_000;

/**
 * The weight to give a real server that has been up again since `upSinceMs`.
 * Starts at max(1, weight >> 5) and doubles every RAMP_STEP_MS, capped at `weight`.
 * Divergence from nanny: weight 0 (or less) stays 0. nanny's max(1, …) put a server the
 * administrator had set to weight 0 ("take no new connections") back into rotation with weight 1.
 */
export function rampedWeight(weight: number, upSinceMs: number, nowMs: number): number {
  if (!(weight > 0)) return 0;
  const start = Math.max(1, weight >> 5);
  const elapsed = nowMs - upSinceMs;
  if (!(elapsed > 0)) return Math.min(start, weight);
  const steps = Math.floor(elapsed / RAMP_STEP_MS);
  // 2^31 already exceeds any IPVS weight (max 65535); stop early instead of overflowing the shift.
  if (steps >= 31) return weight;
  return Math.min(weight, start * 2 ** steps);
}

/** When the ramp of `weight` started at `upSinceMs` next changes, or null when it is complete. */
export function nextRampChange(weight: number, upSinceMs: number, nowMs: number): number | null {
  if (rampedWeight(weight, upSinceMs, nowMs) >= weight) return null;
  const elapsed = Math.max(0, nowMs - upSinceMs);
  return upSinceMs + (Math.floor(elapsed / RAMP_STEP_MS) + 1) * RAMP_STEP_MS;
}
