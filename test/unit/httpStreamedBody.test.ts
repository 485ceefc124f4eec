// A hunting POST read as a stream (DefenderRequest.readBody) against a real loopback server that can answer in
// pieces, stop midway or stall: what the caller gets is the same as for a buffered call (typed errors with a redacted
// excerpt, retries of network failures, the attempt's timeout), and a body that cannot be used ends the call at once.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { readHuntingResult } from '../../shared/defender/huntingStream';
import type { HuntingResult } from '../../shared/defender/types';
import { AppError, DefenderApiError } from '../../shared/errors';
import { createDefenderHttp } from '../../shared/http/defenderHttp';
import { httpStatusFor } from '../../shared/httpStatus';
import { createRateLimiter } from '../../shared/http/rateLimiter';
import { fixtureText } from '../contracts/fixtures';

interface Reply {
  status: number;
  /** Sent in pieces, one per write. */
  parts: string[];
  headers?: Record<string, string>;
  /** After the parts: 'end' (default), 'destroy' the socket (a body cut short), or 'stall' (never end). */
  then?: 'end' | 'destroy' | 'stall';
  /** Chunked transfer encoding instead of a Content-Length. */
  chunked?: boolean;
}

let server: http.Server;
let baseURL: string;
let script: Reply[] = [];
let requests = 0;
const stalled = new Set<http.ServerResponse>();

before(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      const reply = script.shift() ?? { status: 500, parts: ['{"error":{"code":"NoScript","message":"none"}}'] };
      const length = reply.parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
      res.writeHead(reply.status, {
        'content-type': 'application/json',
        // A cut-off or stalled body is one that is shorter than it said it would be (or lacks its last chunk).
        ...(reply.chunked ? {} : { 'content-length': String(reply.then === undefined ? length : length + 100) }),
        ...reply.headers,
      });
      for (const p of reply.parts) res.write(p);
      if (reply.then === 'destroy') setImmediate(() => res.socket?.destroy());
      else if (reply.then === 'stall') stalled.add(res);
      else res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`;
});
after(async () => {
  for (const res of stalled) res.socket?.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  script = [];
  requests = 0;
});

function hunt(overrides: { maxRetries?: number; timeoutMs?: number } = {}): Promise<HuntingResult> {
  const unlimited = () => createRateLimiter({ windows: [{ limit: 1000, windowMs: 60_000 }] });
  const h = createDefenderHttp({
    baseURL,
    getToken: async () => 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln',
    invalidateToken: () => undefined,
    limiters: {
      hunting: unlimited(),
      incidents: unlimited(),
      alerts: unlimited(),
      identity: unlimited(),
      riskyUsers: unlimited(),
      machineActions: unlimited(),
    },
    timeoutMs: overrides.timeoutMs ?? 5000,
    maxRetries: overrides.maxRetries ?? 2,
    maxRetryAfterMs: 60_000,
    sleep: async () => undefined,
    random: () => 0.5,
  });
  return h.request<HuntingResult>({
    method: 'POST',
    path: '/security/runHuntingQuery',
    data: { Query: 'DeviceProcessEvents | take 2' },
    family: 'hunting',
    readBody: readHuntingResult,
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return assert.fail('expected the call to fail');
}

/** The documented Graph answer (fixtures/INDEX.md), in pieces of `size` characters. */
function documentedParts(size: number): string[] {
  const text = fixtureText('graph/security-runhuntingquery-example1.json');
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

describe('a streamed hunting response over HTTP', () => {
  it('arrives in pieces and gives the documented rows', async () => {
    script = [{ status: 200, parts: documentedParts(9) }];
    const r = await hunt();
    const doc = JSON.parse(fixtureText('graph/security-runhuntingquery-example1.json')) as { results: unknown[] };
    assert.deepEqual(r.rows, doc.results);
    assert.equal(r.schema[0]?.name, 'Timestamp');
  });

  it('a non-2xx answer is a DefenderApiError with the API’s code, request id and a redacted excerpt', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2FwaSJ9.c2lnbmF0dXJlLXNlY3JldA';
    const body = JSON.stringify({
      error: {
        code: 'BadRequest',
        message: `Query execution has exceeded the allowed result size (Bearer ${token})`,
        innerError: { 'request-id': 'req-123', date: '2026-01-01T00:00:00' },
      },
    });
    script = [{ status: 400, parts: [body.slice(0, 20), body.slice(20)] }];
    const e = await failure(hunt());
    assert.ok(e instanceof DefenderApiError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.apiCode, 'BadRequest');
    assert.equal(e.requestId, 'req-123');
    assert.match(e.bodyExcerpt ?? '', /exceeded the allowed result size/);
    assert.ok(!(e.bodyExcerpt ?? '').includes(token), e.bodyExcerpt);
    assert.ok(!e.message.includes(token), e.message);
    assert.equal(requests, 1);
  });

  it('a 429 keeps its Retry-After, as for a buffered call', async () => {
    script = [
      {
        status: 429,
        headers: { 'retry-after': '7' },
        parts: ['{"error":{"code":"TooManyRequests","message":"Rate limit is exceeded"}}'],
      },
    ];
    const e = await failure(hunt({ maxRetries: 0 }));
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterMs, 7000);
  });

  for (const chunked of [false, true]) {
    it(`a body cut off midway (${chunked ? 'chunked' : 'Content-Length'}) is a network failure: retried, and the retry’s whole body is used`, async () => {
      const parts = documentedParts(40);
      script = [
        { status: 200, parts: parts.slice(0, 3), then: 'destroy', chunked },
        { status: 200, parts, chunked },
      ];
      const r = await hunt();
      assert.equal(requests, 2);
      assert.equal(r.rows.length, 2);
    });
  }

  it('a body cut off on every attempt ends as a network DefenderApiError, not a partial result', async () => {
    const parts = documentedParts(40);
    script = [0, 1, 2].map(() => ({ status: 200, parts: parts.slice(0, 3), then: 'destroy' as const }));
    const e = await failure(hunt({ maxRetries: 2 }));
    assert.ok(e instanceof DefenderApiError, String(e));
    assert.equal(e.status, undefined);
    assert.equal(requests, 3);
  });

  it('a complete answer whose JSON is truncated is a DEFENDER_HTTP error at once (no retry)', async () => {
    const parts = documentedParts(40);
    script = [{ status: 200, parts: parts.slice(0, 3) }];
    const e = await failure(hunt());
    assert.ok(e instanceof AppError && !(e instanceof DefenderApiError), String(e));
    assert.equal(e.code, 'DEFENDER_HTTP');
    assert.match(e.message, /not valid JSON \(it ends before the JSON does/);
    assert.equal(requests, 1);
    // The upstream answered something Riposte cannot use: 502 (shared/httpStatus.ts).
    assert.equal(httpStatusFor({ code: e.code }).status, 502);
  });

  it('a body that stalls ends with a timeout error (retried like one), not a hang', async () => {
    const parts = documentedParts(40);
    script = [
      { status: 200, parts: parts.slice(0, 2), then: 'stall' },
      { status: 200, parts: parts.slice(0, 2), then: 'stall' },
    ];
    const e = await failure(hunt({ maxRetries: 1, timeoutMs: 300 }));
    assert.ok(e instanceof DefenderApiError, String(e));
    assert.equal(e.status, undefined);
    assert.match(e.message, /timed out \(ETIMEDOUT\)/);
    assert.equal(requests, 2);
  });
});
