// Client-side quota: a sliding log checked against several windows at once (e.g. 50/min and 1,500/hour).
// Hand-written on purpose: a sliding log never puts more than N requests in ANY window of the given length,
// whatever the server's window alignment; a fixed-window reservoir (bottleneck's) can put 2N across a boundary.
//
// A request counts from the moment it is granted until its response is back, and then for one window after that.
// The server counts it at arrival, which lies somewhere between the two; counting from completion keeps our
// window a superset of the server's even when requests queue for a socket or a TLS handshake for seconds (they do:
// a burst of 50 through a 16-socket agent reached the server up to 1.5 s after being granted).
// Waiters are served FIFO from one timer; nothing polls. The timer exists only while someone waits, and it keeps
// the process alive then: a CLI run waiting for a slot has nothing else pending, and an unref'd timer let it exit
// with status 0 in the middle of the run (issue 11).
import type { RateLimitWindow } from '../config';

export type { RateLimitWindow };

export interface TimerHandle {
  cancel(): void;
}

export interface RateLimiterOptions {
  windows: readonly RateLimitWindow[];
  /** Label for errors and logs ("hunting", "incidents"). */
  name?: string;
  /**
   * Fraction added to every window (default 0.01 = +1%), so clock drift or rounding cannot put a request into
   * the server's previous window.
   */
  marginRatio?: number;
  now?: () => number;
  /** Schedules a callback (default setTimeout); it is only ever pending while a caller waits. */
  setTimer?: (fn: () => void, ms: number) => TimerHandle;
}

export interface AcquireOptions {
  signal?: AbortSignal | undefined;
  /** Fail at once, instead of queueing, when the slot for this caller is further away than this. */
  maxWaitMs?: number | undefined;
}

/** Call when the request is over (response, error or abort); idempotent. */
export type ReleaseSlot = () => void;

export interface RateLimiter {
  readonly name: string;
  /**
   * Resolves when a slot is free and takes it; the slot counts until release() and for one window after.
   * Rejects with the signal's reason, or a RateLimitWaitError when maxWaitMs is too short.
   */
  acquire(options?: AcquireOptions): Promise<ReleaseSlot>;
  /** acquire, run, release. */
  run<T>(fn: () => Promise<T>, options?: AcquireOptions): Promise<T>;
  /** Callers waiting right now. */
  readonly queued: number;
  /** Granted slots whose request has not finished yet. */
  readonly inFlight: number;
  /** Lower bound of the wait for the next caller (in-flight requests assumed to finish now), counting everyone queued. */
  projectedWaitMs(): number;
  /**
   * The API answered 429 asking to wait `waitMs`. A limiter backed by the shared quota pauses every instance until
   * then (shared/quota); the per-process limiter alone has nothing to do (the caller waits before its retry).
   */
  throttled?(waitMs: number, reason: string): void;
}

/** The quota is used up further ahead than the caller is willing to wait. */
export class RateLimitWaitError extends Error {
  readonly waitMs: number;
  readonly limiter: string;
  constructor(limiter: string, waitMs: number, windows: readonly RateLimitWindow[]) {
    const quota = windows.map((w) => `${w.limit} per ${formatMs(w.windowMs)}`).join(' and ');
    super(`client-side ${limiter} quota (${quota}) is used up; the next slot is in ${formatMs(waitMs)}`);
    this.name = 'RateLimitWaitError';
    this.waitMs = waitMs;
    this.limiter = limiter;
  }
}

function formatMs(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.ceil(ms / 100) / 10} s`;
}

const defaultSetTimer = (fn: () => void, ms: number): TimerHandle => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

/** acquire, run, release: the limiter's `run` for a given `acquire`. */
export const runWith =
  (acquire: (options?: AcquireOptions) => Promise<ReleaseSlot>) =>
  async <T>(fn: () => Promise<T>, opts?: AcquireOptions): Promise<T> => {
    const release = await acquire(opts);
    try {
      return await fn();
    } finally {
      release();
    }
  };

/**
 * The same limiter, but every wait for a slot also ends when `stop` is aborted (rejecting with its reason), so
 * after a stop no request starts; granted slots and requests in flight are untouched.
 */
export function stopWaitingOn(limiter: RateLimiter, stop: AbortSignal | undefined): RateLimiter {
  if (!stop) return limiter;
  const acquire = (opts: AcquireOptions = {}): Promise<ReleaseSlot> =>
    limiter.acquire({ ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, stop]) : stop });
  return {
    name: limiter.name,
    get queued() {
      return limiter.queued;
    },
    get inFlight() {
      return limiter.inFlight;
    },
    projectedWaitMs: () => limiter.projectedWaitMs(),
    ...(limiter.throttled ? { throttled: limiter.throttled.bind(limiter) } : {}),
    acquire,
    run: runWith(acquire),
  };
}

interface Waiter {
  resolve: (release: ReleaseSlot) => void;
  reject: (e: unknown) => void;
  cleanup: () => void;
}

interface Span {
  limit: number;
  span: number;
}

/**
 * The earliest time at or after `at` when one more grant fits every window, given finished requests `log`
 * (sorted) and `open` unfinished ones; Infinity when only a release can free a slot.
 */
function nextFreeAt(log: readonly number[], open: number, at: number, windows: readonly Span[]): number {
  let earliest = at;
  for (const w of windows) {
    // Finished requests in (at - span, at]: binary-search the first one inside the window.
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((log[mid] as number) > at - w.span) hi = mid;
      else lo = mid + 1;
    }
    const finished = log.length - lo;
    const excess = finished + open - w.limit + 1;
    if (excess <= 0) continue;
    if (excess > finished) return Infinity;
    earliest = Math.max(earliest, (log[lo + excess - 1] as number) + w.span);
  }
  return earliest;
}

/** @throws {RangeError} when a window is not a positive limit and duration. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { name = 'api', marginRatio = 0.01, now = Date.now, setTimer = defaultSetTimer } = options;
  for (const w of options.windows) {
    if (!(w.limit >= 1) || !(w.windowMs > 0)) throw new RangeError(`rate limit window ${JSON.stringify(w)} is invalid`);
  }
  const windows: Span[] = options.windows.map((w) => ({
    limit: Math.floor(w.limit),
    span: Math.ceil(w.windowMs * (1 + marginRatio)),
  }));
  const longestSpan = Math.max(0, ...windows.map((w) => w.span));
  const keep = Math.max(1, ...windows.map((w) => w.limit));
  let log: number[] = [];
  let open = 0;
  const queue: Waiter[] = [];
  let timer: { handle: TimerHandle; at: number } | undefined;

  const prune = (at: number): void => {
    // Only the newest `keep` finished requests inside the longest window can ever matter.
    let drop = 0;
    while (drop < log.length && (log[drop] as number) <= at - longestSpan) drop++;
    if (log.length - drop > keep) drop = log.length - keep;
    if (drop > 0) log = log.slice(drop);
  };

  const makeRelease = (): ReleaseSlot => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      open--;
      // Completion times only grow, so the log stays sorted.
      log.push(Math.max(now(), log.at(-1) ?? -Infinity));
      drain();
    };
  };

  const drain = (): void => {
    const at = now();
    prune(at);
    while (queue.length > 0) {
      const free = nextFreeAt(log, open, at, windows);
      if (free > at) {
        if (free === Infinity) {
          // Only a release can help; it calls drain().
          timer?.handle.cancel();
          timer = undefined;
        } else if (!timer || timer.at > free) {
          timer?.handle.cancel();
          const handle = setTimer(
            () => {
              timer = undefined;
              drain();
            },
            Math.max(1, Math.ceil(free - at)),
          );
          timer = { handle, at: free };
        }
        return;
      }
      const waiter = queue.shift() as Waiter;
      open++;
      waiter.cleanup();
      waiter.resolve(makeRelease());
    }
    if (timer) {
      timer.handle.cancel();
      timer = undefined;
    }
  };

  /** When the n-th caller from now (0 = the head of the queue) would be served, simulating grants forward. */
  const projectedGrantAt = (position: number): number => {
    const at = now();
    prune(at);
    // Lower bound: unfinished requests are taken to finish now; simulated grants finish at once.
    const sim = [...log, ...Array.from({ length: open }, () => Math.max(at, log.at(-1) ?? -Infinity))];
    let t = at;
    for (let i = 0; i <= position; i++) {
      t = nextFreeAt(sim, 0, t, windows);
      sim.push(t);
      if (sim.length > keep) sim.shift();
    }
    return t;
  };

  const acquire = ({ signal, maxWaitMs }: AcquireOptions = {}): Promise<ReleaseSlot> => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (maxWaitMs !== undefined) {
      const wait = projectedGrantAt(queue.length) - now();
      if (wait > maxWaitMs) return Promise.reject(new RateLimitWaitError(name, wait, options.windows));
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        reject(signal?.reason);
        drain();
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      drain();
    });
  };

  return {
    name,
    get queued() {
      return queue.length;
    },
    get inFlight() {
      return open;
    },
    projectedWaitMs: () => projectedGrantAt(queue.length) - now(),
    acquire,
    run: runWith(acquire),
  };
}
