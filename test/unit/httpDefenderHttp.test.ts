// The HTTP wrapper against a real loopback server (plain http): retries, 401 refresh, typed errors, limiter use.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import util from 'node:util';
import { AppError, AuthError, DefenderApiError, SecretError } from '../../shared/errors';
import { createDefenderHttp, type DefenderHttp } from '../../shared/http/defenderHttp';
import { createRateLimiter } from '../../shared/http/rateLimiter';
import { withRetryBudget } from '../../shared/http/retryBudget';
import type { Logger } from '../../shared/logger';

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number; destroy?: boolean };
interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

let server: http.Server;
let baseURL: string;
let script: Reply[] = [];
let seen: Seen[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      const reply = script.shift() ?? { status: 200, body: { ok: true } };
      if (reply.destroy) return req.socket.destroy();
      setTimeout(() => {
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`;
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  seen = [];
});

function client(
  overrides: {
    maxRetries?: number;
    maxRetryAfterMs?: number;
    timeoutMs?: number;
    getToken?: () => Promise<string>;
    /** A simulated clock that only sleeps move (for deadline tests). */
    clock?: { now: number };
  } = {},
) {
  const sleeps: number[] = [];
  const clock = overrides.clock;
  const warnings: Array<Record<string, unknown> | undefined> = [];
  let tokenNo = 0;
  let invalidations = 0;
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_m, p) => warnings.push(p) };
  const throttles: Array<{ family: string; waitMs: number; reason: string }> = [];
  const unlimited = (family: string) =>
    Object.assign(createRateLimiter({ windows: [{ limit: 1000, windowMs: 60_000 }] }), {
      throttled: (waitMs: number, reason: string) => throttles.push({ family, waitMs, reason }),
    });
  const h: DefenderHttp = createDefenderHttp({
    baseURL,
    getToken: overrides.getToken ?? (async () => `tok${tokenNo}.sig.x`),
    invalidateToken: () => {
      invalidations++;
      tokenNo++;
    },
    limiters: {
      hunting: unlimited('hunting'),
      incidents: unlimited('incidents'),
      alerts: unlimited('alerts'),
      identity: unlimited('identity'),
      riskyUsers: unlimited('riskyUsers'),
      machineActions: unlimited('machineActions'),
    },
    timeoutMs: overrides.timeoutMs ?? 2000,
    maxRetries: overrides.maxRetries ?? 3,
    maxRetryAfterMs: overrides.maxRetryAfterMs ?? 60_000,
    logger,
    sleep: async (ms) => {
      sleeps.push(ms);
      if (clock) clock.now += ms;
    },
    random: () => 0.5,
    ...(clock ? { now: () => clock.now } : {}),
  });
  return { h, sleeps, warnings, throttles, invalidations: () => invalidations };
}

describe('createDefenderHttp', () => {
  it('sends the bearer token, OData params unescaped, and returns the body', async () => {
    const { h } = client();
    script = [{ status: 200, body: { value: [1] } }];
    const body = await h.request<{ value: number[] }>({
      method: 'GET',
      path: '/security/incidents',
      params: { $top: 50, $filter: "status eq 'active'", $skip: undefined },
      family: 'incidents',
    });
    assert.deepEqual(body, { value: [1] });
    assert.equal(seen[0]?.auth, 'Bearer tok0.sig.x');
    assert.equal(seen[0]?.url, '/v1.0/security/incidents?$top=50&$filter=status%20eq%20%27active%27');
  });

  it('retries 503 with backoff then succeeds, logging attempt, delay, status and path only', async () => {
    const { h, sleeps, warnings } = client();
    script = [{ status: 503 }, { status: 500 }, { status: 200, body: { ok: 1 } }];
    assert.deepEqual(
      await h.request({ method: 'POST', path: '/security/runHuntingQuery', data: { Query: 'T' }, family: 'hunting' }),
      { ok: 1 },
    );
    assert.equal(seen.length, 3);
    assert.deepEqual(sleeps, [375, 750]);
    assert.deepEqual(warnings[0], { attempt: 1, delayMs: 375, status: 503, path: '/security/runHuntingQuery' });
    assert.ok(!JSON.stringify(warnings).includes('tok0'));
  });

  it('gives up after maxRetries with the last status', async () => {
    const { h } = client({ maxRetries: 2 });
    script = [
      { status: 502 },
      { status: 502 },
      { status: 504, body: { error: { code: 'UnknownError', message: '' } } },
    ];
    const e = await h
      .request({ method: 'GET', path: '/security/incidents/1', family: 'incidents' })
      .catch((x: unknown) => x);
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.status, 504);
    assert.equal(e.code, 'DEFENDER_UNAVAILABLE');
    assert.equal(seen.length, 3);
  });

  it('honours Retry-After on 429, and the body hint when the header is missing', async () => {
    const { h, sleeps } = client();
    script = [
      {
        status: 429,
        headers: { 'retry-after': '2' },
        body: { error: { code: 'TooManyRequests', message: 'Too many requests.' } },
      },
      { status: 429, body: { error: { code: '429', message: 'Rate limit is exceeded. Try again in 3 seconds.' } } },
      { status: 200, body: {} },
    ];
    await h.request({ method: 'GET', path: '/api/incidents', family: 'incidents' });
    assert.deepEqual(sleeps, [2000, 3000]);
  });

  it('tells the limiter about each 429 that says how long to wait (the shared quota pauses every instance)', async () => {
    const { h, throttles } = client();
    script = [
      // Graph: Retry-After header (GD issue #1975); legacy: the reset time only in the body (defender-api.md §1.3).
      { status: 429, headers: { 'retry-after': '2' }, body: { error: { code: 'TooManyRequests', message: 'x' } } },
      {
        status: 429,
        body: { error: { code: '429', message: 'API calls quota exceeded! maximum allowed 50 per 00:00:03' } },
      },
      // A 429 with no wait at all says nothing to pass on; the call backs off on its own.
      { status: 429 },
      { status: 200, body: {} },
    ];
    await h.request({ method: 'PATCH', path: '/api/incidents/7', data: {}, family: 'incidents' });
    assert.deepEqual(throttles, [
      { family: 'incidents', waitMs: 2000, reason: '429 from PATCH /api/incidents/7 (wait 2 s)' },
      { family: 'incidents', waitMs: 3000, reason: '429 from PATCH /api/incidents/7 (wait 3 s)' },
    ]);
  });

  it('fails at once with DEFENDER_THROTTLED and retryAfterMs when the server asks for too long', async () => {
    const { h, sleeps } = client({ maxRetryAfterMs: 10_000 });
    script = [{ status: 429, headers: { 'retry-after': '120' } }];
    const e = await h.request({ method: 'GET', path: '/api/incidents', family: 'incidents' }).catch((x: unknown) => x);
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.code, 'DEFENDER_THROTTLED');
    assert.equal(e.retryAfterMs, 120_000);
    assert.deepEqual(sleeps, []);
    assert.equal(seen.length, 1);
  });

  it('never retries other 4xx, and the error carries API code and request id', async () => {
    const { h } = client();
    script = [
      {
        status: 403,
        headers: { 'request-id': 'r-403' },
        body: {
          error: {
            code: 'Forbidden',
            message: 'Missing application roles. API required roles: SecurityIncident.ReadWrite.All',
          },
        },
      },
    ];
    const e = (await h
      .request({ method: 'PATCH', path: '/security/incidents/5', data: {}, family: 'incidents' })
      .catch((x: unknown) => x)) as DefenderApiError;
    assert.equal(e.code, 'FORBIDDEN');
    assert.equal(e.apiCode, 'Forbidden');
    assert.equal(e.requestId, 'r-403');
    assert.equal(
      e.message,
      'Defender API PATCH /security/incidents/5 failed: 403 Forbidden: Missing application roles. API required roles: SecurityIncident.ReadWrite.All',
    );
    assert.equal(seen.length, 1);
  });

  it('on 401 refreshes the token once and retries, then fails', async () => {
    const c = client();
    script = [{ status: 401 }, { status: 200, body: { ok: 1 } }];
    await c.h.request({ method: 'GET', path: '/security/incidents', family: 'incidents' });
    assert.deepEqual(
      seen.map((s) => s.auth),
      ['Bearer tok0.sig.x', 'Bearer tok1.sig.x'],
    );
    assert.equal(c.invalidations(), 1);
    seen = [];
    const c2 = client();
    script = [
      { status: 401 },
      { status: 401, body: { error: { code: 'Unauthorized', message: `bad token Bearer tok1.sig.x` } } },
    ];
    const e = (await c2.h
      .request({ method: 'GET', path: '/security/incidents', family: 'incidents' })
      .catch((x: unknown) => x)) as DefenderApiError;
    assert.equal(e.status, 401);
    assert.equal(seen.length, 2);
    assert.ok(!util.inspect(e, { depth: Infinity }).includes('tok1'), 'token echoed by the server is redacted');
  });

  it('a comment POST is not retried after a 5xx or a dropped connection, but is after a 429', async () => {
    const { h } = client();
    script = [{ status: 500 }];
    await assert.rejects(
      h.request({ method: 'POST', path: '/c', data: {}, family: 'incidents', idempotent: false }),
      DefenderApiError,
    );
    assert.equal(seen.length, 1);
    seen = [];
    script = [{ status: 0, destroy: true }];
    await assert.rejects(
      h.request({ method: 'POST', path: '/c', data: {}, family: 'incidents', idempotent: false }),
      /ECONNRESET|socket hang up/,
    );
    assert.equal(seen.length, 1);
    seen = [];
    script = [
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 200, body: { value: [] } },
    ];
    await h.request({ method: 'POST', path: '/c', data: {}, family: 'incidents', idempotent: false });
    assert.equal(seen.length, 2);
  });

  it('retries a dropped connection and a timeout for idempotent calls', async () => {
    const { h } = client({ timeoutMs: 100 });
    script = [
      { status: 0, destroy: true },
      { status: 200, delayMs: 400 },
      { status: 200, body: { ok: 2 } },
    ];
    assert.deepEqual(await h.request({ method: 'GET', path: '/x', family: 'incidents' }), { ok: 2 });
    assert.equal(seen.length, 3);
  });

  it('refuses to wait for the client-side quota longer than maxRetryAfterMs', async () => {
    const tight = createRateLimiter({ name: 'hunting', windows: [{ limit: 1, windowMs: 60_000 }] });
    const h = createDefenderHttp({
      baseURL,
      getToken: async () => 't',
      invalidateToken: () => {},
      limiters: {
        hunting: tight,
        incidents: tight,
        alerts: tight,
        machineActions: tight,
        identity: tight,
        riskyUsers: tight,
      },
      timeoutMs: 1000,
      maxRetries: 0,
      maxRetryAfterMs: 5000,
    });
    await h.request({ method: 'POST', path: '/h', data: {}, family: 'hunting' });
    const e = (await h
      .request({ method: 'POST', path: '/h', data: {}, family: 'hunting' })
      .catch((x: unknown) => x)) as DefenderApiError;
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.code, 'DEFENDER_THROTTLED');
    assert.equal(e.apiCode, 'ClientRateLimit');
    assert.ok((e.retryAfterMs ?? 0) > 59_000);
    assert.equal(seen.length, 1, 'the second request was never sent');
  });

  it('stops waiting when the caller aborts', async () => {
    const { h } = client();
    script = [{ status: 200, delayMs: 500 }];
    const ac = new AbortController();
    const p = h.request({ method: 'GET', path: '/slow', family: 'incidents', signal: ac.signal });
    setTimeout(() => ac.abort(new Error('invocation cancelled')), 50);
    await assert.rejects(p, /invocation cancelled/);
  });
});

describe('retry budgets: background work rides out an outage, an HTTP invocation answers by its deadline', () => {
  it('outside any budget (queued and scheduled work) a call retries maxRetries times', async () => {
    const { h, sleeps } = client({ maxRetries: 6 });
    script = [...Array.from({ length: 6 }, () => ({ status: 503 })), { status: 200, body: { ok: 1 } }];
    assert.deepEqual(await h.request({ method: 'GET', path: '/x', family: 'incidents' }), { ok: 1 });
    assert.equal(seen.length, 7);
    assert.ok(sleeps.reduce((a, b) => a + b, 0) > 10_000, `waited ${sleeps.join('+')} ms`);
  });

  it('an HTTP budget replaces the retry count and stops before the deadline (injected clock)', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { h, sleeps, warnings } = client({ maxRetries: 6, clock });
    script = Array.from({ length: 20 }, () => ({ status: 503 }));
    const budget = { maxRetries: 10, deadline: clock.now + 5_000 };
    const e = await withRetryBudget(budget, () => h.request({ method: 'GET', path: '/x', family: 'incidents' })).catch(
      (x: unknown) => x,
    );
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.code, 'DEFENDER_UNAVAILABLE');
    // 375 + 750 + 1500 = 2625; the next wait (3000) would end past the deadline, so it is not taken.
    assert.deepEqual(sleeps, [375, 750, 1500]);
    assert.ok(clock.now < budget.deadline);
    assert.equal(seen.length, 4);
    assert.match(JSON.stringify(warnings.at(-1)), /"attempt":3/);
  });

  it('no call starts once the deadline has passed: DEADLINE_EXCEEDED, nothing sent', async () => {
    const clock = { now: 1_700_000_000_000 };
    const { h } = client({ clock });
    const e = await withRetryBudget({ maxRetries: 3, deadline: clock.now }, () =>
      h.request({ method: 'GET', path: '/x', family: 'incidents' }),
    ).catch((x: unknown) => x);
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'DEADLINE_EXCEEDED');
    assert.equal(seen.length, 0);
  });

  it("an attempt's timeout is cut to the time left before the deadline", async () => {
    const { h } = client({ timeoutMs: 30_000, maxRetries: 0 });
    script = [{ status: 200, delayMs: 5_000, body: { late: true } }];
    const e = await withRetryBudget({ maxRetries: 0, deadline: Date.now() + 200 }, () =>
      h.request({ method: 'GET', path: '/x', family: 'incidents' }),
    ).catch((x: unknown) => x);
    assert.ok(e instanceof DefenderApiError, String(e));
    assert.equal(e.code, 'DEFENDER_UNAVAILABLE', 'timed out at the deadline, not after 30 s');
  });

  it('retries while Entra ID or Key Vault is down (no token yet), never when they refuse us', async () => {
    let calls = 0;
    const down = (fail: () => Error, times: number) => async () => {
      calls++;
      if (calls <= times) throw fail();
      return 'tok.sig.x';
    };
    const entraDown = () => new AuthError('Entra ID is temporarily unavailable', { transient: true });
    const vaultDown = () => new SecretError('Key Vault 503', { vaultUrl: 'https://kv', secretName: 's', status: 503 });
    for (const fail of [entraDown, vaultDown]) {
      calls = 0;
      seen = [];
      const { h, sleeps } = client({ maxRetries: 6, getToken: down(fail, 4) });
      // A comment POST too: no request left before the token failed, so nothing can be written twice.
      await h.request({ method: 'POST', path: '/c', data: {}, family: 'incidents', idempotent: false });
      assert.equal(calls, 5);
      assert.equal(sleeps.length, 4);
      assert.equal(seen.length, 1);
    }
    calls = 0;
    const refused = () => new AuthError('invalid_client', { error: 'invalid_client' });
    const { h } = client({ maxRetries: 6, getToken: down(refused, 1) });
    await assert.rejects(h.request({ method: 'GET', path: '/x', family: 'incidents' }), { code: 'AUTH_FAILED' });
    assert.equal(calls, 1);
  });
});
