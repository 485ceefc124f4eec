// The shared quota's bookkeeping, as pure functions over the state kept in one Table row per tenant and API family.
// Every instance reads the row, reserves permits here, and writes it back with the row's ETag (quotaStore.ts), so two
// instances can never hand out the same room twice.
//
// What it guarantees: no sliding window of any configured length (e.g. a minute and an hour) ever holds more calls
// than its limit, whichever instances made them and in whatever order they reserved. The API counts a call when it
// arrives, which is somewhere between its send and its answer; so, like the per-process limiter, a permit is
// recorded until the call's answer is back: its last possible send (`useBy`) plus the expected length of the call
// (`countUntil`, from the instance's recent calls; a call that takes longer is recorded again, until its end, with
// the instance's next write: recordLate). A new permit is allowed only when the permits recorded after (its start −
// the window − a margin), future reservations included, are fewer than the limit; any window that holds the new
// call's arrival therefore holds only calls that were counted.
// Slots are handed out in time order (each starts at or after the latest one given: `lastSlot`), which keeps the
// count tight (no reservation far ahead inflates it) and the instances first come, first served.
// Each window keeps its permits in buckets of 1/100 of its length (a few KB per row, whatever the traffic), and is
// widened by a margin (1 %, at least 100 ms) for clock skew: times in the row are the writers' clocks
// (NTP-synchronised in Azure), not the storage service's. A clock behind the others only makes its instance more
// careful; one ahead by more than the margin (0.6 s on a minute) could overspend, and one far ahead holds everyone
// back by pushing `lastSlot` out (docs/operations.md says how to read that in health).
// The cost is conservatism: a call counts for its window plus margin, bucket, hold and its own length (≈ 1.03 × the
// window when calls take well under a second).
import type { RateLimitWindow } from '../config';

/** Buckets per window: the resolution of the record (1 % of the window). */
export const BUCKETS_PER_WINDOW = 100;
/** Added to every window: clock skew between instances. */
export const MARGIN_RATIO = 0.01;
/**
 * Margins and holds never drop below this: time-scaled test windows shrink, the latencies they cover (a timer firing
 * late on a busy event loop, a TLS handshake) do not.
 */
export const MIN_MARGIN_MS = 100;

/** One window's record: [bucket end (epoch ms), permits], oldest first. */
export interface WindowRecord {
  windowMs: number;
  buckets: Array<[number, number]>;
}

export interface QuotaState {
  /** One record per configured window length. */
  windows: WindowRecord[];
  /** Start of the latest slot handed out (epoch ms); a new slot never starts before it. */
  lastSlot: number;
  /** No slot starts before this (epoch ms): a 429 seen by any instance. 0 when not paused. */
  pausedUntil: number;
  /** Why (e.g. "429 from PATCH /security/incidents/{id}, Retry-After 12 s"); never a body or a token. */
  pauseReason?: string | undefined;
}

export interface Slot {
  /** The permit may be used from here (epoch ms)... */
  at: number;
  /** ...until here. */
  useBy: number;
  /** It is recorded as used until here: useBy plus the expected length of the call (its answer is back by then). */
  countUntil: number;
}

export const emptyState = (): QuotaState => ({ windows: [], lastSlot: 0, pausedUntil: 0 });

/** A window's length plus its margin: how long a permit counts after its last possible use. */
export function effectiveSpan(windowMs: number): number {
  return Math.ceil(windowMs + Math.max(MIN_MARGIN_MS, windowMs * MARGIN_RATIO));
}

const resolution = (windowMs: number): number => Math.max(1, Math.floor(windowMs / BUCKETS_PER_WINDOW));
const bucketEnd = (t: number, windowMs: number): number => {
  const r = resolution(windowMs);
  return Math.ceil(t / r) * r;
};

/** A copy holding exactly the configured windows (a window no longer configured is dropped; a new one starts empty). */
function normalise(state: QuotaState, allowance: readonly RateLimitWindow[]): QuotaState {
  return {
    ...state,
    windows: allowance.map((a) => {
      const found = state.windows.find((w) => w.windowMs === a.windowMs);
      return { windowMs: a.windowMs, buckets: found ? found.buckets.map(([r, n]) => [r, n] as [number, number]) : [] };
    }),
  };
}

/** Drops buckets that can no longer share a window with any slot starting at or after `now`. */
export function prune(state: QuotaState, now: number): QuotaState {
  return {
    ...state,
    windows: state.windows.map((w) => ({
      windowMs: w.windowMs,
      buckets: w.buckets.filter(([r]) => r > now - effectiveSpan(w.windowMs)),
    })),
    ...(state.pausedUntil <= now ? { pausedUntil: 0, pauseReason: undefined } : {}),
  };
}

/** Permits counted against a slot starting at `t`, per window (what health shows as used). */
export function usedAt(state: QuotaState, t: number): Array<{ windowMs: number; used: number }> {
  return state.windows.map((w) => {
    const from = t - effectiveSpan(w.windowMs);
    return { windowMs: w.windowMs, used: w.buckets.reduce((n, [r, c]) => (r > from ? n + c : n), 0) };
  });
}

/**
 * The earliest t ≥ from at which one more permit fits every window: for each window, the permits recorded after
 * t − span must be fewer than its limit. Recorded permits only ever leave that set as t grows, so each window gives
 * a lower bound and the largest bound satisfies them all.
 */
export function nextFree(state: QuotaState, allowance: readonly RateLimitWindow[], from: number): number {
  let t = from;
  for (const a of allowance) {
    const w = state.windows.find((x) => x.windowMs === a.windowMs);
    if (!w) continue;
    const span = effectiveSpan(a.windowMs);
    const limit = Math.max(1, Math.floor(a.limit));
    const counted = w.buckets.filter(([r]) => r > t - span);
    let excess = counted.reduce((n, [, c]) => n + c, 0) - (limit - 1);
    for (const [r, c] of counted) {
      if (excess <= 0) break;
      excess -= c;
      // From r + span on, this bucket no longer counts.
      t = Math.max(t, r + span);
    }
  }
  return t;
}

export interface ReserveOptions {
  /** How many permits. */
  count: number;
  /** How long after its slot a permit may still be used (the caller's timer and send). */
  holdMs: number;
  /** No slot later than this (the callers' longest acceptable wait); fewer permits are returned instead. */
  latest: number;
  /** Extra permits to take only if they are free right now (≤ now + holdMs): a busy instance's next calls. */
  prefetch?: number;
  /** Prefetched permits may be used until now + this. */
  prefetchHoldMs?: number;
  /**
   * How long a call takes from send to answer (this instance's recent calls): each permit is recorded until then,
   * because the API may count the call at any moment before it answers, like the per-process limiter does.
   */
  callMs?: number;
}

export interface Reservation {
  slots: Slot[];
  /** The state to write back (unchanged when no slot was reserved). */
  state: QuotaState;
  /** When the next permit would be free after these (for a caller that got none: how long to wait). */
  nextFreeAt: number;
}

/** Adds one permit recorded until `until` to every window (buckets stay in time order). */
function record(state: QuotaState, until: number): void {
  for (const w of state.windows) {
    const r = bucketEnd(until, w.windowMs);
    let i = w.buckets.length;
    while (i > 0 && (w.buckets[i - 1] as [number, number])[0] > r) i--;
    const at = w.buckets[i - 1];
    if (at && at[0] === r) at[1] += 1;
    else w.buckets.splice(i, 0, [r, 1]);
  }
}

/**
 * Calls that ended later than they were recorded for (a slow answer): each is recorded once more, until its end,
 * so later reservations count it for as long as the API may have. Written with the instance's next write.
 */
export function recordLate(current: QuotaState, allowance: readonly RateLimitWindow[], ends: readonly number[]) {
  if (ends.length === 0) return current;
  const state = normalise(current, allowance);
  for (const end of ends) record(state, end);
  return state;
}

/** Reserves up to `count` (+ `prefetch`) permits in slot order; pure: the returned state is a new object. */
export function reserve(
  current: QuotaState,
  allowance: readonly RateLimitWindow[],
  now: number,
  options: ReserveOptions,
): Reservation {
  const state = prune(normalise(current, allowance), now);
  const slots: Slot[] = [];
  let from = Math.max(now, state.lastSlot, state.pausedUntil);
  const wanted = options.count + (options.prefetch ?? 0);
  for (let i = 0; i < wanted; i++) {
    const at = nextFree(state, allowance, from);
    const prefetched = i >= options.count;
    if (at > options.latest || (prefetched && at > now + options.holdMs)) break;
    const useBy = at + (prefetched ? Math.max(options.holdMs, options.prefetchHoldMs ?? 0) : options.holdMs);
    const countUntil = useBy + Math.max(0, options.callMs ?? 0);
    record(state, countUntil);
    state.lastSlot = at;
    from = at;
    slots.push({ at, useBy, countUntil });
  }
  return {
    slots,
    state: slots.length > 0 ? state : current,
    nextFreeAt: nextFree(state, allowance, from),
  };
}

/** The state after a 429 seen at `now` with a wait of `waitMs`: nobody starts before its end. */
export function pause(current: QuotaState, until: number, reason: string): QuotaState {
  if (until <= current.pausedUntil) return current;
  return { ...current, pausedUntil: until, pauseReason: reason };
}
