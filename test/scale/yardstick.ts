// What a perfect client could do under a tenant allowance (sliding windows, counted at arrival as the API does):
// the yardstick for quota utilisation. Greedy is optimal for sliding windows: each call as soon as every window
// has room.
import type { RateLimitWindow } from '../../shared/config';

/** Arrival times (from 0) of a perfect client's first `n` calls. */
export function perfectSchedule(allowance: readonly RateLimitWindow[], n: number, until = Infinity): number[] {
  const times: number[] = [];
  let t = 0;
  while (times.length < n) {
    for (const a of allowance) {
      const limit = Math.floor(a.limit);
      if (times.length >= limit) t = Math.max(t, (times[times.length - limit] as number) + a.windowMs);
    }
    if (t > until) break;
    times.push(t);
  }
  return times;
}

/** The most calls a perfect client could have made in [0, span]. */
export function capacity(allowance: readonly RateLimitWindow[], span: number): number {
  return perfectSchedule(allowance, Number.MAX_SAFE_INTEGER, span).length;
}

/**
 * How long a perfect client needs from `start` to its n-th call, when the calls in `history` (arrival times before
 * `start`) still count in the windows.
 */
export function idealSpan(
  allowance: readonly RateLimitWindow[],
  n: number,
  history: readonly number[] = [],
  start = 0,
): number {
  const times = [...history].sort((x, y) => x - y);
  let t = start;
  for (let i = 0; i < n; i++) {
    for (const a of allowance) {
      const limit = Math.floor(a.limit);
      if (times.length >= limit) t = Math.max(t, (times[times.length - limit] as number) + a.windowMs);
    }
    times.push(t);
  }
  return n > 0 ? t - start : 0;
}

/** Most arrivals inside any window [t, t + windowMs). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((x, y) => x - y);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
