// The status-code contract (shared/httpStatus.ts, README "HTTP API") as a caller meets it, through the local host
// over real HTTP against the sandbox: every refusal is the JSON error shape, the media type and the query are
// checked, the OpenAPI document names the app and not the Host header, and each upstream outcome gets the status
// a caller (Logic Apps retries 408, 429 and 5xx) should act on. Run for both APIs by statusContract*.test.ts.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { errorOf, riposteCommentsOf, startHarness, waitFor, type Harness, type Reply } from './harness';

export function statusContractSuite(api: 'graph' | 'legacy'): void {
  let h: Harness;
  const incidentId = '3309';

  before(async () => {
    // No in-call retries: each fault below is answered at once, and each test stays short.
    h = await startHarness({ api, settings: { MAX_RETRIES: '0' } });
  });

  after(async () => {
    await h?.close();
  });

  beforeEach(() => h.sandbox.control.reset());

  const retryAfter = (r: Reply): number => Number(r.headers.get('retry-after'));

  describe(`401 and 403 carry the JSON error body (${api})`, () => {
    it("the host's own 401 for a missing or wrong function key", async () => {
      for (const key of [false, 'not-the-key'] as const) {
        const r = await h.call('GET', `/api/incidents/${incidentId}`, { key });
        assert.equal(r.status, 401, r.text);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
        const e = errorOf(r);
        assert.equal(e.code, 'UNAUTHENTICATED');
        assert.equal(e.field, 'x-functions-key');
        assert.ok(!r.text.includes(h.host.functionKey), 'never echoes a key');
      }
      const admin = await h.call('GET', '/admin/host/status', { key: h.host.functionKey });
      assert.equal(admin.status, 401);
      assert.equal(errorOf(admin).code, 'UNAUTHENTICATED');
      assert.match(errorOf(admin).message, /master key/);
    });

    it('a webhook whose signature does not verify', async () => {
      const r = await h.webhook('generic', { id: 'sig-1', incidentId, comment: 'x' }, { secret: 'whsec_AAAA' });
      assert.equal(r.status, 401, r.text);
      assert.equal(errorOf(r).code, 'UNAUTHENTICATED');
    });
  });

  describe(`415 for a body that is not JSON (${api})`, () => {
    const patch = (body: string | Buffer, contentType?: string) =>
      h.call('PATCH', `/api/incidents/${incidentId}`, {
        body,
        ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
      });
    const body = JSON.stringify({ tags: { add: ['media-type-check'] } });

    it('JSON endpoints name the expected type, and accept JSON with parameters or a +json type', async () => {
      const updates = h.sandbox.control.counters().api.incidentsUpdate;
      for (const [type, sent] of [
        ['text/plain', body],
        ['application/x-www-form-urlencoded', 'status=resolved'],
        ['application/json-seq', body],
        ['application/json; charset=iso-8859-1', body],
        // fetch sends a Buffer without any Content-Type.
        [undefined, Buffer.from(body)],
      ] as const) {
        const r = await patch(sent, type);
        assert.equal(r.status, 415, `${type ?? '(none)'}: ${r.text}`);
        const e = errorOf(r);
        assert.equal(e.code, 'UNSUPPORTED_MEDIA_TYPE');
        assert.equal(e.field, 'content-type');
        assert.match(e.message, /application\/json/);
      }
      assert.equal(h.sandbox.control.counters().api.incidentsUpdate, updates, 'nothing reached the API');
      for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/merge-patch+json']) {
        assert.equal((await patch(body, type)).status, 200, type);
      }
    });

    it('an empty body needs no Content-Type where the body is optional', async () => {
      const r = await h.call('POST', '/api/hunting/device-triage-snapshot', { body: Buffer.alloc(0) });
      assert.notEqual(r.status, 415, r.text);
    });

    it('webhooks: 415 before anything is verified or queued; JSON with a charset is accepted', async () => {
      const payload = { id: `mt-${Date.now()}`, incidentId, comment: 'media type' };
      const wrong = await h.webhook('generic', payload, { headers: { 'content-type': 'text/plain' } });
      assert.equal(wrong.status, 415, wrong.text);
      assert.equal(errorOf(wrong).code, 'UNSUPPORTED_MEDIA_TYPE');
      const none = await h.webhook('generic', payload, { headers: { 'content-type': undefined } });
      // fetch labels a string body text/plain; either way it is not declared JSON.
      assert.equal(none.status, 415, none.text);
      assert.deepEqual(await h.peekQueue(h.queueName), [], 'nothing queued');
      const ok = await h.webhook('generic', payload, {
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      assert.equal(ok.status, 202, ok.text);
      // Applied before the next case: its calls to the API in the background would otherwise take a fault injected
      // for a later case (the legacy 400 case then got 200 in CI).
      await waitFor('the accepted delivery applied', () =>
        riposteCommentsOf(h, Number(incidentId)).some((c) => c.includes('media type')),
      );
    });
  });

  describe(`unknown query parameters are a 400 naming them (${api})`, () => {
    it('on the list, and on every endpoint that reads none; the function key as ?code= is fine', async () => {
      const list = await h.call('GET', '/api/incidents?stauts=active');
      assert.equal(list.status, 400, list.text);
      assert.equal(errorOf(list).field, 'stauts');
      assert.match(errorOf(list).message, /status, severity, assignedTo, createdSince, updatedSince, limit/);
      for (const [method, path] of [
        ['GET', `/api/incidents/${incidentId}?expand=alerts`],
        ['PATCH', `/api/incidents/${incidentId}?dryRun=true`],
        ['POST', '/api/hunting/device-triage-snapshot?timespan=P1D'],
        ['GET', '/api/health/deep?verbose=1'],
        ['GET', '/api/openapi.json?fromat=swagger2'],
      ] as const) {
        const r = await h.call(method, path, method === 'GET' ? {} : { body: {} });
        assert.equal(r.status, 400, `${method} ${path}: ${r.text}`);
        assert.equal(errorOf(r).code, 'INPUT_INVALID');
      }
      const byCode = await h.call('GET', `/api/incidents?limit=2&code=${encodeURIComponent(h.host.functionKey)}`, {
        key: false,
      });
      assert.equal(byCode.status, 200, byCode.text);
      assert.ok(!byCode.text.includes(h.host.functionKey));
    });
  });

  describe(`the OpenAPI document names the app from configuration (${api})`, () => {
    /** GET with a Host header of our choosing (fetch refuses to set one). */
    const getWithHost = (path: string, host: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const url = new URL(path, h.host.url);
        const req = request(url, { headers: { host } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end();
      });

    it('a spoofed Host header never appears in either format', async () => {
      const own = new URL(h.host.url).host;
      const v3 = await getWithHost('/api/openapi.json', 'evil.example');
      assert.equal(v3.status, 200);
      assert.ok(!v3.body.includes('evil.example'), 'the Host header is not echoed');
      assert.deepEqual((JSON.parse(v3.body) as { servers: unknown }).servers, [{ url: `http://${own}/api` }]);
      const v2 = await getWithHost('/api/openapi.json?format=swagger2', 'evil.example:443');
      assert.ok(!v2.body.includes('evil.example'));
      assert.equal((JSON.parse(v2.body) as { host: string }).host, own);
    });
  });

  describe(`upstream outcomes map to the contract (${api})`, () => {
    it('an unknown named query is 404 naming the query', async () => {
      const r = await h.call('POST', '/api/hunting/no-such-query', { body: {} });
      assert.equal(r.status, 404, r.text);
      assert.deepEqual([errorOf(r).code, errorOf(r).field], ['NOT_FOUND', 'query']);
    });

    it('the API refusing our request (400) is 422 with its message, status and request id, not 502', async () => {
      h.sandbox.control.injectFaults({ target: 'incidents', status: 400, count: 1 });
      const r = await h.call('GET', `/api/incidents/${incidentId}`);
      assert.equal(r.status, 422, r.text);
      const e = errorOf(r) as ReturnType<typeof errorOf> & { upstreamStatus?: number; requestId?: string };
      assert.equal(e.code, 'DEFENDER_HTTP');
      assert.equal(e.upstreamStatus, 400);
      assert.match(e.message, /Injected fault/, 'the API message is relayed');
      if (api === 'graph') assert.match(e.requestId ?? '', /^[0-9a-f-]{36}$/, 'the request id to quote');
      assert.equal(r.headers.get('retry-after'), null, 'nothing to wait for: the request must change');
    });

    it('Entra down is 503 + Retry-After; Entra rejecting our credentials stays 502', async () => {
      h.sandbox.control.revokeTokens();
      h.sandbox.control.injectFaults({ target: 'token', status: 503 });
      const down = await h.call('GET', `/api/incidents/${incidentId}`);
      assert.equal(down.status, 503, down.text);
      assert.equal(errorOf(down).code, 'AUTH_UNAVAILABLE');
      assert.ok(retryAfter(down) >= 1);

      h.sandbox.control.reset();
      h.sandbox.control.revokeTokens();
      h.sandbox.control.injectFaults({ target: 'token', outage: true });
      const unreachable = await h.call('GET', `/api/incidents/${incidentId}`);
      assert.equal(unreachable.status, 503, unreachable.text);
      assert.equal(errorOf(unreachable).code, 'AUTH_UNAVAILABLE');

      h.sandbox.control.reset();
      h.sandbox.control.revokeTokens();
      h.sandbox.control.rotateSecretInEntraOnly();
      const refused = await h.call('GET', `/api/incidents/${incidentId}`);
      assert.equal(refused.status, 502, refused.text);
      assert.equal(errorOf(refused).code, 'AUTH_FAILED');
      assert.equal(refused.headers.get('retry-after'), null);
    });

    it('Key Vault down is 503 + Retry-After', async () => {
      // A rejected secret makes the app re-read Key Vault, which is down.
      h.sandbox.control.revokeTokens();
      h.sandbox.control.rotateSecretInEntraOnly();
      h.sandbox.control.injectFaults({ target: 'keyvault', status: 500 });
      const r = await h.call('GET', `/api/incidents/${incidentId}`);
      assert.equal(r.status, 503, r.text);
      assert.equal(errorOf(r).code, 'SECRET_UNAVAILABLE');
      assert.ok(retryAfter(r) >= 1);
    });

    // Last: its 429 pauses the tenant's shared quota (Table storage, every host) for 120 s, which would throttle the cases after it.
    it('the retry budget spent on 429 is 503 with the API’s Retry-After (no longer 429)', async () => {
      h.sandbox.control.injectFaults({ target: 'incidents', status: 429, retryAfterSeconds: 120 });
      const r = await h.call('GET', `/api/incidents/${incidentId}`);
      assert.equal(r.status, 503, r.text);
      assert.equal(errorOf(r).code, 'DEFENDER_THROTTLED');
      assert.equal(retryAfter(r), 120);
    });
  });
}
