// A deterministic simulation of the shared quota under scale-out load, for test/quota/quotaSimulation.test.ts: a fake
// clock and timers (nothing waits for real time, so a loaded machine cannot change the outcome), an in-memory row
// store with ETags and a per-call latency, and N instances each running workers shaped like the scale-out test's
// hosts: per delivery a GET, then a PATCH, then a comment call, one after another, each taking 50–200 ms, behind the
// per-process limiter and the shared quota as createDeps composes them. A seeded random source drives every choice.
import type { RateLimitWindow } from '../../shared/config';
import { createRateLimiter, type TimerHandle } from '../../shared/http/rateLimiter';
import { withSharedQuota } from '../../shared/quota/quotaLimiter';
import { createMemoryQuotaStore, type QuotaStore } from '../../shared/quota/quotaStore';
import { createSharedQuota, type SharedQuota } from '../../shared/quota/sharedQuota';
import { idealSpan, maxInWindow } from '../scale/yardstick';
import { mulberry32 as seeded } from '../../sandbox/prng';

/** Timers on a virtual clock; run() fires them in time order (ties in creation order) until none is left. */
export function virtualClock(lag: () => number = () => 0, start = 1_750_000_000_000) {
  let t = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => t,
    setTimer(fn: () => void, ms: number): TimerHandle {
      const id = seq++;
      timers.set(id, { at: t + Math.max(0, ms) + lag(), fn });
      return { cancel: () => void timers.delete(id) };
    },
    sleep(ms: number): Promise<void> {
      return new Promise((resolve) => this.setTimer(resolve, ms));
    },
    /** Fires every timer (and what they start) up to `until`; promise chains settle between timers. */
    async run(until: number): Promise<void> {
      for (;;) {
        // Every continuation here is a microtask (the store is in memory): one macrotask turn drains them all.
        await new Promise((r) => setImmediate(r));
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (!next || e[1].at < next[1].at) next = e;
        if (!next || next[1].at > until) break;
        timers.delete(next[0]);
        t = Math.max(t, next[1].at);
        next[1].fn();
      }
    },
  };
}

/** The row store with a storage round trip: the request takes half the latency to arrive, the answer the other half. */
function slowStore(inner: QuotaStore, clock: ReturnType<typeof virtualClock>, latency: () => number): QuotaStore {
  return {
    async read(key) {
      const l = latency();
      await clock.sleep(l / 2);
      const row = await inner.read(key);
      await clock.sleep(l / 2);
      return row;
    },
    async write(key, state, etag, by) {
      const l = latency();
      await clock.sleep(l / 2);
      const tag = await inner.write(key, state, etag, by);
      await clock.sleep(l / 2);
      return tag;
    },
  };
}

export interface SimulationOptions {
  allowance: RateLimitWindow[];
  instances: number;
  /** Workers per instance (deliveries handled at once, as a host's queue batch). */
  workers: number;
  /** Deliveries queued at the start, spread over the instances. */
  deliveries: number;
  /** Later bursts: at `at` ms after the start, `deliveries` more arrive at instance `instance`. */
  bursts: Array<{ at: number; deliveries: number; instance: number }>;
  /** Storage round trip (ms): each call takes between half and one and a half of it. */
  storageLatencyMs: number;
  /**
   * A busy event loop (the scale-out test runs four hosts, Azurite and the sandbox on two cores): this share of
   * timers fires late, by up to `maxMs`.
   */
  timerLag: { share: number; maxMs: number };
  seed: number;
}

export interface SimulationResult {
  apiCalls: number;
  /** Permits handed out and never used (a stale prefetch, a pause), including those still held at the end. */
  wasted: number;
  storageCalls: number;
  conflicts: number;
  lateEnds: number;
  lateStarts: number;
  storageCallsPerApiCall: number;
  /** A perfect client's time for as many calls ÷ the time from the first call to the last. */
  utilisation: number;
  /** Most calls arriving at the API in any window of each allowance length (the API counts at arrival). */
  busiest: Array<{ windowMs: number; limit: number; sends: number; arrivals: number; ends: number }>;
  /** Deliveries every worker finished (all of them, when no caller starved). */
  delivered: number;
  deliveriesQueued: number;
  busyMs: number;
}

export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const random = seeded(options.seed);
  const lagRandom = seeded(options.seed + 1000);
  const clock = virtualClock(() =>
    lagRandom() < options.timerLag.share ? Math.floor(lagRandom() * options.timerLag.maxMs) : 0,
  );
  const memory = createMemoryQuotaStore();
  const store = slowStore(memory, clock, () => options.storageLatencyMs * (0.5 + random()));
  const start = clock.now();
  const quotas: SharedQuota[] = [];
  const queues: number[] = [];
  const sends: number[] = [];
  const arrivals: number[] = [];
  const ends: number[] = [];
  let delivered = 0;
  const runs: Promise<void>[] = [];

  const worker = async (limiter: ReturnType<typeof withSharedQuota>, instance: number): Promise<void> => {
    for (;;) {
      if ((queues[instance] ?? 0) === 0) {
        // Idle: look at the queue again shortly (as the host polls its queue).
        if (clock.now() - start > lastArrival) return;
        await clock.sleep(100);
        continue;
      }
      queues[instance] = (queues[instance] ?? 0) - 1;
      // GET, then PATCH, then the comment: one after another, with the engine's own storage work between them
      // (idempotency claim, completion).
      for (let call = 0; call < 3; call++) {
        await clock.sleep(10 + Math.floor(random() * 70));
        const release = await limiter.acquire();
        const sent = clock.now();
        const duration = 50 + Math.floor(random() * 150);
        sends.push(sent);
        arrivals.push(sent + Math.floor(random() * duration));
        await clock.sleep(duration);
        ends.push(clock.now());
        release();
      }
      delivered++;
    }
  };

  const lastArrival = Math.max(0, ...options.bursts.map((b) => b.at));
  for (let i = 0; i < options.instances; i++) {
    const shared = createSharedQuota({
      key: { tenantId: '11111111-2222-3333-4444-555555555555', family: 'incidents' },
      allowance: options.allowance,
      store,
      name: 'incidents',
      instanceId: `sim${i}`,
      now: clock.now,
      setTimer: clock.setTimer.bind(clock),
      random,
    });
    quotas.push(shared);
    const local = createRateLimiter({
      name: 'incidents',
      windows: options.allowance,
      now: clock.now,
      setTimer: clock.setTimer.bind(clock),
    });
    const limiter = withSharedQuota(local, shared, clock.now);
    queues[i] =
      Math.floor(options.deliveries / options.instances) + (i < options.deliveries % options.instances ? 1 : 0);
    for (let w = 0; w < options.workers; w++) runs.push(worker(limiter, i));
  }
  for (const b of options.bursts)
    clock.setTimer(() => {
      queues[b.instance] = (queues[b.instance] ?? 0) + b.deliveries;
    }, b.at);

  const deliveriesQueued = options.deliveries + options.bursts.reduce((n, b) => n + b.deliveries, 0);
  let settled = false;
  void Promise.all(runs).then(() => (settled = true));
  await clock.run(start + 24 * 3600_000);
  await new Promise((r) => setImmediate(r));
  if (!settled) throw new Error('the simulation stopped with workers still waiting: a caller starved');

  const stats = quotas.map((q) => q.status());
  const sum = (f: (s: SharedQuota['status'] extends () => infer S ? S : never) => number) =>
    stats.reduce((n, s) => n + f(s), 0);
  const apiCalls = sends.length;
  const storageCalls = sum((s) => s.stats.storageCalls);
  const sorted = [...sends].sort((a, b) => a - b);
  const busyMs = (sorted.at(-1) ?? 0) - (sorted[0] ?? 0);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    apiCalls,
    wasted: sum((s) => s.stats.wasted + s.held),
    storageCalls,
    conflicts: sum((s) => s.stats.conflicts),
    lateEnds: sum((s) => s.stats.lateEnds),
    lateStarts: sum((s) => s.stats.lateStarts),
    storageCallsPerApiCall: round(storageCalls / apiCalls),
    utilisation: busyMs > 0 ? round(idealSpan(options.allowance, apiCalls - 1) / busyMs) : 0,
    busiest: options.allowance.map((a) => ({
      windowMs: a.windowMs,
      limit: a.limit,
      sends: maxInWindow(sends, a.windowMs),
      arrivals: maxInWindow(arrivals, a.windowMs),
      ends: maxInWindow(ends, a.windowMs),
    })),
    delivered,
    deliveriesQueued,
    busyMs,
  };
}
