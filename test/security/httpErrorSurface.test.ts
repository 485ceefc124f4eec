// What an HTTP caller can learn from failures: request bodies over the limits are refused with 413 (declared or
// streamed), and error answers of every kind are the JSON error shape with no stack trace, internal path, module
// name or upstream detail that only the operator should see.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import {
  appSettings,
  newWebhookSecrets,
  ROOT,
  signedStandard,
  startBackends,
  startInProcessApp,
  type Backends,
  type HttpAnswer,
  type InProcessApp,
} from '../reliability/harness';

const WEBHOOK_LIMIT = 4096;
const HOST_LIMIT = 2 * 1024 * 1024;
let b: Backends;
let app: InProcessApp;
const secrets = newWebhookSecrets();
let incidentId: string;

before(async () => {
  b = await startBackends();
  incidentId = String(b.sandbox.control.incidents()[0]?.id);
  app = await startInProcessApp(
    appSettings(b, secrets, {
      WEBHOOK_MAX_BODY_BYTES: String(WEBHOOK_LIMIT),
      REQUEST_TIMEOUT_SECONDS: '2',
      MAX_RETRIES: '1',
    }),
    { maxRequestBytes: HOST_LIMIT },
  );
});

after(async () => {
  await app?.host.close();
  await Promise.all([b?.sandbox.close(), b?.azurite.stop()]);
});

/** Sends `size` bytes without a content-length (chunked), so only the streaming check can stop it. */
function postChunked(path: string, size: number, headers: Record<string, string> = {}): Promise<number> {
  const url = new URL(path, app.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'x-functions-key': app.functionKey, 'content-type': 'application/json', ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    // The server may answer and close before the upload ends: that is the point.
    req.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e),
    );
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('request body size limits', () => {
  test('webhooks: over WEBHOOK_MAX_BODY_BYTES is 413, declared or streamed, and nothing is queued', async () => {
    const big = signedStandard({ incidentId, comment: 'x'.repeat(WEBHOOK_LIMIT) }, secrets.generic);
    const r = await app.call('POST', '/api/webhooks/generic', { body: big.body, headers: big.headers });
    assert.equal(r.status, 413, r.text);
    assert.equal((r.json as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(await postChunked('/api/webhooks/generic', WEBHOOK_LIMIT * 4, big.headers), 413);
    const small = signedStandard({ incidentId, comment: 'fits' }, secrets.generic);
    assert.equal(
      (await app.call('POST', '/api/webhooks/generic', { body: small.body, headers: small.headers })).status,
      202,
    );
  });

  test('JSON endpoints: over 256 KB is 413 before any parsing or upstream call', async () => {
    const calls = b.sandbox.control.counters().api;
    const body = JSON.stringify({ params: { senderAddress: 'a@b.c', recipients: ['x'.repeat(300 * 1024)] } });
    for (const [method, path] of [
      ['POST', '/api/hunting/emails-from-sender'],
      ['POST', '/api/workflows/ticket-sync/run'],
      ['PATCH', `/api/incidents/${incidentId}`],
    ] as const) {
      const r = await app.call(method, path, { body });
      assert.equal(r.status, 413, `${method} ${path}: ${r.text}`);
      assert.equal(await postChunked(path.replace(/^/, ''), 300 * 1024), method === 'PATCH' ? 404 : 413);
    }
    assert.deepEqual(b.sandbox.control.counters().api, calls, 'no API call was made');
  });

  test('the host refuses bodies over its own cap and closes the connection', async () => {
    const r = await app.call('POST', '/api/hunting/emails-from-sender', { body: Buffer.alloc(HOST_LIMIT + 1, 0x20) });
    assert.equal(r.status, 413);
    assert.equal(await postChunked('/api/hunting/emails-from-sender', HOST_LIMIT + 64 * 1024), 413);
  });
});

describe('error answers carry no internals', () => {
  const INTERNALS = [
    /\bat [\w$.<>]+ \(/, // stack frame
    /\bat (?:async )?[/\w]/, // stack frame without a function name
    /node_modules/,
    /\.[cm]?[jt]s:\d+/, // file:line
    /[/\\](?:work|home|tmp|usr)[/\\]/,
    /AxiosError|TypeError|ReferenceError|SyntaxError: Unexpected/,
    /Bearer\s+\S/,
  ];

  function assertClean(r: HttpAnswer, what: string): void {
    assert.ok(r.status >= 400, `${what}: an error (${r.status})`);
    assert.ok(!r.text.includes(ROOT), `${what}: the repository path leaked`);
    for (const re of INTERNALS) assert.doesNotMatch(r.text, re, `${what}: ${r.text.slice(0, 300)}`);
    // Only the host's own 404 for an unknown route has no body; every other refusal, 401 included, is JSON.
    if (r.status !== 404 || r.text !== '') {
      const err = (r.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      assert.equal(typeof err?.code, 'string', `${what}: JSON error shape`);
      assert.equal(typeof err?.message, 'string', what);
      assert.ok(String(err?.message).length < 2000, `${what}: a short message`);
    }
  }

  test('input, routing, upstream and dependency failures', async () => {
    const c = b.sandbox.control;
    const cases: Array<[string, () => Promise<HttpAnswer>, number]> = [
      ['bad JSON', () => app.call('POST', '/api/hunting/emails-from-sender', { body: '{"params": ' }), 400],
      [
        'wrong media type',
        () =>
          app.call('PATCH', `/api/incidents/${incidentId}`, {
            body: 'status=resolved',
            headers: { 'content-type': 'text/plain' },
          }),
        415,
      ],
      ['unknown query', () => app.call('POST', '/api/hunting/no-such-query', { body: {} }), 404],
      ['unknown workflow', () => app.call('POST', '/api/workflows/../../etc/run', { body: {} }), 404],
      ['bad incident id', () => app.call('GET', '/api/incidents/12ab'), 400],
      [
        'bad update field',
        () => app.call('PATCH', `/api/incidents/${incidentId}`, { body: { status: 'sideways' } }),
        400,
      ],
      ['unknown incident', () => app.call('GET', '/api/incidents/999999999'), 404],
      ['bad list filter', () => app.call('GET', '/api/incidents?createdSince=yesterday'), 400],
      ['no function key', () => app.call('GET', `/api/incidents/${incidentId}`, { key: null }), 401],
      ['unknown route', () => app.call('GET', '/api/nothing/here'), 404],
      [
        'bad signature',
        () => app.call('POST', '/api/webhooks/generic', { body: '{}', headers: { 'webhook-signature': 'v1,AAAA' } }),
        401,
      ],
    ];
    for (const [what, send, status] of cases) {
      const r = await send();
      assert.equal(r.status, status, `${what}: ${r.text.slice(0, 300)}`);
      assertClean(r, what);
    }

    const upstream: Array<[string, () => void, number]> = [
      ['API 500', () => c.injectFaults({ target: 'incidents', status: 500 }), 503],
      ['API connection reset', () => c.injectFaults({ target: 'incidents', outage: true }), 503],
      ['API hang', () => c.injectFaults({ target: 'incidents', delayMs: 5000 }), 503],
      ['API 403', () => (c.setRoles([]), c.revokeTokens()), 502],
      ['Entra down', () => (c.revokeTokens(), c.injectFaults({ target: 'token', status: 503 })), 503],
      ['secret rejected', () => (c.revokeTokens(), c.rotateSecretInEntraOnly()), 502],
      [
        'Key Vault 500',
        () => (c.revokeTokens(), c.rotateSecretInEntraOnly(), c.injectFaults({ target: 'keyvault', status: 500 })),
        503,
      ],
    ];
    for (const [what, fault, status] of upstream) {
      c.reset();
      fault();
      const r = await app.call('GET', `/api/incidents/${incidentId}`);
      assert.equal(r.status, status, `${what}: ${r.text.slice(0, 300)}`);
      assertClean(r, what);
    }
    c.reset();
  });
});
