// Real answers against the document: the app in the local host (sandbox + in-memory Azurite), every operation
// called over HTTP, and each body checked with ajv against the schema the document gives for that status. Also:
// every HTTP function the app registers is in the document, and the document is served anonymously with its host.
import '../../host/fakeCore'; // must precede anything that loads @azure/functions
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import { readOpenApiDocument, toSwagger2, type JsonObject } from '../../cli/openapi';
import { startAzurite, type Azurite } from '../../host/azurite';
import { startLocalHost, type LocalHost } from '../../host/localHost';
import { startSandbox, type Sandbox } from '../../sandbox';
import { signStandardWebhook } from '../../shared/webhooks';
import { users } from '../../sandbox/seed/entities';
import { signApprovalToken } from '../../shared/approval/token';
import { approvalContent, approvalLinks, setUpTeams } from '../approval/approvalContent';

const REPO = join(__dirname, '..', '..');
const doc = readOpenApiDocument(REPO);
type Responses = Record<string, { $ref?: string; content?: Record<string, { schema: { $ref?: string } }> }>;
type PathItem = Record<string, { operationId: string; responses: Responses }>;
const paths = doc.paths as Record<string, PathItem>;
const sharedResponses = (doc.components as { responses: Responses }).responses;

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
ajv.addSchema(doc, 'riposte');

let sandbox: Sandbox;
let azurite: Azurite;
let host: LocalHost;
const whsec = `whsec_${randomBytes(24).toString('base64')}`;
/** Operation ids and statuses whose bodies were checked, to prove coverage at the end. */
const checked = new Set<string>();

let content: ReturnType<typeof approvalContent>;
/** The approval links' signing key, given to the app through Key Vault so this test can forge and sign tokens. */
const signingKey = randomBytes(32);

before(async () => {
  content = approvalContent();
  [sandbox, azurite] = await Promise.all([
    startSandbox({ rateLimitScale: 0.05 }),
    startAzurite({ inMemory: true, ports: 'random' }),
  ]);
  host = await startLocalHost({
    entry: ['functions/*.ts'],
    cwd: REPO,
    port: 0,
    hostJsonPath: join(REPO, 'host.json'),
    settings: {
      ...sandbox.settings('graph'),
      AzureWebJobsStorage: azurite.connectionString,
      WEBHOOK_SECRET_GENERIC: whsec,
      CONTENT_DIR: content.dir,
      APPROVAL_SIGNING_SECRET_NAME: 'approval-signing-key',
    },
    storageConnectionString: azurite.connectionString,
    timers: false,
    logger: () => {},
  });
  sandbox.control.setSecret('approval-signing-key', signingKey.toString('base64'));
  setUpTeams(sandbox);
});

after(async () => {
  await host?.close();
  await Promise.allSettled([sandbox?.close(), azurite?.stop()]);
  content?.remove();
});

/** The document's route template for a concrete path: `/incidents/3309` → `/incidents/{id}`. */
function templateOf(path: string): string {
  const match = Object.keys(paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.replace(/\?.*$/, '')),
  );
  assert.ok(match, `no path in the document matches ${path}`);
  return match;
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; key?: boolean } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== false) headers['x-functions-key'] = host.functionKey;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${host.url}/api${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  // The approval page and its form answer HTML; everything else JSON.
  const html = /^text\/html/.test(contentType);
  const parsed = text && !html ? (JSON.parse(text) as unknown) : text || undefined;
  // Check the answer against what the document promises for this operation and status.
  const op = paths[templateOf(path)]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${path} is in the document`);
  let response = op.responses[String(res.status)];
  assert.ok(response, `${op.operationId}: status ${res.status} is documented (body: ${text.slice(0, 300)})`);
  if (response.$ref) response = sharedResponses[response.$ref.replace('#/components/responses/', '')];
  const schema = response?.content?.['application/json']?.schema;
  if (html) {
    assert.ok(response?.content?.['text/html'], `${op.operationId} ${res.status}: HTML is documented`);
    assert.match(text, /^<!doctype html>/);
    checked.add(`${op.operationId} ${res.status}`);
  } else if (schema?.$ref) {
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const validate = ajv.getSchema(`riposte${schema.$ref}`);
    assert.ok(validate, `schema ${schema.$ref} compiles`);
    assert.ok(
      validate(parsed),
      `${op.operationId} ${res.status} body does not match ${schema.$ref}: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`,
    );
    checked.add(`${op.operationId} ${res.status}`);
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

describe('the document covers the app', () => {
  it('lists every HTTP function the app registers, with its methods', () => {
    const registered = host
      .functions()
      .filter((f) => f.kind === 'http')
      .flatMap((f) => (f.methods ?? []).map((m) => `${m.toLowerCase()} /${f.route}`))
      .sort();
    const documented = Object.entries(paths)
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((k) => ['get', 'post', 'patch', 'put', 'delete'].includes(k))
          .map((m) => `${m} ${path}`),
      )
      .sort();
    assert.deepEqual(documented, registered);
  });
});

describe('real answers match the document', () => {
  it('health, deep health and incidents', async () => {
    assert.equal((await call('GET', '/health', { key: false })).status, 200);
    assert.equal((await call('GET', '/health/deep')).status, 200);
    const list = await call('GET', '/incidents?limit=3&status=active,inProgress');
    assert.equal(list.status, 200);
    const first = (list.body as { value: { id: string }[] }).value[0];
    assert.ok(first);
    assert.equal((await call('GET', `/incidents/${first.id}`)).status, 200);
    const patched = await call('PATCH', `/incidents/${first.id}`, { body: { tags: { add: ['openapi-check'] } } });
    assert.equal(patched.status, 200);
  });

  it('input errors, unknown incidents and media types answer with the error schema', async () => {
    const limit = await call('GET', '/incidents?limit=0');
    assert.equal(limit.status, 400);
    assert.equal((limit.body as { error: { field: string } }).error.field, 'limit');
    assert.equal((await call('GET', '/incidents/abc')).status, 400);
    assert.equal((await call('GET', '/incidents/999999999')).status, 404);
    const determination = await call('PATCH', '/incidents/3309', {
      body: { classification: 'falsePositive', determination: 'malware' },
    });
    assert.equal(determination.status, 400);
    const media = await call('PATCH', '/incidents/3309', {
      body: 'status=active',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(media.status, 415);
  });

  it('hunting: a named query, and an unknown one', async () => {
    const rows = await call('POST', '/hunting/device-triage-snapshot', {
      body: { params: { devices: ['ws-hr-007.contoso.local'], lookback: '7d' } },
    });
    assert.equal(rows.status, 200);
    assert.equal((await call('POST', '/hunting/no-such-query', { body: {} })).status, 404);
  });

  // Before the throttled run below: its 429 (Retry-After 120 s) pauses the tenant's shared quota for every call after it.
  it('asynchronous runs: 202 with Location, polled to the final report; unknown runs 404', async () => {
    const input = { incidentId: '3309', status: 'inProgress', comment: 'openapi async check' };
    const accepted = await call('POST', '/workflows/ticket-sync/run', {
      body: { input, dryRun: true },
      headers: { prefer: 'respond-async' },
    });
    assert.equal(accepted.status, 202);
    const location = accepted.headers.get('location') ?? '';
    assert.equal(location, (accepted.body as { statusUrl: string }).statusUrl);
    // Polled as the document says: the Location with its token, no function key.
    const url = new URL(location);
    const path = `${url.pathname.replace(/^\/api/, '')}${url.search}`;
    let polled = await call('GET', path, { key: false });
    for (let i = 0; polled.status === 202 && i < 300; i++) {
      await new Promise((r) => setTimeout(r, 100));
      polled = await call('GET', path, { key: false });
    }
    assert.equal(polled.status, 200);
    assert.equal((polled.body as { runId: string }).runId, (accepted.body as { runId: string }).runId);
    assert.equal((await call('GET', '/workflows/ticket-sync/runs/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await call('GET', url.pathname.replace(/^\/api/, ''))).status, 404, 'no token: 404, key or not');
  });

  it('workflow runs: succeeded (dry run), failed, throttled (202: continued in the background), and bad input', async () => {
    const input = { incidentId: '3309', status: 'inProgress', comment: 'openapi check' };
    const dry = await call('POST', '/workflows/ticket-sync/run', { body: { input, dryRun: true } });
    assert.equal(dry.status, 200);
    assert.equal((dry.body as { dryRun: boolean }).dryRun, true);
    const key = randomUUID();
    const failed = await call('POST', '/workflows/ticket-sync/run', {
      body: { input: { ...input, incidentId: '999999999' }, idempotencyKey: key },
    });
    assert.equal(failed.status, 404);
    const replayed = await call('POST', '/workflows/ticket-sync/run', {
      body: { input: { ...input, incidentId: '999999999' } },
      headers: { 'idempotency-key': `"${key}"` },
    });
    assert.deepEqual([replayed.status, replayed.headers.get('idempotent-replayed')], [404, 'true']);
    const reused = await call('POST', '/workflows/ticket-sync/run', { body: { input, idempotencyKey: key } });
    assert.equal(reused.status, 422);
    sandbox.control.injectFaults({ target: 'incidents', status: 429, retryAfterSeconds: 120 });
    try {
      const throttled = await call('POST', '/workflows/ticket-sync/run', {
        body: { input, idempotencyKey: randomUUID() },
      });
      // The quota will not be back within the HTTP deadline: the run goes on in the background.
      assert.equal(throttled.status, 202);
      assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    } finally {
      sandbox.control.clearFaults();
    }
    assert.equal((await call('POST', '/workflows/no-such-flow/run', { body: {} })).status, 404);
    assert.equal(
      (await call('POST', '/workflows/ticket-sync/run', { body: { input: { incidentId: 1 } } })).status,
      400,
    );
  });

  it('webhooks: accepted, duplicate, bad signature', async () => {
    const body = JSON.stringify({ id: `evt-${randomUUID()}`, incidentId: '3309', comment: 'from the generic sender' });
    const signed = signStandardWebhook({
      id: `msg_${randomUUID()}`,
      timestamp: Math.floor(Date.now() / 1000),
      body,
      secret: whsec,
    });
    assert.equal((await call('POST', '/webhooks/generic', { body, headers: signed })).status, 202);
    assert.equal((await call('POST', '/webhooks/generic', { body, headers: signed })).status, 200);
    const forged = { ...signed, 'webhook-signature': 'v1,AAAA' };
    const refused = await call('POST', '/webhooks/generic', { body, headers: forged });
    assert.equal(refused.status, 401);
    assert.equal((refused.body as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  });

  it('approvals: the page, the link decision and the decision API (success, 400, 403, 404, 409, 410)', async () => {
    const park = async (workflow: string, user: string): Promise<{ id: string; path: string }> => {
      const r = await call('POST', `/workflows/${workflow}/run`, { body: { input: { user, incidentId: '3309' } } });
      assert.equal(r.status, 202);
      const id = (r.body as { approvals: { id: string }[] }).approvals[0]?.id ?? '';
      const link = new URL(approvalLinks(sandbox).at(-1) ?? '', host.url);
      return { id, path: `${link.pathname.replace(/^\/api/, '')}${link.search}` };
    };
    const form = (fields: Record<string, string>, json = true) => ({
      key: false,
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(json ? { accept: 'application/json' } : {}) },
    });
    const a = await park('contain-user', users[0].upn);
    const token = new URLSearchParams(a.path.split('?')[1]).get('token') ?? '';
    assert.equal((await call('GET', a.path, { key: false })).status, 200);
    // A token signed with the app's key but for another expiry, and one for another approval: both refused.
    const otherExpiry = signApprovalToken(signingKey, a.id, new Date(Date.now() + 86_400_000).toISOString());
    assert.equal((await call('GET', `/approvals/${a.id}?token=${otherExpiry}`, { key: false })).status, 403);
    assert.equal((await call('GET', `/approvals/${'0'.repeat(32)}?token=${token}`, { key: false })).status, 403);
    assert.equal(
      (
        await call(
          'GET',
          `/approvals/${'0'.repeat(32)}?token=${signApprovalToken(signingKey, '0'.repeat(32), new Date(Date.now() + 60_000).toISOString())}`,
          { key: false },
        )
      ).status,
      404,
    );
    assert.equal((await call('POST', `/approvals/${a.id}/decision`, form({ token, decision: 'maybe' }))).status, 400);
    assert.equal(
      (await call('POST', `/approvals/${a.id}/decision`, form({ token: 'x', decision: 'reject' }))).status,
      403,
    );
    assert.equal(
      (
        await call(
          'POST',
          `/approvals/${'0'.repeat(32)}/decision`,
          form({
            token: signApprovalToken(signingKey, '0'.repeat(32), new Date(Date.now() + 60_000).toISOString()),
            decision: 'reject',
          }),
        )
      ).status,
      404,
    );
    const decided = await call(
      'POST',
      `/approvals/${a.id}/decision`,
      form({ token, decision: 'reject', approver: 'OpenAPI' }),
    );
    assert.equal(decided.status, 200);
    assert.equal((await call('POST', `/approvals/${a.id}/decision`, form({ token, decision: 'approve' }))).status, 409);
    assert.equal(
      (await call('POST', `/approvals/${a.id}/decision`, form({ token, decision: 'approve' }, false))).status,
      409,
    );
    assert.equal(
      (await call('POST', `/approvals/${a.id}/decide`, { body: { decision: 'approve', approver: 'x' } })).status,
      409,
    );
    assert.equal((await call('POST', `/approvals/${a.id}/decide`, { body: { decision: 'approve' } })).status, 400);
    assert.equal(
      (await call('POST', `/approvals/${a.id}/decide`, { body: { decision: 'approve', approver: 'x' }, key: false }))
        .status,
      401,
    );
    assert.equal(
      (await call('POST', `/approvals/${'0'.repeat(32)}/decide`, { body: { decision: 'approve', approver: 'x' } }))
        .status,
      404,
    );

    const b = await park('contain-user', users[1].upn);
    const approved = await call('POST', `/approvals/${b.id}/decide`, {
      body: { decision: 'approve', approver: 'OpenAPI' },
    });
    assert.equal(approved.status, 200);

    const c = await park('contain-user-quick', users[3].upn);
    const cToken = new URLSearchParams(c.path.split('?')[1]).get('token') ?? '';
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal((await call('GET', c.path, { key: false })).status, 410);
    assert.equal(
      (await call('POST', `/approvals/${c.id}/decision`, form({ token: cToken, decision: 'approve' }))).status,
      410,
    );
    assert.equal(
      (await call('POST', `/approvals/${c.id}/decide`, { body: { decision: 'approve', approver: 'x' } })).status,
      410,
    );
  });

  it('serves the document anonymously, naming its own host', async () => {
    const v3 = await call('GET', '/openapi.json', { key: false });
    assert.equal(v3.status, 200);
    const served = v3.body as JsonObject;
    assert.deepEqual(served.servers, [{ url: `${host.url}/api` }]);
    assert.deepEqual({ ...served, servers: doc.servers }, doc);
    const v2 = await call('GET', '/openapi.json?format=swagger2', { key: false });
    const swagger = v2.body as JsonObject;
    assert.equal(swagger.host, new URL(host.url).host);
    assert.deepEqual(swagger.schemes, ['http']);
    assert.deepEqual({ ...swagger, host: toSwagger2(doc).host, schemes: ['https'] }, toSwagger2(doc));
    assert.equal((await call('GET', '/openapi.json?format=yaml', { key: false })).status, 400);
  });

  it('checked at least one success and one error body of every operation', () => {
    for (const item of Object.values(paths)) {
      for (const op of Object.values(item)) {
        if (!op.operationId) continue;
        const statuses = [...checked]
          .filter((c) => c.startsWith(`${op.operationId} `))
          .map((c) => Number(c.split(' ')[1]));
        assert.ok(
          statuses.some((s) => s < 300),
          `${op.operationId}: a success was checked`,
        );
        if (!['GetHealth', 'GetDeepHealth'].includes(op.operationId))
          assert.ok(
            statuses.some((s) => s >= 400),
            `${op.operationId}: an error was checked`,
          );
      }
    }
  });
});
