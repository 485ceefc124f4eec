import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRateLimiter, RateLimitWaitError, stopWaitingOn, type TimerHandle } from '../../shared/http/rateLimiter';

/** A manual clock: timers fire only when the test advances time. */
function fakeClock(start = 1_000_000) {
  let t = start;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  return {
    now: () => t,
    setTimer(fn: () => void, ms: number): TimerHandle {
      const id = nextId++;
      timers.push({ at: t + ms, fn, id });
      return { cancel: () => (timers = timers.filter((x) => x.id !== id)) };
    },
    pendingTimers: () => timers.length,
    /** Moves time forward, firing due timers in order, and lets resolved promises run. */
    async advance(ms: number) {
      const end = t + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        t = next.at;
        next.fn();
        await flush();
      }
      t = end;
      await flush();
    },
  };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('createRateLimiter', () => {
  it('grants up to the limit at once, then queues instead of busy-looping', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ windows: [{ limit: 3, windowMs: 1000 }], marginRatio: 0, ...clock });
    const granted: number[] = [];
    for (let i = 0; i < 5; i++)
      void limiter.acquire().then((release) => {
        granted.push(i);
        release();
      });
    await flush();
    assert.deepEqual(granted, [0, 1, 2]);
    assert.equal(limiter.queued, 2);
    assert.equal(clock.pendingTimers(), 1, 'one timer for the whole queue');
    await clock.advance(999);
    assert.deepEqual(granted, [0, 1, 2]);
    await clock.advance(1);
    assert.deepEqual(granted, [0, 1, 2, 3, 4]);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('never puts more than N grants in any sliding window, across several windows, with the margin', async () => {
    const clock = fakeClock();
    const windows = [
      { limit: 5, windowMs: 1000 },
      { limit: 12, windowMs: 10_000 },
    ];
    const limiter = createRateLimiter({ windows, marginRatio: 0.01, ...clock });
    const times: number[] = [];
    for (let i = 0; i < 40; i++)
      void limiter.acquire().then((release) => {
        times.push(clock.now());
        release();
      });
    await flush();
    await clock.advance(40_000);
    assert.equal(times.length, 40);
    for (const w of windows) {
      const span = Math.round(w.windowMs * 1.01);
      for (let i = 0; i < times.length; i++) {
        const inWindow = times.filter((t) => t > (times[i] as number) - span && t <= (times[i] as number)).length;
        assert.ok(inWindow <= w.limit, `${inWindow} grants within ${span} ms before ${times[i]}`);
      }
    }
    // The hourly-style window is the binding one: 12 per 10.1 s.
    assert.equal(times.filter((t) => t < (times[0] as number) + 10_100).length, 12);
  });

  it('property: for random arrivals, no window of the real length ever holds more than the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 6 }),
        async (gaps, limit) => {
          const clock = fakeClock();
          const limiter = createRateLimiter({ windows: [{ limit, windowMs: 1000 }], ...clock });
          const times: number[] = [];
          for (const gap of gaps) {
            await clock.advance(gap);
            void limiter.acquire().then((release) => {
              times.push(clock.now());
              release();
            });
            await flush();
          }
          await clock.advance(gaps.length * 1100);
          assert.equal(times.length, gaps.length);
          for (const ti of times) assert.ok(times.filter((t) => t > ti - 1000 && t <= ti).length <= limit);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('serves waiters in FIFO order', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ windows: [{ limit: 1, windowMs: 100 }], marginRatio: 0, ...clock });
    const order: string[] = [];
    for (const name of ['a', 'b', 'c', 'd'])
      void limiter.acquire().then((release) => {
        order.push(name);
        release();
      });
    await flush();
    await clock.advance(1000);
    assert.deepEqual(order, ['a', 'b', 'c', 'd']);
  });

  it('an aborted waiter leaves the queue and the next one moves up', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ windows: [{ limit: 1, windowMs: 100 }], marginRatio: 0, ...clock });
    (await limiter.acquire())();
    const ac = new AbortController();
    const aborted = limiter.acquire({ signal: ac.signal });
    const order: string[] = [];
    void limiter.acquire().then((release) => {
      order.push('next');
      release();
    });
    ac.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    assert.equal(limiter.queued, 1);
    await clock.advance(100);
    assert.deepEqual(order, ['next']);
    await assert.rejects(limiter.acquire({ signal: AbortSignal.abort(new Error('already')) }), /already/);
  });

  it('fails at once with the projected wait when it exceeds maxWaitMs', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({
      name: 'incidents',
      windows: [{ limit: 2, windowMs: 60_000 }],
      marginRatio: 0,
      ...clock,
    });
    (await limiter.acquire())();
    (await limiter.acquire())();
    void limiter.acquire(); // queued: slot at +60 s
    assert.equal(limiter.projectedWaitMs(), 60_000, 'second queued caller also fits at +60 s');
    const err = await limiter.acquire({ maxWaitMs: 59_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RateLimitWaitError);
    assert.equal(err.waitMs, 60_000);
    assert.match(err.message, /incidents quota \(2 per 1 min\)/);
    assert.equal(limiter.queued, 1, 'the refused caller was never queued');
  });

  it('counts a request from grant until its release, then for one window', async () => {
    const clock = fakeClock();
    const t0 = clock.now();
    const limiter = createRateLimiter({ windows: [{ limit: 1, windowMs: 1000 }], marginRatio: 0, ...clock });
    const slow = await limiter.acquire();
    let grantedAt: number | undefined;
    void limiter.acquire().then((release) => {
      grantedAt = clock.now();
      release();
    });
    await clock.advance(1500);
    assert.equal(grantedAt, undefined, 'an unfinished request holds its slot however long it takes');
    assert.equal(clock.pendingTimers(), 0, 'no timer while only a release can help');
    assert.equal(limiter.inFlight, 1);
    slow(); // finished at +1500: it stays in the window until +2500
    await clock.advance(999);
    assert.equal(grantedAt, undefined);
    await clock.advance(1);
    assert.equal(grantedAt, t0 + 2500);
    assert.equal(limiter.inFlight, 0);
  });

  it('run() releases even when the request fails', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ windows: [{ limit: 1, windowMs: 1000 }], marginRatio: 0, ...clock });
    await assert.rejects(
      limiter.run(async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(limiter.inFlight, 0);
  });

  it('stopWaitingOn: a stop ends the waits with its reason; granted slots and the caller’s own signal still work', async () => {
    const clock = fakeClock();
    const inner = createRateLimiter({ windows: [{ limit: 1, windowMs: 1000 }], marginRatio: 0, ...clock });
    const stop = new AbortController();
    const limiter = stopWaitingOn(inner, stop.signal);
    const first = await limiter.acquire();
    const own = new AbortController();
    const waiting = limiter.acquire({ signal: own.signal });
    const alsoWaiting = limiter.acquire();
    assert.equal(limiter.queued, 2);
    own.abort(new Error('caller gave up'));
    await assert.rejects(waiting, /caller gave up/);
    const reason = new Error('interrupted by SIGINT');
    stop.abort(reason);
    await assert.rejects(alsoWaiting, (e) => e === reason);
    assert.equal(limiter.queued, 0);
    assert.equal(clock.pendingTimers(), 0, 'no timer left once nobody waits');
    await assert.rejects(limiter.acquire(), (e) => e === reason, 'nothing starts after the stop');
    first(); // the request in flight finishes and releases as usual
    assert.equal(limiter.inFlight, 0);
  });

  it('the real timer is pending only while someone waits, and keeps the process alive then', async () => {
    const limiter = createRateLimiter({ windows: [{ limit: 1, windowMs: 50 }], marginRatio: 0 });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    (await limiter.acquire())();
    const waiting = limiter.acquire();
    const during = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.equal(during, before + 1, 'a ref’d timer while a caller waits');
    (await waiting)();
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before);
  });

  it('rejects nonsense windows', () => {
    assert.throws(() => createRateLimiter({ windows: [{ limit: 0, windowMs: 1000 }] }), RangeError);
  });
});
