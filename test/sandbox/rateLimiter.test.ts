import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTimeSpan, quotaWindows, SlidingWindowLimiter } from '../../sandbox/rateLimiter';
import { parseTimespan } from '../../sandbox/timespan';

describe('sliding-window quotas', () => {
  it('allows the limit per window, then reports the wait until the oldest call leaves it', () => {
    let t = 0;
    const limiter = new SlidingWindowLimiter(1, () => t);
    const windows = [{ key: 'k', limit: 3, windowMs: 1000 }];
    for (const at of [0, 100, 200]) {
      t = at;
      assert.equal(limiter.take(windows).ok, true);
    }
    t = 500;
    const denied = limiter.take(windows);
    assert.equal(denied.ok, false);
    assert.equal(denied.ok ? 0 : denied.retryAfterMs, 500);
    // Throttled calls do not use quota: at 1000 the first call has left, so exactly one more fits.
    t = 1000;
    assert.equal(limiter.take(windows).ok, true);
    assert.equal(limiter.take(windows).ok, false);
  });

  it('scales windows and shares the hourly incidents window between list, get and update', () => {
    let t = 0;
    const limiter = new SlidingWindowLimiter(0.001, () => t);
    const list = quotaWindows('legacy', 'incidentsList');
    const get = quotaWindows('legacy', 'incidentsGet');
    assert.equal(list[1]?.key, get[1]?.key);
    assert.notEqual(quotaWindows('graph', 'incidentsGet')[1]?.key, get[1]?.key);
    for (let i = 0; i < 50; i++) assert.equal(limiter.take(list).ok, true);
    const denied = limiter.take(list);
    assert.equal(denied.ok, false);
    assert.equal(denied.ok ? 0 : denied.scaledWindowMs, 60);
    // Gets have their own per-minute window of 100.
    assert.equal(limiter.take(get).ok, true);
    t = 61;
    assert.equal(limiter.take(list).ok, true);
  });

  it('prints windows as .NET TimeSpans like the legacy quota message', () => {
    assert.equal(formatTimeSpan(60_000), '00:01:00');
    assert.equal(formatTimeSpan(3_600_000), '01:00:00');
    assert.equal(formatTimeSpan(600), '00:00:00.6000000');
  });
});

describe('Graph Timespan', () => {
  const now = new Date('2026-02-15T08:00:00Z');
  const span = (s: string): [string, string] | undefined => {
    const w = parseTimespan(s, now);
    return w && [w.start.toISOString(), w.end.toISOString()];
  };
  it('accepts the documented forms', () => {
    assert.deepEqual(span('P30D'), ['2026-01-16T08:00:00.000Z', '2026-02-15T08:00:00.000Z']);
    assert.deepEqual(span('2026-02-01T08:00:00Z/2026-02-10T08:00:00Z'), [
      '2026-02-01T08:00:00.000Z',
      '2026-02-10T08:00:00.000Z',
    ]);
    assert.deepEqual(span('P1DT12H/2026-02-10T00:00:00Z'), ['2026-02-08T12:00:00.000Z', '2026-02-10T00:00:00.000Z']);
    assert.deepEqual(span('2026-02-01T08:00:00Z/PT2H'), ['2026-02-01T08:00:00.000Z', '2026-02-01T10:00:00.000Z']);
    assert.deepEqual(span('2026-02-14T08:00:00Z'), ['2026-02-14T08:00:00.000Z', '2026-02-15T08:00:00.000Z']);
  });
  it('rejects anything else', () => {
    for (const bad of ['30 days', 'P', 'PT', 'P30D/P1D', '2026-02-10T00:00:00Z/2026-02-01T00:00:00Z', '']) {
      assert.equal(parseTimespan(bad, now), undefined, bad);
    }
  });
});
