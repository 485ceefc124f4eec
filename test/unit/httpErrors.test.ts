// Every kind of failure a function can throw, through functions/lib/httpErrors.ts to its answer: the status and
// Retry-After come from shared/httpStatus.ts (the one contract), the body names the field or the upstream request.
import '../../host/fakeCore'; // must precede anything that loads @azure/functions
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvocationContext } from '@azure/functions';
import { checkJsonContentType } from '../../functions/lib/httpBody';
import { HttpProblem, toHttpResponse } from '../../functions/lib/httpErrors';
import { publicBaseUrl } from '../../shared/config';
import { AppError, AuthError, DefenderApiError, InputError, NotFoundError, SecretError } from '../../shared/errors';

const ctx = {
  invocationId: 'inv-1',
  warn: () => undefined,
  error: () => undefined,
} as unknown as InvocationContext;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  error: { code: string; message: string; field?: string; upstreamStatus?: number; requestId?: string };
}

function answer(thrown: unknown): Answer {
  const r = toHttpResponse(thrown, ctx);
  const headers = (r.headers ?? {}) as Record<string, string>;
  return {
    status: r.status ?? 0,
    retryAfter: headers['Retry-After'],
    error: (r.jsonBody as Answer & { error: Answer['error'] }).error,
  };
}

const defender = (status: number | undefined, extra: { retryAfterMs?: number } = {}) =>
  new DefenderApiError(
    `Defender API GET /security/incidents/1 failed: ${status ?? 'ECONNRESET'} BadRequest: bad $filter`,
    {
      status,
      method: 'GET',
      path: '/security/incidents/1',
      requestId: '2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f',
      ...extra,
    },
  );
const vault = (status?: number) =>
  new SecretError('Could not read Key Vault secret', {
    vaultUrl: 'https://kv.vault.azure.net',
    secretName: 's',
    ...(status === undefined ? {} : { status }),
  });

describe('toHttpResponse follows the status-code contract', () => {
  it('the Defender API refusing our request is 422 with its message, status and request id', () => {
    for (const status of [400, 409, 422]) {
      const a = answer(defender(status));
      assert.equal(a.status, 422, String(status));
      assert.equal(a.retryAfter, undefined);
      assert.equal(a.error.upstreamStatus, status);
      assert.equal(a.error.requestId, '2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f');
      assert.match(a.error.message, /bad \$filter/);
    }
  });

  it('unknown things are 404; our credentials refused upstream are 502 without Retry-After', () => {
    assert.equal(answer(defender(404)).status, 404);
    assert.deepEqual([answer(defender(401)).status, answer(defender(403)).status], [502, 502]);
    assert.equal(answer(defender(401)).retryAfter, undefined);
    const unknownQuery = answer(new NotFoundError('query', 'Unknown query'));
    assert.deepEqual([unknownQuery.status, unknownQuery.error.field], [404, 'query']);
  });

  it('anything down or out of retry budget is 503 with Retry-After (the server’s wait when it said one)', () => {
    const throttled = answer(defender(429, { retryAfterMs: 120_000 }));
    assert.deepEqual(
      [throttled.status, throttled.retryAfter, throttled.error.code],
      [503, '120', 'DEFENDER_THROTTLED'],
    );
    for (const status of [undefined, 408, 500, 502, 503, 504]) {
      const a = answer(defender(status));
      assert.equal(a.status, 503, String(status));
      assert.equal(a.error.code, 'DEFENDER_UNAVAILABLE');
      assert.match(a.retryAfter ?? '', /^\d+$/);
    }
    for (const status of [undefined, 429, 500, 503]) assert.equal(answer(vault(status)).status, 503, String(status));
    assert.equal(answer(new AuthError('Entra down', { transient: true })).status, 503);
    assert.equal(answer(new AppError('DEADLINE_EXCEEDED', 'out of time')).status, 503);
    assert.equal(answer(new AppError('STORAGE_UNAVAILABLE', 'down')).status, 503);
  });

  it('the deployment refused upstream is 502: Entra rejecting the app, the vault denying or lacking the secret', () => {
    assert.equal(answer(new AuthError('invalid_client', { error: 'invalid_client' })).status, 502);
    // The API answered 2xx with something unusable (paging, mapping): not the caller's request to change.
    assert.equal(answer(new AppError('DEFENDER_HTTP', 'The API returned the same @odata.nextLink twice')).status, 502);
    for (const status of [401, 403, 404, 200]) assert.equal(answer(vault(status)).status, 502, String(status));
  });

  it('edge problems take their status from their code', () => {
    const media = answer(new HttpProblem('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json'));
    assert.equal(media.status, 415);
    assert.equal(answer(new HttpProblem('PAYLOAD_TOO_LARGE', 'too big')).status, 413);
    const busy = answer(new HttpProblem('DELIVERY_IN_PROGRESS', 'busy', { retryAfterSeconds: 7 }));
    assert.deepEqual([busy.status, busy.retryAfter], [409, '7']);
    const input = answer(new InputError('limit', 'limit must be an integer'));
    assert.deepEqual([input.status, input.error.field], [400, 'limit']);
  });

  it('an unknown error is 500 with the invocation id and none of its text', () => {
    const r = toHttpResponse(new TypeError('secret internals at /work/x.ts:3'), ctx);
    assert.equal(r.status, 500);
    assert.doesNotMatch(JSON.stringify(r.jsonBody), /internals|work/);
  });
});

describe('checkJsonContentType', () => {
  const refused = (type: string | null, hasBody = true): boolean => {
    try {
      checkJsonContentType(type, hasBody);
      return false;
    } catch (e) {
      assert.ok(e instanceof HttpProblem && e.status === 415);
      return true;
    }
  };

  it('accepts JSON, with parameters, in any case, and +json types (RFC 6839)', () => {
    for (const t of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
      'APPLICATION/JSON',
      'application/merge-patch+json',
      'application/vnd.example.v2+json; charset=utf8',
    ])
      assert.equal(refused(t), false, t);
  });

  it('refuses other types, non-UTF-8 JSON, and a body without a type; an empty body needs none', () => {
    for (const t of [
      'text/plain',
      'text/json',
      'application/json-seq',
      'application/jsonx',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      '',
    ])
      assert.equal(refused(t), true, t);
    assert.equal(refused(null), true);
    assert.equal(refused(null, false), false);
    assert.equal(refused('', false), false);
  });
});

describe('publicBaseUrl', () => {
  it('comes from WEBSITE_HOSTNAME: https in Azure, http on the loopback', () => {
    assert.equal(
      publicBaseUrl({ WEBSITE_HOSTNAME: 'riposte-abc.azurewebsites.net' }),
      'https://riposte-abc.azurewebsites.net',
    );
    assert.equal(publicBaseUrl({ WEBSITE_HOSTNAME: 'localhost:7071' }), 'http://localhost:7071');
    assert.equal(publicBaseUrl({ WEBSITE_HOSTNAME: '127.0.0.1:41234' }), 'http://127.0.0.1:41234');
  });

  it('is undefined when unset or not a host name (never a URL with a path, credentials or spaces)', () => {
    for (const v of [undefined, '', 'evil.example/x', 'user@evil.example', 'a b', 'https://x.example'])
      assert.equal(publicBaseUrl({ WEBSITE_HOSTNAME: v }), undefined, String(v));
  });
});
