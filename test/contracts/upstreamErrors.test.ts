// What a caller gets when Entra ID, Key Vault or the Defender API answers with its documented error bodies
// (fixtures/entra, fixtures/keyvault, fixtures/graph): the host runs as its own process, a vendor double answers
// the chosen call, and the HTTP status, Retry-After and error code are checked against the one status contract
// (shared/httpStatus.ts): our deployment refused upstream → 502; anything down or out of retry budget → 503 with
// Retry-After; the API refusing what we sent → 422 with its message and request id. Each case starts a fresh host
// process: tokens and secrets are cached per process.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startAppStack, type AppStack } from '../helpers/appStack';
import type { HttpAnswer } from '../reliability/harness';
import { fixtureJson } from './fixtures';

let stack: AppStack;

before(async () => {
  stack = await startAppStack({ api: 'graph', vendorDouble: true, startHost: false, settings: { MAX_RETRIES: '1' } });
});
after(async () => {
  await stack?.close();
});
beforeEach(async () => {
  stack.vendor!.clear();
  await stack.startHost();
});

const TOKEN = /\/oauth2\/v2\.0\/token(\?|$)/;
const SECRET = /^\/secrets\/riposte-client-secret\//;
const ENTRA_SAMPLE = fixtureJson<Record<string, unknown>>('entra/sample-error-response.json');

/** The documented Entra error envelope with another `error`, AADSTS code and description. */
function entraError(error: string, code: number, description: string): Record<string, unknown> {
  const trace = String(ENTRA_SAMPLE.trace_id);
  const correlation = String(ENTRA_SAMPLE.correlation_id);
  return {
    ...ENTRA_SAMPLE,
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${String(ENTRA_SAMPLE.timestamp)}`,
    error_codes: [code],
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

function errorOf(r: HttpAnswer): { code?: string; message?: string } {
  const e = (r.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  assert.ok(e && typeof e.code === 'string', `an error body, got ${r.status}: ${r.text}`);
  return e;
}

/** No secret, token or key ever reaches an answer. */
function assertNoSecrets(r: HttpAnswer): void {
  assert.ok(!r.text.includes(stack.sandbox.control.currentSecret()), 'the client secret leaked into the answer');
  assert.doesNotMatch(r.text, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'a token leaked into the answer');
}

const getIncident = () => stack.call('GET', '/api/incidents/3309');

describe('Entra ID token errors', () => {
  it('AADSTS7000215 invalid_client (401, the secret is wrong): 502 AUTH_FAILED', async () => {
    stack.vendor!.answer({
      method: 'POST',
      path: TOKEN,
      status: 401,
      body: entraError(
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${stack.sandbox.clientId}'.`,
      ),
    });
    const r = await getIncident();
    assertNoSecrets(r);
    assert.equal(r.status, 502, r.text);
    assert.equal(errorOf(r).code, 'AUTH_FAILED');
  });

  it("the documentation's sample error (AADSTS70011 invalid_scope, 400): 502 AUTH_FAILED", async () => {
    stack.vendor!.answer({ method: 'POST', path: TOKEN, status: 400, body: ENTRA_SAMPLE });
    const r = await getIncident();
    assertNoSecrets(r);
    assert.equal(r.status, 502, r.text);
    assert.equal(errorOf(r).code, 'AUTH_FAILED');
  });

  it('temporarily_unavailable (Entra busy, 503): 503 with Retry-After, so the caller retries (item 7)', async () => {
    stack.vendor!.answer({
      method: 'POST',
      path: TOKEN,
      status: 503,
      headers: { 'retry-after': '1' },
      body: entraError('temporarily_unavailable', 50000, 'The server is temporarily too busy to handle the request.'),
    });
    const r = await getIncident();
    assertNoSecrets(r);
    assert.equal(r.status, 503, r.text);
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
  });
});

describe('Key Vault errors reading the client secret', () => {
  it('404 SecretNotFound: 502 SECRET_UNAVAILABLE (the deployment must fix it)', async () => {
    stack.vendor!.answer({
      method: 'GET',
      path: SECRET,
      authorized: true,
      status: 404,
      body: fixtureJson('keyvault/secret-not-found.json'),
    });
    const r = await getIncident();
    assert.equal(r.status, 502, r.text);
    assert.equal(errorOf(r).code, 'SECRET_UNAVAILABLE');
  });

  it('403 Forbidden / SecretDisabled: 502 SECRET_UNAVAILABLE', async () => {
    stack.vendor!.answer({
      method: 'GET',
      path: SECRET,
      authorized: true,
      status: 403,
      body: fixtureJson('keyvault/secret-disabled.json'),
    });
    const r = await getIncident();
    assert.equal(r.status, 502, r.text);
    assert.equal(errorOf(r).code, 'SECRET_UNAVAILABLE');
  });

  it('Key Vault unavailable (503): 503 with Retry-After (item 7)', async () => {
    stack.vendor!.answer({
      method: 'GET',
      path: SECRET,
      authorized: true,
      status: 503,
      headers: { 'retry-after': '1' },
      body: { error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' } },
    });
    const r = await getIncident();
    assert.equal(r.status, 503, r.text);
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
  });
});

describe('Defender API errors during a workflow run', () => {
  it('the API refuses the change (400, documented Graph error body): 422 carrying its message and request id (item 7)', async () => {
    const body = fixtureJson<{ error: { message: string; innerError: Record<string, string> } }>(
      'graph/error-response-example.json',
    );
    stack.vendor!.answer({ method: 'PATCH', path: /^\/v1\.0\/security\/incidents\/3309$/, status: 400, body });
    const r = await stack.call('POST', '/api/workflows/ticket-sync/run', {
      body: { input: { incidentId: '3309', status: 'inProgress' } },
    });
    assert.equal(r.status, 422, r.text);
    assert.ok(r.text.includes(body.error.message), `the API's message is passed on: ${r.text}`);
    assert.ok(r.text.includes(body.error.innerError['request-id']!), `the API's request id is passed on: ${r.text}`);
  });

  it('the API throttles past the retry budget (429, Retry-After 120): 503 with Retry-After (item 7)', async () => {
    stack.vendor!.answer({
      method: 'GET',
      path: /^\/v1\.0\/security\/incidents\/3309(\?|$)/,
      status: 429,
      headers: { 'retry-after': '120' },
      body: { error: { code: 'TooManyRequests', message: 'Too many requests.' } },
    });
    const r = await getIncident();
    assert.equal(r.status, 503, r.text);
    assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
  });
});
