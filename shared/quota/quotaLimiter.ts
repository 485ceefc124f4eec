// The limiter every Defender call goes through when storage is configured: the per-process limiter first (the fast
// path: a process already over the allowance never asks storage), then a slot from the shared quota, which keeps
// the tenant's allowance across every instance and trigger. When the shared quota falls back (storage unreachable),
// the per-process limiter is what remains, so it is never the only guard while storage works, and never absent.
import { runWith, type AcquireOptions, type RateLimiter, type ReleaseSlot } from '../http/rateLimiter';
import type { SharedQuota } from './sharedQuota';

export function withSharedQuota(local: RateLimiter, shared: SharedQuota, now: () => number = Date.now): RateLimiter {
  const acquire = async (opts: AcquireOptions = {}): Promise<ReleaseSlot> => {
    const started = now();
    const release = await local.acquire(opts);
    let done: () => void;
    try {
      const spent = now() - started;
      done = await shared.take({
        signal: opts.signal,
        maxWaitMs: opts.maxWaitMs === undefined ? undefined : Math.max(0, opts.maxWaitMs - spent),
      });
    } catch (e) {
      release();
      throw e;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      done();
      release();
    };
  };
  return {
    name: local.name,
    get queued() {
      return local.queued + shared.waiting;
    },
    get inFlight() {
      return local.inFlight;
    },
    projectedWaitMs: () => Math.max(local.projectedWaitMs(), shared.knownWaitMs()),
    throttled: (waitMs, reason) => shared.throttled(waitMs, reason),
    acquire,
    run: runWith(acquire),
  };
}
