// One instance's side of the shared quota (quotaLog.ts has the rules, quotaStore.ts the row). Callers queue here;
// one read-modify-write of the row at a time reserves slots for everyone queued (up to maxBatch), so a busy instance
// pays one storage round trip for many API calls, and an instance with a steady stream of calls takes a few permits
// ahead that are free right now. Each caller then sleeps until its slot: nothing polls the row.
//
// A 429 from the API, seen by any instance, is written into the row as "paused until" (throttled()); every instance
// reads it with its next reservation, and no slot starts before it. When the row cannot be read or written (storage
// unreachable, throttled, refused), calls go on under the per-process limiter alone, health says so with the reason,
// and storage is tried again after retryStorageAfterMs.
import { randomBytes } from 'node:crypto';
import type { RateLimitWindow } from '../config';
import { redact, silentLogger, type Logger } from '../logger';
import {
  createRateLimiter,
  RateLimitWaitError,
  type AcquireOptions,
  type RateLimiter,
  type TimerHandle,
} from '../http/rateLimiter';
import {
  BUCKETS_PER_WINDOW,
  effectiveSpan,
  emptyState,
  MIN_MARGIN_MS,
  pause,
  prune,
  amend,
  reserve,
  usedAt,
  type Amendment,
  type QuotaState,
  type Slot,
} from './quotaLog';
import type { QuotaKey, QuotaRow, QuotaStore } from './quotaStore';

export interface SharedQuotaOptions {
  key: QuotaKey;
  /** The tenant's allowance for this family (already time-scaled). */
  allowance: readonly RateLimitWindow[];
  store: QuotaStore;
  /** Label for errors and logs ("incidents", "hunting"). */
  name: string;
  /** Written into the row as its last writer (not a secret: a random id and the process id). */
  instanceId?: string;
  logger?: Logger;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => TimerHandle;
  random?: () => number;
  /** Most permits reserved by one write (default 10). */
  maxBatch?: number;
  /** After a storage failure, how long calls use the per-process limiter alone before storage is tried again. */
  retryStorageAfterMs?: number;
}

export interface SharedQuotaStatus {
  name: string;
  tenantId: string;
  /** 'shared': every instance draws from the row; 'perProcess': storage failed, this instance uses its own limiter. */
  mode: 'shared' | 'perProcess';
  /** Why per-process (the storage error, redacted), and since when. */
  reason?: string;
  since?: string;
  /** When storage is tried again. */
  retryAt?: string;
  /**
   * In perProcess mode: the instances this one saw drawing from the row lately (itself included); it keeps to the
   * allowance divided by them, so that together they stay near the tenant's allowance.
   */
  instancesSeen?: number;
  allowance: Array<{ limit: number; windowMs: number }>;
  /** Permits left per window as of the last row this instance saw (null: not seen yet). */
  permitsLeft: Array<{ windowMs: number; left: number }> | null;
  pausedUntil?: string;
  pauseReason?: string;
  /** Permits reserved by this instance for its next callers (counted in permitsLeft already). */
  held: number;
  /** How long this instance's calls take (90th percentile of recent ones): each permit counts that much longer. */
  callMs: number;
  /** Last successful read or write of the row. */
  lastSync?: string;
  stats: {
    /** Calls let through by a shared permit. */
    permits: number;
    /** Calls let through by the per-process limiter alone (storage unavailable). */
    perProcessPermits: number;
    /** Reads and writes of the row on the call path (not counting health's own read). */
    storageCalls: number;
    /** Writes that lost to another instance and were redone. */
    conflicts: number;
    /** Permits reserved but never used (a caller gave up, a prefetch went unused, a pause). */
    wasted: number;
    /** Calls that started after their slot's end (a late timer) or ended after their record: recorded again. */
    lateStarts: number;
    lateEnds: number;
  };
}

export interface SharedQuota {
  readonly name: string;
  /**
   * Resolves at this caller's slot with `done`, to call when the call's answer is back (or it failed); rejects with
   * the signal's reason or RateLimitWaitError (maxWaitMs too short).
   */
  take(options?: AcquireOptions): Promise<() => void>;
  /** The API answered 429 asking for `waitMs`: no call starts here before then, nor on any instance that syncs. */
  throttled(waitMs: number, reason: string): void;
  /** Callers waiting for a slot. */
  readonly waiting: number;
  /** Earliest this instance knows a new caller could start (pause or slots already handed out), ms from now. */
  knownWaitMs(): number;
  status(): SharedQuotaStatus;
  /** Reads the row now (deep health): the status with the stored state, or the storage error. */
  inspect(): Promise<SharedQuotaStatus & { storage: 'ok' | 'unreachable'; storageError?: string }>;
}

interface Waiter {
  deadline: number;
  signal: AbortSignal | undefined;
  resolve: (done: () => void) => void;
  reject: (e: unknown) => void;
  onAbort: () => void;
  slot?: Slot;
  timer?: TimerHandle;
}

const defaultSetTimer = (fn: () => void, ms: number): TimerHandle => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

const iso = (ms: number): string => new Date(ms).toISOString();

/** What went wrong with storage, for health and logs: status or code and a redacted first line. */
export function describeStorageError(e: unknown): string {
  const err = e as { statusCode?: unknown; code?: unknown; message?: unknown } | null;
  const status = typeof err?.statusCode === 'number' ? String(err.statusCode) : undefined;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? redact(err.message.split('\n')[0] ?? '').slice(0, 200) : '';
  return [status ?? code ?? 'no answer', message].filter(Boolean).join(': ');
}

const MAX_CONFLICTS = 8;
/** The p-th quantile of samples (0 when there are none). */
const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * p)] as number;
};
/** Call lengths remembered for the expected length of the next call. */
const SAMPLES = 50;
const noop = (): void => undefined;

export function createSharedQuota(options: SharedQuotaOptions): SharedQuota {
  const {
    key,
    store,
    name,
    logger = silentLogger,
    now = Date.now,
    setTimer = defaultSetTimer,
    random = Math.random,
    maxBatch = 10,
    retryStorageAfterMs = 15_000,
  } = options;
  const allowance = options.allowance.map((w) => ({ limit: Math.floor(w.limit), windowMs: w.windowMs }));
  const instanceId = options.instanceId ?? `${randomBytes(4).toString('hex')}-${process.pid}`;
  const shortest = Math.min(...allowance.map((w) => w.windowMs));
  // A caller sends as soon as its timer fires; the hold covers a late timer. Prefetched permits wait for callers
  // that have not arrived yet, so they get longer (and count longer).
  const holdMs = Math.max(MIN_MARGIN_MS, Math.floor(shortest / BUCKETS_PER_WINDOW));
  const prefetchHoldMs = Math.max(4 * holdMs, Math.floor(shortest / 10));
  const flushAfterMs = Math.max(holdMs, Math.floor(shortest / 4));
  const shortestSpan = effectiveSpan(shortest);
  /** How far back this instance's call rate is measured, to size its prefetch. */
  const rateWindowMs = Math.max(prefetchHoldMs, Math.floor(shortest / 6));

  const waiting: Waiter[] = [];
  let pool: Slot[] = [];
  let row: QuotaRow | undefined;
  let rowSeenAt: number | undefined;
  let syncing = false;
  let retryTimer: TimerHandle | undefined;
  /**
   * No new slot can start before this (epoch ms): the next free moment after the last reservation this instance
   * made or saw. Other instances only ever push it later, so it is a safe lower bound without a read.
   */
  let knownFreeAt = 0;
  /** Set while callers gather for one reservation just before knownFreeAt (see pump). */
  let gatherTimer: TimerHandle | undefined;
  /** Lengths of recent read-modify-writes of the row (ms), to start a gathered reservation in time. */
  const syncSamples: number[] = [];
  /** Lengths of recent writes of the row (ms): a slot reserved now cannot be used before its write is back. */
  const writeSamples: number[] = [];
  let pausedUntil = 0;
  let pauseReason: string | undefined;
  let degraded: { reason: string; since: number; retryAt: number } | undefined;
  /** Instances seen writing the row (its last writer on each read), and when: to share the allowance when degraded. */
  const writers = new Map<string, number>();
  /** While degraded: this instance's share of the allowance, as its own limiter. */
  let share: { instances: number; limiter: RateLimiter } | undefined;
  const recentGrants: number[] = [];
  /** Lengths of this instance's recent calls (ms), oldest first. */
  const samples: number[] = [];
  /** Records to move (slow calls) or drop (permits never used), not yet written (quotaLog.amend). */
  const amendments: Amendment[] = [];
  let flushTimer: TimerHandle | undefined;
  let flushAt = Infinity;
  /** The last write needed a fresh read: others are writing too. */
  let contended = false;
  const stats = {
    permits: 0,
    perProcessPermits: 0,
    storageCalls: 0,
    conflicts: 0,
    wasted: 0,
    lateStarts: 0,
    lateEnds: 0,
  };

  const release = (w: Waiter): void => {
    w.signal?.removeEventListener('abort', w.onAbort);
    w.timer?.cancel();
  };

  /**
   * The expected length of a call: the 90th percentile of recent ones, at most a twentieth of the shortest window
   * (3 s on a minute). Every permit counts this much longer than its window, so a generous guess costs allowance;
   * a call that takes longer has its record moved to its real end (lateEnd), which costs a write of its own when
   * no reservation comes soon: a short guess costs storage calls.
   */
  const callMs = (): number => {
    if (samples.length === 0) return 0;
    const sorted = [...samples].sort((a, b) => a - b);
    return Math.min(Math.floor(shortest / 20), sorted[Math.floor((sorted.length - 1) * 0.9)] as number);
  };

  /** Writes pending record moves on their own at the latest `delayMs` from now (sooner if already due). */
  const scheduleFlush = (delayMs: number): void => {
    const due = now() + delayMs;
    if (flushTimer && due >= flushAt) return;
    flushTimer?.cancel();
    flushAt = due;
    flushTimer = setTimer(() => {
      flushTimer = undefined;
      flushAt = Infinity;
      if (!amendments.some((a) => a.add !== undefined) || isDegraded(now())) return;
      // A write under way may have started before the move: try again just after it.
      if (syncing) return scheduleFlush(holdMs);
      void update(() => ({ result: undefined })).catch((e: unknown) => {
        if (!(e instanceof ContentionError)) storageFailed(e);
      });
    }, delayMs);
  };

  /**
   * Moves a permit's record from `from` to `end`: written with this instance's next reservation, or on its own when
   * it cannot wait. The old record misleads only reservations of slots from `from` + the window on (the API may have
   * counted the call until `end`), and slots are reserved ahead of time only while the allowance is booked up; so a
   * move waits for a reservation to ride along with (up to a quarter of the window) unless such slots come within
   * half a window, then it is written at once.
   */
  const lateEnd = (from: number, end: number): void => {
    amendments.push({ drop: from, add: end });
    const slack = from + shortestSpan - end - shortest / 2;
    scheduleFlush(Math.min(flushAfterMs, Math.max(holdMs, Math.floor(slack))));
  };

  const finished = (grantedAt: number, countUntil: number): void => {
    const t = now();
    samples.push(t - grantedAt);
    if (samples.length > SAMPLES) samples.shift();
    if (t > countUntil) {
      stats.lateEnds++;
      lateEnd(countUntil, t);
    }
  };

  const grant = (w: Waiter): void => {
    release(w);
    stats.permits++;
    const t = now();
    recentGrants.push(t);
    while (recentGrants.length > 0 && (recentGrants[0] as number) < t - rateWindowMs) recentGrants.shift();
    const countUntil = w.slot?.countUntil ?? t + holdMs;
    w.resolve(() => finished(t, countUntil));
  };

  const refuse = (w: Waiter, waitMs: number): void => {
    release(w);
    w.reject(new RateLimitWaitError(name, waitMs, options.allowance));
  };

  /**
   * Slot time reached: go, unless a pause arrived meanwhile (then queue again for a slot after it). A timer that
   * fired late (a busy event loop) still goes: the permit is recorded once more from this real start, as a slow call
   * is, rather than thrown away.
   */
  const wake = (w: Waiter): void => {
    w.timer = undefined;
    const t = now();
    if (t < pausedUntil) {
      stats.wasted++;
      // Never used: its record goes with the next write (it only ever made others wait longer).
      if (w.slot) amendments.push({ drop: w.slot.countUntil });
      w.slot = undefined;
      waiting.unshift(w);
      pump();
      return;
    }
    if (w.slot && t > w.slot.useBy) {
      stats.lateStarts++;
      const moved = t + callMs();
      lateEnd(w.slot.countUntil, moved);
      w.slot = { ...w.slot, countUntil: moved };
    }
    grant(w);
  };

  const assign = (w: Waiter, slot: Slot): void => {
    w.slot = slot;
    const delay = slot.at - now();
    // Pool slots are fresh (dropStalePool ran just before): one due now goes at once.
    if (delay <= 0) grant(w);
    else w.timer = setTimer(() => wake(w), Math.ceil(delay));
  };

  const dropStalePool = (t: number): void => {
    const keep = pool.filter((s) => s.useBy >= t && s.at >= pausedUntil);
    stats.wasted += pool.length - keep.length;
    for (const s of pool) if (!keep.includes(s)) amendments.push({ drop: s.countUntil });
    pool = keep;
  };

  const isDegraded = (t: number): boolean => degraded !== undefined && t < degraded.retryAt;

  function pump(): void {
    const t = now();
    if (isDegraded(t)) {
      // Storage failed a moment ago: everyone queued goes on under this instance's share of the allowance.
      for (const w of waiting.splice(0)) {
        release(w);
        viaShare({
          signal: w.signal,
          ...(w.deadline !== Infinity ? { maxWaitMs: Math.max(0, w.deadline - t) } : {}),
        }).then(w.resolve, w.reject);
      }
      return;
    }
    dropStalePool(t);
    while (waiting.length > 0 && pool.length > 0) {
      const w = waiting[0] as Waiter;
      const slot = pool[0] as Slot;
      waiting.shift();
      if (slot.at > w.deadline) {
        refuse(w, slot.at - t);
        continue;
      }
      pool.shift();
      assign(w, slot);
    }
    if (waiting.length === 0 || syncing || retryTimer || gatherTimer) return;
    // While the allowance is spent, a reservation made now could not start before knownFreeAt anyway: callers that
    // cannot wait that long are answered at once, and the rest gather until just before it, so one write serves all
    // of them (a saturated instance pays a fraction of a storage call per API call, not two).
    const free = Math.max(knownFreeAt, pausedUntil);
    for (const w of [...waiting]) {
      if (w.deadline < free) {
        waiting.splice(waiting.indexOf(w), 1);
        refuse(w, free - t);
      }
    }
    if (waiting.length === 0) return;
    // Jittered, so that instances gathering for the same free moment do not all write at once (a lost race costs a
    // read and a second write).
    const lead = syncLeadMs();
    const gatherUntil = free - lead - Math.floor(random() * lead);
    if (gatherUntil > t) {
      gatherTimer = setTimer(
        () => {
          gatherTimer = undefined;
          pump();
        },
        Math.ceil(gatherUntil - t),
      );
      return;
    }
    void sync();
  }

  /** Instances seen writing the row within the last two shortest windows (this one included). */
  function activeWriters(t: number): number {
    let n = 1;
    for (const [id, at] of writers) if (id !== instanceId && at >= t - 2 * shortest) n++;
    return n;
  }

  /** How long before a free slot to start reserving it: a slow round trip (90th percentile) and a late timer. */
  function syncLeadMs(): number {
    const sorted = [...syncSamples].sort((a, b) => a - b);
    const slow = sorted.length > 0 ? (sorted[Math.floor((sorted.length - 1) * 0.9)] as number) : 0;
    return 2 * holdMs + 2 * slow;
  }

  /**
   * Read-modify-write of the row. `change` sees the newest state this instance has and says what to write (nothing:
   * `write` undefined). The cached row (from this instance's last read or write) usually still holds, so the first
   * attempt writes at its ETag straight away; only when another instance got there first is the row read again.
   * @throws {ContentionError} after MAX_CONFLICTS lost writes; any storage error as it came.
   */
  async function update<T>(change: (state: QuotaState, at: number) => { write?: QuotaState; result: T }): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      // After a lost race the cached row is likely stale again (others are writing): read first, one call cheaper
      // than a write that fails.
      if (row === undefined || attempt > 0 || contended) {
        stats.storageCalls++;
        row = await store.read(key);
        rowSeenAt = now();
        if (row?.updatedBy) writers.set(row.updatedBy, rowSeenAt);
        // Nobody else wrote since our last write: the cache will do next time.
        if (row?.updatedBy === instanceId) contended = false;
      }
      // Slow calls' corrections ride along with whatever this write is for.
      const corrections = [...amendments];
      const base = amend(row?.state ?? emptyState(), allowance, corrections);
      const { write, result } = change(base, now());
      // A moved record is worth a write of its own; a dropped one (it only makes others wait) rides along.
      const next = write ?? (corrections.some((a) => a.add !== undefined) ? base : undefined);
      if (next === undefined) return result;
      stats.storageCalls++;
      const writeStarted = now();
      const etag = await store.write(key, next, row?.etag, instanceId);
      writeSamples.push(now() - writeStarted);
      if (writeSamples.length > SAMPLES) writeSamples.shift();
      if (etag !== undefined) {
        amendments.splice(0, corrections.length);
        row = { state: next, etag, updatedBy: instanceId };
        rowSeenAt = now();
        writers.set(instanceId, rowSeenAt);
        return result;
      }
      stats.conflicts++;
      contended = true;
      if (attempt + 1 >= MAX_CONFLICTS) throw new ContentionError();
      // The instances that lost this race would meet again at once: each waits a jittered moment before reading,
      // spread over as many writes as there are instances writing (a read and a write take the row for about a
      // round trip, so a narrower spread makes the losers collide again).
      const spread = Math.max(holdMs / 2, activeWriters(now()) * percentile(writeSamples, 0.9));
      await new Promise<void>((resolve) => setTimer(resolve, Math.ceil(random() * spread)));
    }
  }

  /** Storage did not answer (or refused): this instance goes on under its own limiter and tries again later. */
  function storageFailed(e: unknown): void {
    const t = now();
    const reason = `Table storage unavailable (${describeStorageError(e)})`;
    if (!degraded)
      logger.warn(`[quota] ${name}: shared quota unavailable; this instance uses its own limiter meanwhile`, {
        tenantId: key.tenantId,
        reason,
      });
    degraded = { reason, since: degraded?.since ?? t, retryAt: t + retryStorageAfterMs };
    row = undefined;
    if (!share) {
      // Instances that wrote the row within the last two of its shortest windows are presumably still calling, and
      // cannot see this one's calls now: each keeps to its share (they all do, when storage is down for everyone).
      for (const [id, at] of writers) if (at < t - 2 * shortest) writers.delete(id);
      const instances = Math.max(1, new Set([...writers.keys(), instanceId]).size);
      share = {
        instances,
        limiter: createRateLimiter({
          name,
          windows: allowance.map((a) => ({
            limit: Math.max(1, Math.floor(a.limit / instances)),
            windowMs: a.windowMs,
          })),
          now,
          setTimer,
        }),
      };
    }
  }

  /** While degraded: a caller goes when this instance's share of the allowance lets it. */
  function viaShare(opts: AcquireOptions): Promise<() => void> {
    const limiter = share?.limiter;
    const granted = limiter ? limiter.acquire(opts) : Promise.resolve(noop);
    return granted.then((done) => {
      stats.perProcessPermits++;
      return done;
    });
  }

  async function sync(): Promise<void> {
    syncing = true;
    const syncStarted = now();
    try {
      const batch = waiting.slice(0, maxBatch);
      const latest = Math.max(...batch.map((w) => w.deadline));
      // As many more as this instance's recent rate says it will use while they are held; none while the allowance
      // is spent (callers gather instead, and a permit taken ahead there would only keep another instance's caller
      // waiting).
      const recent = recentGrants.filter((g) => g >= now() - rateWindowMs).length;
      const expected = knownFreeAt > now() ? 0 : Math.floor((recent * prefetchHoldMs) / rateWindowMs);
      const reservation = await update((state, at) => {
        // Slots start once this write is likely back (the 90th percentile of recent writes), so that they are
        // still fresh when the caller gets them: a slot that went stale on the way costs a late start or a redo.
        const r = reserve(state, allowance, at + percentile(writeSamples, 0.9), {
          count: batch.length,
          holdMs,
          latest,
          prefetch: Math.max(0, Math.min(maxBatch - batch.length, expected)),
          prefetchHoldMs,
          callMs: callMs(),
        });
        return r.slots.length > 0 ? { write: r.state, result: r } : { result: r };
      });
      if (degraded) {
        logger.info(`[quota] ${name}: shared quota reachable again`, { tenantId: key.tenantId });
        degraded = undefined;
        share = undefined;
      }
      pausedUntil = Math.max(pausedUntil, reservation.state.pausedUntil);
      knownFreeAt = Math.max(knownFreeAt, reservation.nextFreeAt);
      syncSamples.push(now() - syncStarted);
      if (syncSamples.length > SAMPLES) syncSamples.shift();
      if (reservation.state.pauseReason) pauseReason = reservation.state.pauseReason;
      if (reservation.slots.length === 0) {
        // Nothing free before the longest wait anyone in the batch accepts: they get the wait, as the local limiter
        // answers (503 with Retry-After at the edge; a queued message is retried later).
        const wait = Math.max(0, reservation.nextFreeAt - now());
        for (const w of batch) {
          const i = waiting.indexOf(w);
          if (i >= 0 && w.deadline < reservation.nextFreeAt) {
            waiting.splice(i, 1);
            refuse(w, wait);
          }
        }
      }
      pool.push(...reservation.slots);
      pool.sort((a, b) => a.at - b.at);
    } catch (e) {
      if (e instanceof ContentionError) {
        // Many instances writing at once: back off a little (jittered) and try again; this is not an outage.
        retryTimer = setTimer(
          () => {
            retryTimer = undefined;
            pump();
          },
          Math.ceil(holdMs * (0.5 + random())),
        );
      } else storageFailed(e);
    } finally {
      syncing = false;
      pump();
    }
  }

  const take = ({ signal, maxWaitMs }: AcquireOptions = {}): Promise<() => void> => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const t = now();
    if (isDegraded(t)) return viaShare({ signal, maxWaitMs });
    if (maxWaitMs !== undefined && pausedUntil - t > maxWaitMs)
      return Promise.reject(new RateLimitWaitError(name, pausedUntil - t, options.allowance));
    return new Promise<() => void>((resolve, reject) => {
      const w: Waiter = {
        deadline: maxWaitMs === undefined ? Infinity : t + maxWaitMs,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const i = waiting.indexOf(w);
          if (i >= 0) waiting.splice(i, 1);
          if (w.timer) {
            w.timer.cancel();
            // Someone else here may still use the slot.
            if (w.slot) pool.unshift(w.slot);
            pool.sort((a, b) => a.at - b.at);
          }
          reject(signal?.reason);
          pump();
        },
      };
      signal?.addEventListener('abort', w.onAbort, { once: true });
      waiting.push(w);
      pump();
    });
  };

  const throttled = (waitMs: number, reason: string): void => {
    const until = now() + Math.max(0, waitMs);
    if (until > pausedUntil) {
      pausedUntil = until;
      pauseReason = reason;
    }
    dropStalePool(now());
    if (isDegraded(now())) return;
    void update((state) => {
      const next = pause(state, until, reason);
      return next === state ? { result: undefined } : { write: next, result: undefined };
    }).catch((e: unknown) => {
      logger.warn(`[quota] ${name}: could not tell other instances about a 429`, {
        reason: describeStorageError(e),
      });
    });
  };

  const status = (): SharedQuotaStatus => {
    const t = now();
    const state = row ? prune(row.state, t) : undefined;
    const used = state ? usedAt(state, t) : undefined;
    const paused = Math.max(pausedUntil, state?.pausedUntil ?? 0);
    return {
      name,
      tenantId: key.tenantId,
      mode: isDegraded(t) ? 'perProcess' : 'shared',
      ...(degraded && isDegraded(t)
        ? {
            reason: degraded.reason,
            since: iso(degraded.since),
            retryAt: iso(degraded.retryAt),
            instancesSeen: share?.instances ?? 1,
          }
        : {}),
      allowance,
      permitsLeft: used
        ? allowance.map((a) => ({
            windowMs: a.windowMs,
            left: Math.max(0, a.limit - (used.find((u) => u.windowMs === a.windowMs)?.used ?? 0)),
          }))
        : null,
      ...(paused > t ? { pausedUntil: iso(paused), pauseReason: state?.pauseReason ?? pauseReason ?? '429' } : {}),
      held: pool.length,
      callMs: callMs(),
      ...(rowSeenAt !== undefined ? { lastSync: iso(rowSeenAt) } : {}),
      stats: { ...stats },
    };
  };

  return {
    name,
    take,
    throttled,
    get waiting() {
      return waiting.length;
    },
    knownWaitMs: () => {
      const t = now();
      const next = pool[0];
      return Math.max(0, (next ? Math.max(next.at, pausedUntil) : Math.max(knownFreeAt, pausedUntil)) - t);
    },
    status,
    async inspect() {
      try {
        const fresh = await store.read(key);
        if (fresh) {
          row = fresh;
          rowSeenAt = now();
        }
        return { ...status(), storage: 'ok' };
      } catch (e) {
        return { ...status(), storage: 'unreachable', storageError: describeStorageError(e) };
      }
    },
  };
}

class ContentionError extends Error {
  constructor() {
    super('the quota row kept changing under concurrent writers');
    this.name = 'ContentionError';
  }
}
