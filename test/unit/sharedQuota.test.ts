// Several instances' shared quotas over one row store (in memory here; test/state/quotaStore.test.ts runs the same
// against Azurite), on a manual clock: the allowance holds across all of them, a 429 on one pauses the rest, a dead
// instance's permits come back after one window, and storage trouble falls back to the per-process limiter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimitWaitError, createRateLimiter, type TimerHandle } from '../../shared/http/rateLimiter';
import { capacity, maxInWindow } from '../scale/yardstick';
import { withSharedQuota } from '../../shared/quota/quotaLimiter';
import { createMemoryQuotaStore, type QuotaStore } from '../../shared/quota/quotaStore';
import { createSharedQuota, type SharedQuota } from '../../shared/quota/sharedQuota';

function fakeClock(start = 1_750_000_000_000) {
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
    async advance(ms: number) {
      const end = t + ms;
      for (;;) {
        await flush();
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        t = next.at;
        next.fn();
      }
      t = end;
      await flush();
    },
  };
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

const TENANT = '11111111-2222-3333-4444-555555555555';
const ALLOWANCE = [
  { limit: 10, windowMs: 1000 },
  { limit: 40, windowMs: 10_000 },
];

function instances(n: number, clock: ReturnType<typeof fakeClock>, store: QuotaStore = createMemoryQuotaStore()) {
  return Array.from({ length: n }, (_, i) =>
    createSharedQuota({
      key: { tenantId: TENANT, family: 'incidents' },
      allowance: ALLOWANCE,
      store,
      name: 'incidents',
      instanceId: `i${i}`,
      now: clock.now,
      setTimer: clock.setTimer,
      random: () => 0.5,
    }),
  );
}

describe('shared quota across instances', () => {
  it('four busy instances together never exceed any window, and pay well under one storage call per permit', async () => {
    const clock = fakeClock();
    const quotas = instances(4, clock);
    const granted: number[] = [];
    for (const q of quotas) for (let i = 0; i < 30; i++) void q.take().then(() => granted.push(clock.now()));
    await clock.advance(60_000);
    assert.equal(granted.length, 120, 'every caller got a permit');
    assert.ok(maxInWindow(granted, 1000) <= 10, `per second: ${maxInWindow(granted, 1000)}`);
    assert.ok(maxInWindow(granted, 10_000) <= 40, `per 10 s: ${maxInWindow(granted, 10_000)}`);
    const stats = quotas.map((q) => q.status().stats);
    const calls = stats.reduce((n, s) => n + s.storageCalls, 0);
    assert.ok(calls / 120 < 1, `${calls} storage calls for 120 permits`);
    // Utilisation: what a perfect single client could have had over the same span.
    const span = Math.max(...granted) - Math.min(...granted);
    const utilisation = 120 / capacity(ALLOWANCE, span);
    assert.ok(utilisation >= 0.95, `120 permits over ${span} ms: utilisation ${utilisation}`);
  });

  it('a 429 seen by one instance holds back every other from its next reservation', async () => {
    const clock = fakeClock();
    const [a, b] = instances(2, clock) as [SharedQuota, SharedQuota];
    const start = clock.now();
    a.throttled(5000, '429 from PATCH /security/incidents/7 (wait 5 s)');
    await clock.advance(0);
    let at: number | undefined;
    void b.take().then(() => (at = clock.now()));
    await clock.advance(100);
    assert.equal(at, undefined, 'not before the pause ends');
    // The other instance learnt the pause, and why, from the row.
    assert.equal(b.status().pausedUntil, new Date(start + 5000).toISOString());
    assert.equal(b.status().pauseReason, '429 from PATCH /security/incidents/7 (wait 5 s)');
    await clock.advance(10_000);
    assert.ok(at !== undefined && at >= start + 5000, `granted ${at === undefined ? 'never' : at - start} ms in`);
  });

  it('refuses a caller at once, with the wait, when no slot comes within its maxWaitMs', async () => {
    const clock = fakeClock();
    const [q] = instances(1, clock) as [SharedQuota];
    for (let i = 0; i < 10; i++) void q.take();
    await clock.advance(0);
    const err = await q.take({ maxWaitMs: 200 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RateLimitWaitError, String(err));
    assert.ok(err.waitMs > 200 && err.waitMs <= 1200, `wait ${err.waitMs} ms`);
  });

  it('permits reserved by an instance that dies are lost for one window only', async () => {
    const clock = fakeClock();
    const store = createMemoryQuotaStore();
    const [dead, alive] = instances(2, clock, store) as [SharedQuota, SharedQuota];
    const start = clock.now();
    // The dead instance's callers reserve the whole second's allowance and never call.
    for (let i = 0; i < 10; i++) void dead.take();
    await clock.advance(0);
    let at: number | undefined;
    void alive.take().then(() => (at = clock.now()));
    await clock.advance(5000);
    assert.ok(at !== undefined, 'the live instance got a permit');
    assert.ok(at - start >= 1000 && at - start <= 1000 + 100 + 100 + 10, `after ${at - start} ms`);
  });

  it('a call slower than expected is recorded again until its end, and the next permits count calls that long', async () => {
    const clock = fakeClock();
    const [a, b] = instances(2, clock) as [SharedQuota, SharedQuota];
    const start = clock.now();
    const dones = await Promise.all(Array.from({ length: 10 }, () => a.take()));
    // The whole second's allowance is in flight for 1.5 s: the API may have counted any of them as late as that.
    await clock.advance(1500);
    for (const done of dones) done();
    await clock.advance(200);
    let at: number | undefined;
    void b.take().then(() => (at = clock.now()));
    await clock.advance(5000);
    assert.ok(
      at !== undefined && at - start >= 1500 + 1000,
      `the next permit after ${at === undefined ? '?' : at - start} ms`,
    );
    // Calls here take 1.5 s: a permit is now recorded that much longer (at most a quarter of the shortest window).
    assert.equal(a.status().callMs, 250);
  });

  it('an aborted caller’s slot goes to the next caller on the same instance', async () => {
    const clock = fakeClock();
    const [q] = instances(1, clock) as [SharedQuota];
    for (let i = 0; i < 10; i++) void q.take();
    await clock.advance(0);
    const gone = new AbortController();
    const first = q.take({ signal: gone.signal });
    const order: string[] = [];
    first.catch(() => order.push('aborted'));
    await clock.advance(10);
    const second = q.take().then(() => order.push('second'));
    await clock.advance(10);
    gone.abort(new Error('caller gone'));
    await clock.advance(2000);
    await second;
    assert.deepEqual(order, ['aborted', 'second']);
    assert.equal(q.status().stats.permits, 11);
  });

  it('storage unreachable: calls go on under the per-process limiter, health says why, and the shared quota resumes', async () => {
    const clock = fakeClock();
    const memory = createMemoryQuotaStore();
    let down = true;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10002'), { code: 'ECONNREFUSED' });
    const flaky: QuotaStore = {
      read: (k) => (down ? Promise.reject(refused) : memory.read(k)),
      write: (k, s, e, by) => (down ? Promise.reject(refused) : memory.write(k, s, e, by)),
    };
    const q = createSharedQuota({
      key: { tenantId: TENANT, family: 'incidents' },
      allowance: ALLOWANCE,
      store: flaky,
      name: 'incidents',
      now: clock.now,
      setTimer: clock.setTimer,
      retryStorageAfterMs: 15_000,
    });
    let done = 0;
    for (let i = 0; i < 3; i++) void q.take().then(() => done++);
    await clock.advance(0);
    assert.equal(done, 3, 'nobody waits for storage that does not answer');
    const s = q.status();
    assert.equal(s.mode, 'perProcess');
    assert.match(s.reason ?? '', /ECONNREFUSED/);
    assert.equal(s.stats.perProcessPermits, 3);
    down = false;
    await clock.advance(15_001);
    await q.take();
    assert.equal(q.status().mode, 'shared');
    assert.equal(q.status().stats.permits, 1);
    assert.ok(memory.rows.size === 1, 'the row was written once storage answered');
  });

  it('status shows permits left per window and the pause', async () => {
    const clock = fakeClock();
    const [q] = instances(1, clock) as [SharedQuota];
    for (let i = 0; i < 4; i++) await q.take();
    const s0 = q.status();
    // Four used, and a few more held here for this instance's next callers (it has been busy).
    assert.ok(s0.held > 0, `held ${s0.held}`);
    assert.deepEqual(s0.permitsLeft, [
      { windowMs: 1000, left: 6 - s0.held },
      { windowMs: 10_000, left: 36 - s0.held },
    ]);
    assert.equal(s0.pausedUntil, undefined);
    q.throttled(3000, '429 from GET /security/incidents (wait 3 s)');
    await clock.advance(0);
    const s = q.status();
    assert.equal(s.held, 0, 'permits held for before the pause are given up');
    assert.equal(s.pauseReason, '429 from GET /security/incidents (wait 3 s)');
    assert.equal(s.pausedUntil, new Date(clock.now() + 3000).toISOString());
  });
});

describe('withSharedQuota', () => {
  it('takes the per-process slot first, then the shared one, and gives the per-process slot back on refusal', async () => {
    const clock = fakeClock();
    const [q] = instances(1, clock) as [SharedQuota];
    const local = createRateLimiter({
      name: 'incidents',
      windows: ALLOWANCE,
      now: clock.now,
      setTimer: clock.setTimer,
    });
    const limiter = withSharedQuota(local, q, clock.now);
    for (let i = 0; i < 10; i++) (await limiter.acquire())();
    const err = await limiter.acquire({ maxWaitMs: 100 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RateLimitWaitError);
    assert.equal(local.inFlight, 0, 'the per-process slot was released');
    assert.equal(typeof limiter.throttled, 'function');
  });
});
