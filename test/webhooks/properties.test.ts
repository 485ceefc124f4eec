// Property-based tests: whatever arrives, the adapters answer with an event, an "ignored" reason, or a clear
// 4xx error (WebhookAuthError → 401, InputError → 400). Nothing else may escape, and every event is valid.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CLASSIFICATIONS, DETERMINATIONS } from '../../shared/defender/types';
import { InputError } from '../../shared/errors';
import {
  parseDelivery,
  signJira,
  signStandardWebhook,
  verifyDelivery,
  WebhookAuthError,
  type RawDelivery,
  type SourceMapping,
  type TicketEvent,
  type WebhookSource,
} from '../../shared/webhooks';
import { DETERMINATIONS_BY_CLASSIFICATION } from '../../shared/webhooks/enumValues';
import { defaultSecrets, fixtureJson, NOW, NOW_S, SECRETS, shippedMappings } from './helpers';

const RUNS = { numRuns: 300 };
const SOURCES: WebhookSource[] = ['jira', 'servicenow', 'generic'];

function isClear4xx(e: unknown): boolean {
  return e instanceof WebhookAuthError || e instanceof InputError;
}

function assertValidEvent(e: TicketEvent, d: RawDelivery): void {
  assert.equal(e.source, d.source);
  assert.match(e.incidentId, /^[1-9]\d{0,18}$/);
  assert.ok(e.deliveryId.length > 0 && e.eventId.length > 0);
  assert.equal(new Date(e.occurredAt).toISOString(), e.occurredAt);
  assert.equal(typeof e.echo, 'boolean');
  const u = e.update;
  assert.ok(Object.keys(u).length > 0);
  if (u.status !== undefined) assert.ok(['active', 'inProgress', 'resolved'].includes(u.status));
  if (u.classification !== undefined) assert.ok((CLASSIFICATIONS as readonly string[]).includes(u.classification));
  if (u.determination !== undefined) {
    assert.ok((DETERMINATIONS as readonly string[]).includes(u.determination));
    assert.ok(u.classification && DETERMINATIONS_BY_CLASSIFICATION[u.classification].includes(u.determination));
  }
  if (u.assignedTo !== undefined) assert.equal(typeof u.assignedTo, 'string');
  if (u.comment !== undefined && e.ticketId !== '') assert.ok(u.comment.startsWith(`[${e.ticketId}] `));
}

/** Parse must give an event, ignored, or InputError. */
function parseOutcome(d: RawDelivery, m: SourceMapping): 'event' | 'ignored' | 'input' {
  try {
    const r = parseDelivery(d, m);
    if ('ignored' in r) {
      assert.equal(typeof r.ignored, 'string');
      assert.ok(r.ignored.length > 0);
      return 'ignored';
    }
    assertValidEvent(r, d);
    return 'event';
  } catch (e) {
    if (e instanceof InputError) {
      assert.ok(e.field.length > 0);
      return 'input';
    }
    throw e;
  }
}

const headerValue = fc.oneof(
  fc.string(),
  fc.constant(undefined),
  fc.stringMatching(/^sha256=[0-9a-fA-F]{0,70}$/),
  fc.stringMatching(/^v1,[A-Za-z0-9+/=]{0,60}( v1,[A-Za-z0-9+/=]{0,60})?$/),
  fc.integer({ min: NOW_S - 1000, max: NOW_S + 1000 }).map(String),
);
const headers = fc.dictionary(
  fc.constantFrom(
    'x-hub-signature',
    'x-atlassian-webhook-identifier',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'Webhook-Signature',
    'content-type',
  ),
  headerValue,
);
const bodyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.string().map((s) => Buffer.from(s)),
);

// Values placed at the fields the mappings read, to get past the first checks into the mapping code.
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('1234', 1234, '0', '', null, 'done', 'new', '6', '3', '8', 'False positive', 'Malware'),
  fc.constantFrom({ value: '6' }, { value: '1234' }, { key: 'done' }, ['defender-12', 'defender-13'], ['defender-7']),
  fc.string(),
);
const adf = fc.letrec((tie) => ({
  node: fc.record(
    {
      type: fc.constantFrom('doc', 'paragraph', 'text', 'hardBreak', 'mention', 'bulletList', 'listItem', 'x'),
      text: fc.string(),
      attrs: fc.record({ text: fc.string() }, { requiredKeys: [] }),
      content: fc.array(tie('node'), { maxLength: 3 }),
    },
    { requiredKeys: ['type'] },
  ),
})).node;

/** Mostly a valid value, sometimes junk, sometimes absent (JSON.stringify drops undefined). */
const maybe = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 1, arbitrary: junk },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
const text = (...values: string[]): fc.Arbitrary<string> => fc.constantFrom(...values);

const jiraBody = fc.record({
  timestamp: maybe(fc.integer({ min: NOW.getTime() - 3_000_000, max: NOW.getTime() })),
  webhookEvent: maybe(
    text('jira:issue_created', 'jira:issue_updated', 'jira:issue_updated', 'comment_created', 'jira:issue_deleted'),
  ),
  user: maybe(fc.record({ accountId: maybe(fc.string({ minLength: 1 })) })),
  issue: maybe(
    fc.record({
      id: maybe(text('10042', '7')),
      key: maybe(text('SEC-42', 'OPS-1')),
      fields: maybe(
        fc.record({
          customfield_10123: maybe(fc.oneof(text('1234', '99', ''), fc.nat(), fc.constant(null))),
          customfield_10124: maybe(fc.record({ value: text('Malware', 'Clean', 'Phishing', 'nope') })),
          labels: maybe(fc.array(text('defender-5', 'x', 'defender-6'), { maxLength: 3 })),
          summary: maybe(fc.oneof(fc.string(), text('Defender incident 77: x'))),
          status: maybe(
            fc.record({ statusCategory: fc.record({ key: maybe(text('new', 'indeterminate', 'done', 'undefined')) }) }),
          ),
          assignee: maybe(
            fc.oneof(
              fc.constant(null),
              fc.record({ emailAddress: maybe(text('a@b.io', '')), accountId: maybe(text('acc-1')) }),
            ),
          ),
          resolution: maybe(
            fc.oneof(fc.constant(null), fc.record({ name: maybe(text('False Positive', "Won't Do", 'Done')) })),
          ),
        }),
      ),
    }),
  ),
  changelog: maybe(
    fc.record({
      id: maybe(text('55501')),
      items: maybe(
        fc.array(
          fc.record({
            field: text('status', 'assignee', 'resolution', 'summary', 'Defender determination'),
            fieldId: maybe(text('status', 'assignee', 'customfield_10124')),
          }),
          { maxLength: 4 },
        ),
      ),
    }),
  ),
  comment: maybe(
    fc.record({
      id: maybe(text('20077', '1')),
      body: maybe(fc.oneof(fc.string(), adf, text('see [riposte:1:c1]'))),
      jsdPublic: maybe(fc.boolean()),
      author: maybe(fc.record({ accountId: text('acc-1') })),
    }),
  ),
});

const serviceNowBody = fc.record({
  sys_id: maybe(text('9d385017c611228701d22104cc95c371')),
  sys_mod_count: maybe(fc.nat().map(String)),
  sys_class_name: maybe(text('incident', 'sn_si_incident', 'change_request')),
  number: maybe(text('INC0010001', 'SIR0010005')),
  sys_updated_on: maybe(fc.oneof(text('2024-11-25 14:01:40', '2024-11-25T14:01:40Z'), fc.string())),
  sys_updated_by: maybe(text('ana.analyst', 'svc-riposte')),
  state: maybe(fc.oneof(text('1', '2', '3', '6', '7', '8', '16', '100', '42'), fc.record({ value: text('6', '2') }))),
  close_code: maybe(text('False positive', 'Resolved by caller', 'Threat mitigated', 'Solution provided', '')),
  assigned_to: maybe(
    fc.oneof(fc.constant(''), fc.record({ email: maybe(text('ana@contoso.com', '')), user_name: maybe(text('ana')) })),
  ),
  'assigned_to.email': maybe(text('bo@contoso.com')),
  correlation_id: maybe(fc.oneof(text('1234', '', 'INC1'), fc.nat())),
  correlation_display: maybe(text('Microsoft Defender XDR', 'Microsoft 365 Defender', 'Splunk')),
  work_notes: maybe(fc.oneof(fc.string(), text('2024-11-25 14:01:40 - Ana (Work notes)\nnote', ''))),
  comments: maybe(fc.string()),
  changed_fields: maybe(
    fc.oneof(
      fc.array(text('state', 'assigned_to', 'close_code', 'work_notes', 'comments')),
      text('state,work_notes', ''),
    ),
  ),
});

const genericBody = fc.record({
  id: maybe(fc.string({ minLength: 1, maxLength: 20 })),
  incidentId: maybe(fc.oneof(text('1234', '0', 'x'), fc.nat())),
  status: maybe(text('Resolved', 'in progress', 'closed', 'redirected', 'ACTIVE')),
  assignedTo: maybe(text('ana@contoso.com', '')),
  classification: maybe(text('TruePositive', 'false_positive', 'informational expected activity', 'unknown')),
  determination: maybe(text('Malware', 'clean', 'other', 'NoEnoughDataToValidate', 'securityTesting')),
  comment: maybe(fc.string()),
  ticketId: maybe(text('CHG-7', '')),
  occurredAt: maybe(fc.oneof(text('2024-11-25T14:00:00Z', '2024-11-25 14:00:00'), fc.string())),
  actor: maybe(text('soar', 'riposte')),
});

function signed(source: WebhookSource, body: Buffer): RawDelivery {
  const h =
    source === 'jira'
      ? { ...signJira(body, SECRETS.jira), 'x-atlassian-webhook-identifier': 'prop-1' }
      : signStandardWebhook({ id: 'prop_1', timestamp: NOW_S, body, secret: SECRETS[source] });
  return { source, headers: h, body, receivedAt: NOW };
}

describe('webhook properties', () => {
  it('verifyDelivery: arbitrary sources, headers and bodies only ever give WebhookAuthError or InputError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...SOURCES), fc.string()),
        headers,
        bodyBytes,
        async (source, h, body) => {
          try {
            await verifyDelivery({ source, headers: h, body, receivedAt: NOW }, defaultSecrets(), { now: NOW });
          } catch (e) {
            assert.ok(isClear4xx(e), `unexpected ${String(e)}`);
          }
        },
      ),
      RUNS,
    );
  });

  it('a correctly signed arbitrary body verifies (or is a clear 4xx) and then parses to event, ignored or InputError', async () => {
    const mappings = await shippedMappings();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SOURCES), bodyBytes, async (source, body) => {
        const d = signed(source, body);
        try {
          await verifyDelivery(d, defaultSecrets(), { now: NOW });
        } catch (e) {
          // Jira reads the payload timestamp: garbage bodies are InputErrors, wrong times are stale.
          assert.ok(source === 'jira' && isClear4xx(e), `unexpected ${String(e)}`);
        }
        const m = mappings.get(source);
        assert.ok(m);
        parseOutcome(d, m);
      }),
      RUNS,
    );
  });

  it('any change to a signed body, or any cut of its signature, fails verification', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<WebhookSource>('servicenow', 'generic'),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 4, max: 46 }),
        async (source, bytes, at, xor, cut) => {
          const d = signed(source, Buffer.from(bytes));
          await verifyDelivery(d, defaultSecrets(), { now: NOW });
          const tampered = Buffer.from(bytes);
          const i = at % tampered.length;
          tampered[i] = (tampered[i] ?? 0) ^ xor;
          await assert.rejects(
            verifyDelivery({ ...d, body: tampered }, defaultSecrets(), { now: NOW }),
            (e: unknown) => {
              assert.ok(e instanceof WebhookAuthError && e.reason === 'bad-signature');
              return true;
            },
          );
          const sig = d.headers['webhook-signature'] ?? '';
          const truncated = { ...d, headers: { ...d.headers, 'webhook-signature': sig.slice(0, cut) } };
          await assert.rejects(verifyDelivery(truncated, defaultSecrets(), { now: NOW }), (e: unknown) => {
            assert.ok(e instanceof WebhookAuthError && ['malformed-signature', 'bad-signature'].includes(e.reason));
            return true;
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('parseDelivery: arbitrary JSON objects give an event, ignored or InputError for every source', async () => {
    const mappings = await shippedMappings();
    await fc.assert(
      fc.property(fc.constantFrom(...SOURCES), fc.object(), (source, obj) => {
        const m = mappings.get(source);
        assert.ok(m);
        parseOutcome(signed(source, Buffer.from(JSON.stringify(obj))), m);
      }),
      RUNS,
    );
  });

  it('parseDelivery: vendor-shaped payloads with junk in the mapped fields never crash, and events are valid', async () => {
    const mappings = await shippedMappings();
    const cases: [WebhookSource, fc.Arbitrary<Record<string, unknown>>][] = [
      ['jira', jiraBody],
      ['servicenow', serviceNowBody],
      ['generic', genericBody],
    ];
    for (const [source, arb] of cases) {
      const m = mappings.get(source);
      assert.ok(m);
      const seen = { event: 0, ignored: 0, input: 0 };
      fc.assert(
        fc.property(arb, (body) => {
          seen[parseOutcome(signed(source, Buffer.from(JSON.stringify(body))), m)] += 1;
        }),
        { numRuns: 400 },
      );
      // The generator reaches both events and errors, so the property says something about the mapping code.
      assert.ok(seen.event > 0 && seen.input > 0, `${source}: ${JSON.stringify(seen)}`);
    }
  });

  it('parseDelivery: fixtures with one field replaced by junk never crash', async () => {
    const mappings = await shippedMappings();
    const fixtures: [WebhookSource, string][] = [
      ['jira', 'jira-issue-resolved.json'],
      ['jira', 'jira-issue-commented.json'],
      ['servicenow', 'servicenow-incident-resolved.json'],
      ['servicenow', 'servicenow-sir-closed.json'],
      ['generic', 'generic-update.json'],
    ];
    for (const [source, name] of fixtures) {
      const base = fixtureJson(name);
      const m = mappings.get(source);
      assert.ok(m);
      const paths = leafPaths(base);
      fc.assert(
        fc.property(fc.constantFrom(...paths), junk, (path, value) => {
          const body = structuredClone(base);
          setPath(body, path, value);
          parseOutcome(signed(source, Buffer.from(JSON.stringify(body))), m);
        }),
        { numRuns: 200 },
      );
    }
  });
});

function leafPaths(v: unknown, prefix: string[] = []): string[][] {
  if (typeof v !== 'object' || v === null) return [prefix];
  const out: string[][] = prefix.length > 0 ? [prefix] : [];
  for (const [k, child] of Object.entries(v)) out.push(...leafPaths(child, [...prefix, k]));
  return out;
}

function setPath(root: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> = root;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}
