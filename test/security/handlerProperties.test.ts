// Property-based tests (fast-check) through the real HTTP handlers: webhook payload parsing and mapping (every
// source, correctly signed so the body itself is what is tested), raw bytes, junk headers, and query parameter
// binding on the hunting endpoint. Whatever the input, the answer is a success or a clear 4xx with a JSON error
// naming a code: never a 5xx, a hang or a stack trace.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { loadQueryLibrary, type QueryDefinition } from '../../shared/queries';
import { GENERIC_FIELDS, signStandardWebhook } from '../../shared/webhooks';
import {
  appSettings,
  newWebhookSecrets,
  ROOT,
  signedJira,
  signedStandard,
  startBackends,
  startInProcessApp,
  type Backends,
  type HttpAnswer,
  type InProcessApp,
} from '../reliability/harness';

const RUNS = 80;
let b: Backends;
let app: InProcessApp;
const secrets = newWebhookSecrets();
let queries: QueryDefinition[] = [];

before(async () => {
  const library = await loadQueryLibrary(join(ROOT, 'queries'));
  queries = library.names().map((n) => library.get(n) as QueryDefinition);
  b = await startBackends();
  // Parsing and mapping are under test, not applying: the queue function stays off.
  app = await startInProcessApp(appSettings(b, secrets, { 'AzureWebJobs.applyTicketEvent.Disabled': 'true' }));
});

after(async () => {
  await app?.host.close();
  await Promise.all([b?.sandbox.close(), b?.azurite.stop()]);
});

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'test', 'webhooks', 'fixtures', name), 'utf8')) as Record<string, unknown>;

/** A success, or a 4xx in `allowed` with the JSON error shape; never anything else. */
function assertClear(r: HttpAnswer, allowed: number[], what: string): void {
  if (r.status === 200 || r.status === 202) return;
  assert.ok(allowed.includes(r.status), `${what}: unexpected ${r.status} ${r.text.slice(0, 300)}`);
  const err = (r.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  assert.equal(typeof err?.code, 'string', `${what}: error code in ${r.text.slice(0, 200)}`);
  assert.equal(typeof err?.message, 'string');
  assert.doesNotMatch(r.text, /\bat \S+ \(|node_modules|\.ts:\d+/, `${what}: no stack trace`);
}

/** JSON values with the characters that trip parsers: quotes, escapes, controls, surrogates, huge numbers. */
const nastyString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uD800',
    '"',
    '\\',
    '0',
    '-1',
    '1e400',
    'null',
    'resolved',
    'In Progress',
    '3309',
  ),
);
const jsonish: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('webhook payload parsing and mapping (signed deliveries)', () => {
  test('generic: any object over the documented keys (and strays) → 200/202 or a clear 400', async () => {
    const key = fc.oneof(fc.constantFrom(...GENERIC_FIELDS), nastyString);
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, jsonish, { maxKeys: 8 }), async (body) => {
        const d = signedStandard(body, secrets.generic);
        const r = await app.call('POST', '/api/webhooks/generic', { body: d.body, headers: d.headers });
        assertClear(r, [400], 'generic');
      }),
      { numRuns: RUNS },
    );
  });

  test('servicenow: the business-rule shape with any field replaced → 200/202 or a clear 400', async () => {
    const base = fixture('servicenow-incident-resolved.json');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.oneof(fc.constantFrom(...Object.keys(base)), nastyString), jsonish, { maxKeys: 5 }),
        async (changes) => {
          const d = signedStandard({ ...base, ...changes }, secrets.servicenow);
          const r = await app.call('POST', '/api/webhooks/servicenow', { body: d.body, headers: d.headers });
          assertClear(r, [400], 'servicenow');
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('jira: issue fields, changelog and event names replaced → 200/202, a clear 400, or 401 for a bad timestamp', async () => {
    const base = fixture('jira-issue-resolved.json') as {
      issue: { fields: Record<string, unknown> };
      changelog: unknown;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.oneof(fc.constantFrom(...Object.keys(base.issue.fields)), nastyString), jsonish, {
          maxKeys: 4,
        }),
        fc.option(jsonish),
        fc.option(
          fc.oneof(fc.constantFrom('jira:issue_updated', 'comment_created', 'jira:issue_created'), nastyString),
        ),
        fc.option(jsonish),
        async (fields, changelog, event, timestamp) => {
          const body = {
            ...base,
            timestamp: timestamp ?? Date.now(),
            ...(event !== null ? { webhookEvent: event } : {}),
            ...(changelog !== null ? { changelog } : {}),
            issue: { ...base.issue, fields: { ...base.issue.fields, ...fields } },
          };
          const d = signedJira(body, secrets.jira);
          const r = await app.call('POST', '/api/webhooks/jira', { body: d.body, headers: d.headers });
          // A timestamp out of range is an authentication failure (replay protection), the rest input errors.
          assertClear(r, timestamp === null ? [400] : [400, 401], 'jira');
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('any bytes as the body, correctly signed → 200/202 or a clear 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const raw = Buffer.from(bytes);
        const headers = {
          'content-type': 'application/json',
          ...signStandardWebhook({
            id: `msg_${bytes.length}`,
            timestamp: new Date(),
            body: raw,
            secret: secrets.generic,
          }),
        };
        const r = await app.call('POST', '/api/webhooks/generic', { body: raw, headers });
        assertClear(r, [400], 'bytes');
      }),
      { numRuns: RUNS },
    );
  });

  test('junk signature headers on any source → 401 (or 400 for a header the body check names), never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('generic', 'servicenow', 'jira'),
        fc.dictionary(
          fc.constantFrom('webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-hub-signature'),
          fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
        ),
        jsonish,
        async (source, headers, body) => {
          const r = await app.call('POST', `/api/webhooks/${source}`, {
            body: JSON.stringify(body) ?? 'null',
            headers: { 'content-type': 'application/json', ...headers },
          });
          assert.notEqual(r.status, 202, 'never accepted unsigned');
          assertClear(r, [400, 401], `junk headers (${source})`);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('query parameter binding (POST /api/hunting/{query})', () => {
  test('any params object for any shipped query → 200 or a clear 400 naming the parameter', async () => {
    const query = fc.constantFrom(...queries);
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.dictionary(
          fc.oneof(fc.constantFrom('lookback', 'deviceNames', 'accounts', 'recipients', 'senderAddress'), nastyString),
          jsonish,
          {
            maxKeys: 4,
          },
        ),
        fc.option(fc.oneof(nastyString, fc.constantFrom('P7D', 'PT1H', 'P1D/2025-01-01T00:00:00Z'))),
        async (def, extra, timespan) => {
          const params = {
            ...Object.fromEntries(def.params.filter((p) => p.example !== undefined).map((p) => [p.name, p.example])),
            ...extra,
          };
          const r = await app.call('POST', `/api/hunting/${def.name}`, {
            body: { params, ...(timespan !== null ? { timespan } : {}) },
          });
          assertClear(r, [400], def.name);
          if (r.status === 400) {
            const field = (r.json as { error: { field?: string } }).error.field ?? '';
            assert.match(field, /^(params|timespan)/, `${def.name}: the field is named (${field})`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
