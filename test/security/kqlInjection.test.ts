// KQL injection corpus (test/queries/injectionCorpus.ts) through every path that binds user input into a hunting
// query, end to end over HTTP: the hunting endpoint, a workflow's hunt step fed from the workflow run's input, and a
// hunt fed from a webhook field (the ticket-event path with a hunting ticket workflow). The query text the sandbox
// received is checked with Microsoft's Kusto parser: it parses cleanly, has one `let` per parameter and nothing more,
// ends with the library body byte for byte, and the bound literal decodes to exactly the input. Payloads refused by
// policy (NUL, lone surrogates) or by the parameter's limits never reach the API and get a clear refusal instead.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadQueryLibrary, type QueryDefinition } from '../../shared/queries';
import { parseKql } from '../helpers/kqlParser';
import { injectionCorpus, type InjectionPayload } from '../queries/injectionCorpus';
import {
  appSettings,
  newWebhookSecrets,
  peekQueue,
  ROOT,
  Scratch,
  signedStandard,
  startBackends,
  startInProcessApp,
  type Backends,
  type InProcessApp,
} from '../reliability/harness';

const SENDER = 'alerts@contoso.com';
const QUEUE = 'riposte-ticket-events';

/** A workflow run over HTTP whose hunt takes the caller's input. */
const HUNT_BY_INPUT = `name: hunt-by-input
description: Hunts mail to the recipients the caller names (injection test).
triggers:
  http: true
input:
  recipients:
    type: array
    required: true
steps:
  - id: hunt
    kind: hunt
    input:
      query: emails-from-sender
      params:
        senderAddress: ${SENDER}
        recipients: \${ $input.recipients }
`;

/** The ticket workflow (TICKET_SYNC_WORKFLOW) with a hunt fed from the delivery's comment field. */
const TICKET_HUNT = `name: ticket-hunt
description: Hunts mail to the address a ticket comment names (injection test).
triggers:
  http: true
  webhook:
    sources: [generic]
input:
  incidentId: { type: string, required: true }
  ticketId: { type: string }
  status: { type: string }
  assignedTo: { type: string }
  classification: { type: string }
  determination: { type: string }
  comment: { type: string }
steps:
  - id: hunt
    kind: hunt
    input:
      query: emails-from-sender
      params:
        senderAddress: ${SENDER}
        recipients: \${ [$input.comment] }
`;

let b: Backends;
let app: InProcessApp;
const scratch = new Scratch();
const secrets = newWebhookSecrets();
const defs = new Map<string, QueryDefinition>();

before(async () => {
  const library = await loadQueryLibrary(join(ROOT, 'queries'));
  for (const name of ['emails-from-sender', 'mailbox-forwarding-by-accounts'])
    defs.set(name, library.get(name) as QueryDefinition);
  b = await startBackends();
  const content = scratch.content({
    extraWorkflows: { 'hunt-by-input.yaml': HUNT_BY_INPUT, 'ticket-hunt.yaml': TICKET_HUNT },
  });
  app = await startInProcessApp(
    appSettings(b, secrets, {
      CONTENT_DIR: content,
      TICKET_SYNC_WORKFLOW: 'ticket-hunt',
      QUEUE_MAX_DEQUEUE_COUNT: '2',
    }),
    {
      hostJsonPath: scratch.hostJson({
        maxDequeueCount: 2,
        visibilityTimeout: '00:00:00.200',
        maxPollingInterval: '00:00:00.300',
      }),
    },
  );
});

after(async () => {
  await app?.host.close();
  await Promise.all([b?.sandbox.close(), b?.azurite.stop()]);
  scratch.cleanup();
});

/** Both string-list parameters used here allow 320 characters per item: longer payloads are refused as input. */
const refusedByLimits = (value: string): boolean => value.length > 320;
const refused = (p: InjectionPayload, value: string): boolean => p.rejected === true || refusedByLimits(value);

/** Checks one query text the sandbox received; returns its decoded `let` values by name. */
function checkBound(text: string, def: QueryDefinition): Map<string, unknown> {
  const parsed = parseKql(text);
  assert.deepEqual(parsed.diagnostics, [], 'the received query parses cleanly');
  const bodyStatements = parseKql(def.body).statementCount;
  assert.equal(parsed.statementCount, def.params.length + bodyStatements, 'no injected statement');
  assert.ok(text.endsWith(def.body), 'the body after the let block is unchanged');
  const lets = parsed.lets.slice(0, def.params.length);
  assert.deepEqual(
    lets.map((l) => l.name),
    def.params.map((p) => p.name),
    'exactly one let per parameter, in order',
  );
  return new Map(lets.map((l) => [l.name, l.value]));
}

const received = () => b.sandbox.control.huntingQueries();

test('the corpus has at least 50 payloads', () => {
  assert.ok(injectionCorpus.length >= 50, `${injectionCorpus.length} payloads`);
});

describe('HTTP hunting endpoint: POST /api/hunting/{query}', () => {
  for (const name of ['emails-from-sender', 'mailbox-forwarding-by-accounts'] as const) {
    test(`${name}: every payload is bound as a literal or refused with 400`, async () => {
      const def = defs.get(name) as QueryDefinition;
      const listParam = name === 'emails-from-sender' ? 'recipients' : 'accounts';
      let bound = 0;
      for (const p of injectionCorpus) {
        const before = received().length;
        const params =
          name === 'emails-from-sender'
            ? { senderAddress: SENDER, recipients: [p.payload, 'benign@contoso.com'] }
            : { accounts: [p.payload] };
        const r = await app.call('POST', `/api/hunting/${name}`, { body: { params } });
        if (refused(p, p.payload)) {
          assert.equal(r.status, 400, `${p.name}: ${r.text.slice(0, 200)}`);
          const err = (r.json as { error: { code: string; field?: string } }).error;
          assert.equal(err.code, 'INPUT_INVALID', p.name);
          assert.match(err.field ?? '', new RegExp(`^params\\.${listParam}`), p.name);
          assert.equal(received().length, before, `${p.name}: nothing reached the API`);
          continue;
        }
        assert.equal(r.status, 200, `${p.name}: ${r.text.slice(0, 300)}`);
        const sent = received().slice(before);
        assert.equal(sent.length, 1, p.name);
        const values = checkBound(sent[0]?.query ?? '', def);
        assert.deepEqual(
          values.get(listParam),
          params[listParam as keyof typeof params],
          `${p.name}: decodes to the input`,
        );
        bound++;
      }
      assert.ok(bound >= 50, `${bound} payloads bound`);
    });
  }
});

describe('workflow hunt step fed from the run input: POST /api/workflows/{name}/run', () => {
  test('every payload is bound as a literal, or the run fails as INPUT_INVALID before reaching the API', async () => {
    const def = defs.get('emails-from-sender') as QueryDefinition;
    for (const p of injectionCorpus) {
      const before = received().length;
      const r = await app.call('POST', '/api/workflows/hunt-by-input/run', {
        body: { input: { recipients: [p.payload] } },
      });
      const report = r.json as { status: string; steps: { id: string; error?: { code: string } }[] };
      if (refused(p, p.payload)) {
        assert.notEqual(r.status, 200, p.name);
        assert.equal(report.status, 'failed', p.name);
        assert.equal(report.steps.find((s) => s.id === 'hunt')?.error?.code, 'INPUT_INVALID', p.name);
        assert.equal(received().length, before, `${p.name}: nothing reached the API`);
        continue;
      }
      assert.equal(r.status, 200, `${p.name}: ${r.text.slice(0, 300)}`);
      assert.equal(report.status, 'succeeded', p.name);
      const sent = received().slice(before);
      assert.equal(sent.length, 1, p.name);
      assert.deepEqual(checkBound(sent[0]?.query ?? '', def).get('recipients'), [p.payload], p.name);
    }
  });
});

describe('hunt fed from a webhook field (ticket-event queue → ticket workflow)', () => {
  test('every delivered comment is bound as a literal exactly once, or poisoned as invalid input', async () => {
    const def = defs.get('emails-from-sender') as QueryDefinition;
    const before = received().length;
    const incidentId = String(b.sandbox.control.incidents()[0]?.id);
    // The generic parser trims text fields; an empty comment sets nothing and is ignored.
    const expected = injectionCorpus.map((p) => ({ p, value: p.payload.trim() }));
    for (const [i, { p, value }] of expected.entries()) {
      const d = signedStandard({ id: `inj-${i}`, incidentId, comment: p.payload }, secrets.generic, { id: `inj-${i}` });
      const r = await app.call('POST', '/api/webhooks/generic', { body: d.body, headers: d.headers });
      const status = value === '' ? 200 : 202;
      assert.equal(r.status, status, `${p.name}: ${r.text.slice(0, 200)}`);
    }
    await app.host.drainQueues(60_000);

    const queries = received().slice(before);
    const decoded = queries.map((q) => checkBound(q.query, def).get('recipients'));
    const applied = expected.filter(({ p, value }) => value !== '' && !refused(p, value));
    for (const { p, value } of applied) {
      // Trimming makes a few payloads equal ("\r\n| take 1" and "| take 1"): one query per delivery.
      const same = applied.filter((a) => a.value === value).length;
      const hits = decoded.filter((v) => JSON.stringify(v) === JSON.stringify([value])).length;
      assert.equal(hits, same, `${p.name}: bound once per delivery`);
    }
    assert.equal(queries.length, applied.length, 'no other query was sent');

    const poisoned = (await peekQueue(b.azurite.connectionString, `${QUEUE}-poison`)) as Array<{
      message?: { event?: { eventId?: string } };
      reason?: string;
    }>;
    const refusedIds = expected
      .map(({ p, value }, i) => (value !== '' && refused(p, value) ? `generic:inj-${i}` : undefined))
      .filter((x): x is string => x !== undefined);
    assert.deepEqual(poisoned.map((m) => m.message?.event?.eventId).sort(), refusedIds.sort());
    for (const m of poisoned) assert.match(m.reason ?? '', /INPUT_INVALID|params\.recipients/);
  });
});
