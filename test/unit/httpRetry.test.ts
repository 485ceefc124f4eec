import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideRetry,
  isRetryableNetworkError,
  isRetryableStatus,
  minimumRetrySpanMs,
  parseBodyRetryHint,
  parseRetryAfter,
  retryDelayMs,
  type RetryInput,
} from '../../shared/http/retry';

describe('isRetryableStatus', () => {
  for (const s of [408, 429, 500, 502, 503, 504]) it(`retries ${s}`, () => assert.equal(isRetryableStatus(s), true));
  for (const s of [200, 400, 401, 403, 404, 409, 422, 501, undefined]) {
    it(`does not retry ${s}`, () => assert.equal(isRetryableStatus(s), false));
  }
});

describe('isRetryableNetworkError', () => {
  it('retries resets, timeouts and refused connections', () => {
    for (const c of ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED'])
      assert.equal(isRetryableNetworkError(c), true, c);
    assert.equal(isRetryableNetworkError(undefined, 'socket hang up'), true);
  });
  it('does not retry TLS failures or cancellations', () => {
    assert.equal(isRetryableNetworkError('DEPTH_ZERO_SELF_SIGNED_CERT'), false);
    assert.equal(isRetryableNetworkError('ERR_CANCELED', 'canceled'), false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T10:00:00Z');
  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfter('12', now), 12_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('1.5', now), 1500);
    assert.equal(parseRetryAfter(7, now), 7000);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 10:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 09:59:00 GMT', now), 0);
  });
  it('ignores missing or junk values', () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('', now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
  });
});

describe('parseBodyRetryHint', () => {
  it('reads "Try again in N seconds" in any envelope', () => {
    assert.equal(
      parseBodyRetryHint({
        error: { code: 'TooManyRequests', message: 'Rate limit is exceeded. Try again in 12 seconds.' },
      }),
      12_000,
    );
    assert.equal(parseBodyRetryHint('Try again in 1.5 seconds'), 1500);
    assert.equal(parseBodyRetryHint('please retry after 2 minutes'), 120_000);
    assert.equal(parseBodyRetryHint('Try again in 250 ms'), 250);
  });
  it('falls back to the legacy quota window', () => {
    const body = {
      error: { code: '429', message: 'API calls quota exceeded! maximum allowed 45 per 00:01:00', target: 'x' },
    };
    assert.equal(parseBodyRetryHint(body), 60_000);
    assert.equal(parseBodyRetryHint('maximum allowed 1500 per 01:00:00'), 3_600_000);
  });
  it('prefers an explicit wait over the window', () => {
    assert.equal(parseBodyRetryHint('maximum allowed 45 per 00:01:00. Try again in 3 seconds.'), 3000);
  });
  it('returns undefined without a hint', () => {
    assert.equal(parseBodyRetryHint({ error: { code: 'TooManyRequests', message: 'Too many requests.' } }), undefined);
    assert.equal(parseBodyRetryHint(undefined), undefined);
  });
});

describe('retryDelayMs', () => {
  it('uses the server wait as is', () => {
    assert.equal(retryDelayMs(0, { retryAfterMs: 4000, random: () => 0.99 }), 4000);
    assert.equal(retryDelayMs(5, { retryAfterMs: 0 }), 0);
  });
  it('equal jitter stays within [c/2, c] for c = min(cap, base*2^n)', () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const ceiling = Math.min(30_000, 500 * 2 ** attempt);
      assert.equal(retryDelayMs(attempt, { random: () => 0 }), ceiling / 2);
      const top = retryDelayMs(attempt, { random: () => 0.999999 });
      assert.ok(top <= ceiling && top >= ceiling - 1, `attempt ${attempt}: ${top} vs ${ceiling}`);
    }
    assert.equal(retryDelayMs(2, { random: () => 0.5, baseMs: 100, capMs: 1000 }), 300);
    assert.equal(retryDelayMs(20, { random: () => 0.5, baseMs: 100, capMs: 1000 }), 750);
  });

  it('the background budget (6 retries) always spans a 10 s outage; the HTTP one (3) stays short', () => {
    assert.equal(minimumRetrySpanMs(6), 250 + 500 + 1000 + 2000 + 4000 + 8000);
    assert.ok(minimumRetrySpanMs(6) > 10_000);
    // Before: full jitter from 500 ms could wait 0 in all, and three retries averaged about 1.75 s.
    assert.equal(minimumRetrySpanMs(3), 1750);
  });
});

describe('decideRetry', () => {
  const base: RetryInput = {
    attempt: 0,
    maxRetries: 3,
    status: 503,
    maxRetryAfterMs: 60_000,
    idempotent: true,
    random: () => 0.5,
  };
  it('retries 5xx with jittered backoff and stops after maxRetries', () => {
    assert.deepEqual(decideRetry(base), { retry: true, delayMs: 375 });
    assert.deepEqual(decideRetry({ ...base, attempt: 3 }), { retry: false, reason: 'exhausted' });
  });
  it('never retries other 4xx', () => {
    for (const status of [400, 403, 404, 409])
      assert.deepEqual(decideRetry({ ...base, status }), { retry: false, reason: 'not-retryable' });
  });
  it('honours Retry-After up to maxRetryAfterMs, then gives up at once', () => {
    assert.deepEqual(decideRetry({ ...base, status: 429, retryAfterMs: 5000 }), { retry: true, delayMs: 5000 });
    assert.deepEqual(decideRetry({ ...base, status: 429, retryAfterMs: 61_000 }), {
      retry: false,
      reason: 'retry-after-too-long',
    });
  });
  it('retries a non-idempotent call only when the request never reached the server', () => {
    const post = { ...base, idempotent: false };
    assert.equal(decideRetry({ ...post, status: 429 }).retry, true);
    assert.equal(decideRetry({ ...post, status: undefined, networkCode: 'ECONNREFUSED' }).retry, true);
    assert.deepEqual(decideRetry({ ...post, status: 503 }), { retry: false, reason: 'not-idempotent' });
    assert.deepEqual(decideRetry({ ...post, status: undefined, networkCode: 'ECONNABORTED' }), {
      retry: false,
      reason: 'not-idempotent',
    });
    assert.deepEqual(decideRetry({ ...post, status: undefined, networkCode: 'ECONNRESET' }), {
      retry: false,
      reason: 'not-idempotent',
    });
  });
  it('caps the backoff by maxRetryAfterMs', () => {
    const d = decideRetry({ ...base, attempt: 9, maxRetries: 10, maxRetryAfterMs: 2000, random: () => 0.999 });
    assert.ok(d.retry && d.delayMs < 2000);
  });
});

describe('decideRetry under an HTTP deadline (injected clock)', () => {
  const T0 = 1_700_000_000_000;
  const base: RetryInput = {
    attempt: 0,
    maxRetries: 10,
    status: 503,
    maxRetryAfterMs: 60_000,
    idempotent: true,
    random: () => 0.5,
  };

  it('retries while the wait ends before the deadline, and stops once it would not', () => {
    const deadline = T0 + 100_000;
    assert.deepEqual(decideRetry({ ...base, deadline, now: T0 }), { retry: true, delayMs: 375 });
    assert.deepEqual(decideRetry({ ...base, deadline, now: deadline - 376 }), { retry: true, delayMs: 375 });
    assert.deepEqual(decideRetry({ ...base, deadline, now: deadline - 375 }), { retry: false, reason: 'deadline' });
    // A server wait that would outlast the deadline is not waited for either: the caller gets 503 + Retry-After.
    assert.deepEqual(decideRetry({ ...base, status: 429, retryAfterMs: 30_000, deadline, now: T0 + 75_000 }), {
      retry: false,
      reason: 'deadline',
    });
  });

  it('a whole schedule of failures ends before 120 s whatever MAX_RETRIES says', () => {
    // Every attempt fails after 10 s (a hanging API hitting the timeout); the clock only moves by what we spend.
    let now = T0;
    const deadline = T0 + 100_000;
    let attempt = 0;
    for (;;) {
      now += Math.min(10_000, deadline - now);
      const d = decideRetry({ ...base, maxRetries: 10, attempt, deadline, now, random: () => 0.999 });
      if (!d.retry) {
        assert.equal(d.reason, 'deadline');
        break;
      }
      now += d.delayMs;
      attempt++;
    }
    assert.ok(now <= deadline && now - T0 < 120_000, `answered at +${now - T0} ms`);
    assert.ok(attempt < 10, 'the deadline, not the retry count, ended it');
  });

  it('retries a token failure (nothing was sent) even for a call that must not run twice', () => {
    assert.deepEqual(decideRetry({ ...base, status: undefined, failedBeforeSending: true, idempotent: false }), {
      retry: true,
      delayMs: 375,
    });
  });
});
