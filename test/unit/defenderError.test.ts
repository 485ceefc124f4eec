import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import util from 'node:util';
import { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { DefenderApiError } from '../../shared/errors';
import { BODY_EXCERPT_MAX, toDefenderApiError } from '../../shared/http/defenderError';
import { redact, redactProps } from '../../shared/logger';

const TOKEN = 'abc.def.ghi';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl';

function config(): InternalAxiosRequestConfig {
  return {
    method: 'patch',
    url: '/security/incidents/42',
    baseURL: 'https://graph.example',
    headers: new AxiosHeaders({ Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }),
    data: JSON.stringify({ client_secret: 'hunter2' }),
  };
}

/** Everything a log line, an HTTP answer or a debugger could show of an error, cause chain included. */
function everyRendering(e: Error): string {
  const parts = [e.message, JSON.stringify(e), util.inspect(e, { depth: Infinity, showHidden: true }), String(e.stack)];
  let c: unknown = e.cause;
  while (c) {
    parts.push(util.inspect(c, { depth: Infinity, showHidden: true }), JSON.stringify(c));
    c = (c as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

describe('toDefenderApiError', () => {
  it('turns an HTTP AxiosError into a typed, token-free DefenderApiError', () => {
    const cfg = config();
    const axiosErr = new AxiosError(
      'Request failed with status code 404',
      'ERR_BAD_REQUEST',
      cfg,
      {},
      {
        status: 404,
        statusText: 'Not Found',
        headers: new AxiosHeaders({ 'request-id': 'req-1' }),
        config: cfg,
        data: {
          error: {
            code: 'NotFound',
            message: `Incident 42 not found (you sent Bearer ${TOKEN})`,
            innerError: { 'request-id': 'inner-1' },
          },
        },
      },
    );
    const e = toDefenderApiError(axiosErr, { method: 'patch', path: '/security/incidents/42' });
    assert.ok(e instanceof DefenderApiError);
    assert.equal(e.code, 'NOT_FOUND');
    assert.equal(e.status, 404);
    assert.equal(e.apiCode, 'NotFound');
    assert.equal(e.requestId, 'req-1');
    assert.equal(e.method, 'PATCH');
    assert.equal(e.path, '/security/incidents/42');
    assert.match(
      e.message,
      /^Defender API PATCH \/security\/incidents\/42 failed: 404 NotFound: Incident 42 not found/,
    );
    const all = everyRendering(e);
    assert.ok(!all.includes(TOKEN), all);
    assert.ok(!all.includes('hunter2'));
    assert.ok(!all.includes('Authorization'));
    assert.equal(e.cause, undefined);
  });

  it('a network error keeps its code in a sanitised cause, never the axios config', () => {
    const cfg = config();
    const axiosErr = new AxiosError(`socket hang up while sending Bearer ${TOKEN}`, 'ECONNRESET', cfg, {});
    const e = toDefenderApiError(axiosErr, { method: 'GET', path: '/api/incidents?$top=100' });
    assert.equal(e.status, undefined);
    assert.equal(e.code, 'DEFENDER_UNAVAILABLE');
    assert.match(e.message, /^Defender API GET \/api\/incidents failed: ECONNRESET socket hang up/);
    assert.equal((e.cause as { code?: string }).code, 'ECONNRESET');
    const all = everyRendering(e);
    assert.ok(!all.includes(TOKEN), all);
    assert.ok(!all.includes('hunter2'));
    assert.ok(!all.includes('graph.example'), 'no axios config in the cause');
  });

  it('reports a timeout as such', () => {
    const e = toDefenderApiError(new AxiosError('timeout of 30000ms exceeded', 'ECONNABORTED', config()), {
      method: 'POST',
      path: '/security/runHuntingQuery',
    });
    assert.match(e.message, /failed: timed out \(ECONNABORTED\)/);
  });

  it('reads request id and retry hints from both envelopes, and caps the body excerpt', () => {
    const legacy = new AxiosError(
      '429',
      'ERR_BAD_REQUEST',
      config(),
      {},
      {
        status: 429,
        statusText: 'Too Many Requests',
        headers: new AxiosHeaders(),
        config: config(),
        data: {
          error: {
            code: '429',
            message: 'API calls quota exceeded! maximum allowed 45 per 00:01:00',
            target: '|abc.def',
          },
        },
      },
    );
    const e = toDefenderApiError(legacy, { method: 'POST', path: '/api/advancedhunting/run' });
    assert.equal(e.code, 'DEFENDER_THROTTLED');
    assert.equal(e.requestId, '|abc.def');
    assert.equal(e.retryAfterMs, 60_000);
    const graph = new AxiosError(
      '503',
      'ERR_BAD_RESPONSE',
      config(),
      {},
      {
        status: 503,
        statusText: 'Service Unavailable',
        headers: new AxiosHeaders({ 'retry-after': '7' }),
        config: config(),
        data: 'x'.repeat(10_000),
      },
    );
    const g = toDefenderApiError(graph, { method: 'GET', path: '/security/incidents' });
    assert.equal(g.retryAfterMs, 7000);
    assert.equal(g.code, 'DEFENDER_UNAVAILABLE');
    assert.ok((g.bodyExcerpt?.length ?? 0) <= BODY_EXCERPT_MAX);
    assert.match(g.message, /failed: 503 Service Unavailable$/);
  });
});

describe('redact', () => {
  it('masks bearer tokens, JWTs, client_secret and token fields', () => {
    const text = redact(
      `Authorization: Bearer ${TOKEN} id=${JWT} body client_secret=s3cr%3Dt&x=1 {"access_token":"${JWT}","client_secret":"p"}`,
    );
    for (const leak of [TOKEN, JWT, 's3cr', '"p"']) assert.ok(!text.includes(leak), `${leak} in ${text}`);
    assert.match(text, /x=1/);
  });
  it('masks sensitive keys in log props', () => {
    const props = redactProps({
      authorization: 'Bearer x',
      nested: { token: 'y', note: `Bearer ${TOKEN}` },
      attempt: 2,
    });
    assert.deepEqual(props, {
      authorization: '[REDACTED]',
      nested: { token: '[REDACTED]', note: 'Bearer [REDACTED]' },
      attempt: 2,
    });
  });
});
