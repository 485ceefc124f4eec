import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideRetry,
  isRetryableNetworkError,
  isRetryableStatus,
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
  it('full jitter stays within [0, min(cap, base*2^n))', () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const ceiling = Math.min(30_000, 500 * 2 ** attempt);
      assert.equal(retryDelayMs(attempt, { random: () => 0 }), 0);
      const top = retryDelayMs(attempt, { random: () => 0.999999 });
      assert.ok(top < ceiling && top >= ceiling - 1, `attempt ${attempt}: ${top} vs ${ceiling}`);
    }
    assert.equal(retryDelayMs(2, { random: () => 0.5, baseMs: 100, capMs: 1000 }), 200);
    assert.equal(retryDelayMs(20, { random: () => 0.5, baseMs: 100, capMs: 1000 }), 500);
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
    assert.deepEqual(decideRetry(base), { retry: true, delayMs: 250 });
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
