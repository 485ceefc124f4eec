// Webhook deliveries over HTTP through the local host: ServiceNow, Jira and generic payloads shaped like the vendors'
// documented ones, signed as each vendor signs, queued in Azurite and applied to sandbox incidents by the queue
// trigger. Covers duplicates (applied once), authentication failures, replays, malformed, oversized and echo
// deliveries, and what the sender is told in each case.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { deliveryRowKey } from '../../shared/automation/deliveryLog';
import { signStandardWebhook } from '../../shared/webhooks';
import {
  errorOf,
  riposteCommentsOf,
  startHarness,
  storedIncident,
  waitFor,
  webhookFixture,
  type Harness,
  type Reply,
} from './harness';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

const fixture = webhookFixture;
const stored = (id: number) => storedIncident(h, id);
const riposteComments = (id: number): string[] => riposteCommentsOf(h, id);

/** Waits until the queue trigger has applied what was accepted, then until nothing is left to run. */
async function applied(id: number, comments: number): Promise<string[]> {
  await waitFor(`${comments} Riposte comment(s) on incident ${id}`, () => riposteComments(id).length >= comments);
  await h.host.drainQueues(20_000);
  return riposteComments(id);
}

const accepted = (r: Reply): { status: string; eventId: string; incidentId: string } => {
  assert.equal(r.status, 202, r.text);
  const body = r.json<{ status: string; eventId: string; incidentId: string }>();
  assert.equal(body.status, 'accepted');
  return body;
};

/** A ServiceNow business-rule delivery (the shape of the rule in mappings/README.md) for a sandbox incident. */
function serviceNowResolved(incidentId: string, modCount: number): Record<string, unknown> {
  const body = fixture('servicenow-incident-resolved.json');
  const now = new Date().toISOString().replace('T', ' ').slice(0, 19);
  return { ...body, correlation_id: incidentId, sys_mod_count: String(modCount), sys_updated_on: now };
}

/**
 * A Jira Cloud jira:issue_updated delivery: resolved with a Malware verdict, with the comment made alongside. The
 * issue id and changelog id make the logical event (equal ones are duplicates whatever the delivery id).
 */
function jiraResolved(
  incidentId: string,
  issue = { id: '10042', key: 'SEC-4242', changelog: '55501' },
): Record<string, unknown> {
  const body = fixture('jira-issue-resolved.json') as {
    issue: { key: string; fields: Record<string, unknown> };
    changelog: Record<string, unknown>;
    [k: string]: unknown;
  };
  return {
    ...body,
    timestamp: Date.now(),
    issue: {
      ...body.issue,
      id: issue.id,
      key: issue.key,
      fields: { ...body.issue.fields, customfield_10123: incidentId },
    },
    changelog: { ...body.changelog, id: issue.changelog },
    comment: {
      id: '30001',
      author: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Ana Analyst' },
      body: 'Malware removed; user re-imaged.',
      created: new Date().toISOString(),
      jsdPublic: false,
    },
  };
}

describe('webhook deliveries change sandbox incidents', () => {
  it('generic: 202, then the queue applies status, assignee and a marked comment', async () => {
    const r = await h.webhook('generic', {
      id: `evt-${randomUUID()}`,
      incidentId: 3311,
      status: 'In Progress',
      assignedTo: 'ana@contoso.com',
      comment: 'Picked up by the SOAR playbook.',
      ticketId: 'CHG-7',
      actor: 'soar',
    });
    const body = accepted(r);
    assert.equal(body.incidentId, '3311');
    const comments = await applied(3311, 1);
    assert.equal(comments.length, 1);
    assert.match(comments[0]!, /^\[CHG-7\] Picked up by the SOAR playbook\. — \[riposte:[0-9a-f]{8}\]$/);
    const s = stored(3311);
    assert.equal(s.status, 'inProgress');
    assert.equal(s.assignedTo, 'ana@contoso.com');
    assert.ok(s.customTags.includes('ticket:CHG-7'));
  });

  it('ServiceNow: a resolved incident record resolves the Defender incident with the mapped verdict', async () => {
    const assignee = stored(3310).assignedTo;
    const payload = serviceNowResolved('3310', 7);
    const r = await h.webhook('servicenow', payload, { id: `${String(payload.sys_id)}.7` });
    assert.equal(accepted(r).incidentId, '3310');
    const comments = await applied(3310, 1);
    assert.match(
      comments[0]!,
      /^\[INC0010001\] Caller confirmed travel to Lisbon\.\nNo further action\.\n\nResolution code: Resolved by caller\nResolution notes: User confirmed the sign-in was theirs \(travel\)\. — \[riposte:/,
    );
    const s = stored(3310);
    assert.deepEqual(
      [s.status, s.classification, s.determination],
      ['resolved', 'informationalExpectedActivity', 'confirmedActivity'],
    );
    // changed_fields says the assignee did not change in this update: Defender's assignee is left alone.
    assert.equal(s.assignedTo, assignee);
  });

  it('Jira: a resolved issue with a comment resolves the incident as true positive / malware', async () => {
    const r = await h.webhook('jira', jiraResolved('3312'));
    assert.equal(accepted(r).incidentId, '3312');
    const comments = await applied(3312, 1);
    assert.match(comments[0]!, /^\[SEC-4242\] Malware removed; user re-imaged\. — \[riposte:/);
    const s = stored(3312);
    assert.deepEqual([s.status, s.classification, s.determination], ['resolved', 'truePositive', 'malware']);
    assert.ok(s.customTags.includes('ticket:SEC-4242'));
  });
});

describe('duplicates are applied once', () => {
  it('a redelivery (same id, new timestamp and signature) answers 200 duplicate and adds nothing', async () => {
    const id = `msg_${randomUUID()}`;
    const payload = { id: 'evt-dup-1', incidentId: '3309', comment: 'Only once, please.', ticketId: 'CHG-8' };
    accepted(await h.webhook('generic', payload, { id }));
    await applied(3309, 1);
    const again = await h.webhook('generic', payload, { id, timestamp: Math.floor(Date.now() / 1000) + 1 });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json(), { status: 'duplicate', eventId: 'generic:evt-dup-1' });
    await h.host.drainQueues(10_000);
    assert.equal(riposteComments(3309).filter((c) => c.includes('Only once, please.')).length, 1);
  });

  it('concurrent copies of one Jira event (twins with different delivery ids) change the incident once', async () => {
    const payload = {
      ...jiraResolved('3309', { id: '10043', key: 'SEC-4343', changelog: '55601' }),
      comment: undefined,
    };
    const before = h.sandbox.control.counters().api.incidentsUpdate;
    const replies = await Promise.all([1, 2, 3].map(() => h.webhook('jira', payload)));
    for (const r of replies) assert.ok([200, 202].includes(r.status), r.text);
    assert.ok(replies.some((r) => r.status === 202));
    await waitFor('the incident resolved', () => stored(3309).status === 'resolved');
    await h.host.drainQueues(20_000);
    assert.equal(h.sandbox.control.counters().api.incidentsUpdate - before, 1, 'one PATCH');
    assert.deepEqual(
      stored(3309).customTags.filter((t) => t === 'ticket:SEC-4343'),
      ['ticket:SEC-4343'],
    );
  });

  it('a message queued twice (crash between enqueue and remember) is applied once', async () => {
    const event = {
      source: 'generic',
      deliveryId: 'msg_requeued',
      eventId: 'generic:evt-requeued',
      ticketId: 'CHG-9',
      incidentId: '3311',
      occurredAt: new Date().toISOString(),
      update: { comment: '[CHG-9] Queued twice.' },
      echo: false,
    };
    const q = new QueueClient(h.azurite.connectionString, h.queueName);
    const text = Buffer.from(
      JSON.stringify({ kind: 'ticketEvent', event, acceptedAt: new Date().toISOString() }),
    ).toString('base64');
    await Promise.all([q.sendMessage(text), q.sendMessage(text)]);
    await waitFor('the comment', () => riposteComments(3311).some((c) => c.includes('Queued twice.')));
    await h.host.drainQueues(20_000);
    assert.equal(riposteComments(3311).filter((c) => c.includes('Queued twice.')).length, 1);
  });
});

describe('another instance accepting the same event', () => {
  it('409 DELIVERY_IN_PROGRESS with Retry-After while its claim is fresh, 200 duplicate once it is queued', async () => {
    // The claim row another Function App instance writes before enqueueing (same table, same key).
    const table = TableClient.fromConnectionString(h.azurite.connectionString, 'RiposteDeliveries', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    const key = { partitionKey: 'generic', rowKey: deliveryRowKey('generic:evt-elsewhere') };
    await table.createEntity({
      ...key,
      state: 'claimed',
      claimedAt: new Date().toISOString(),
      claimToken: randomUUID(),
    });
    const payload = { id: 'evt-elsewhere', incidentId: '3312', comment: 'Claimed elsewhere.' };
    const busy = await h.webhook('generic', payload);
    assert.equal(busy.status, 409, busy.text);
    const retryAfter = Number(busy.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 5, `Retry-After ${retryAfter}`);
    const err = errorOf(busy);
    assert.equal(err.code, 'DELIVERY_IN_PROGRESS');
    assert.match(err.message, /generic:evt-elsewhere.*another instance/);
    assert.deepEqual(Object.keys(busy.json<{ error: object }>().error).sort(), ['code', 'invocationId', 'message']);
    const queued = (await h.peekQueue(h.queueName)) as Array<{ event?: { eventId?: string } }>;
    assert.ok(!queued.some((m) => m.event?.eventId === 'generic:evt-elsewhere'), 'nothing queued by the refused copy');

    // The other instance finishes: the sender's retry is a duplicate and the incident is untouched by this copy.
    await table.updateEntity({ ...key, state: 'queued' }, 'Merge');
    const again = await h.webhook('generic', payload);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json(), { status: 'duplicate', eventId: 'generic:evt-elsewhere' });
    assert.equal(riposteComments(3312).filter((c) => c.includes('Claimed elsewhere.')).length, 0);
  });
});

describe('refused deliveries', () => {
  const generic = { incidentId: '3309', comment: 'should never land' };
  const noChange = (): string => JSON.stringify(h.sandbox.control.incident(3309));

  async function refused(r: Reply, status: number, code: string): Promise<void> {
    assert.equal(r.status, status, r.text);
    assert.equal(errorOf(r).code, code);
  }

  it('401 for a missing, malformed, truncated or wrong signature (each source)', async () => {
    const before = noChange();
    await refused(
      await h.webhook('generic', generic, { headers: { 'webhook-signature': undefined } }),
      401,
      'UNAUTHENTICATED',
    );
    await refused(
      await h.webhook('generic', generic, { headers: { 'webhook-signature': 'v1' } }),
      401,
      'UNAUTHENTICATED',
    );
    const good = signStandardWebhook({
      id: 'msg_t',
      timestamp: Math.floor(Date.now() / 1000),
      body: JSON.stringify(generic),
      secret: h.secrets.generic,
    });
    const truncated = good['webhook-signature']!.slice(0, -6);
    await refused(
      await h.webhook('generic', generic, { id: 'msg_t', headers: { 'webhook-signature': truncated } }),
      401,
      'UNAUTHENTICATED',
    );
    await refused(
      await h.webhook('generic', generic, { secret: `whsec_${Buffer.from('not the secret').toString('base64')}` }),
      401,
      'UNAUTHENTICATED',
    );
    // Signed by the ServiceNow secret but sent to the generic endpoint.
    await refused(await h.webhook('generic', generic, { secret: h.secrets.servicenow }), 401, 'UNAUTHENTICATED');
    await refused(
      await h.webhook('servicenow', serviceNowResolved('3309', 1), { secret: h.secrets.generic }),
      401,
      'UNAUTHENTICATED',
    );
    await refused(await h.webhook('jira', jiraResolved('3309'), { secret: 'wrong' }), 401, 'UNAUTHENTICATED');
    await refused(
      await h.webhook('jira', jiraResolved('3309'), { headers: { 'x-hub-signature': undefined } }),
      401,
      'UNAUTHENTICATED',
    );
    await refused(
      await h.webhook('jira', jiraResolved('3309'), { headers: { 'x-hub-signature': 'sha256=abc' } }),
      401,
      'UNAUTHENTICATED',
    );
    assert.equal(noChange(), before);
  });

  it('401 for a body changed after signing', async () => {
    const headers = signStandardWebhook({
      id: 'msg_tamper',
      timestamp: Math.floor(Date.now() / 1000),
      body: JSON.stringify({ incidentId: '3309', comment: 'harmless' }),
      secret: h.secrets.generic,
    });
    const r = await h.call('POST', '/api/webhooks/generic', {
      body: JSON.stringify({ incidentId: '3309', status: 'resolved' }),
      headers: { 'content-type': 'application/json', ...headers },
    });
    await refused(r, 401, 'UNAUTHENTICATED');
  });

  it('401 for a replay outside the tolerance (old or future timestamp), Jira events over an hour old', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await h.webhook('generic', generic, { timestamp: now - 301 - 5 }), 401, 'UNAUTHENTICATED');
    await refused(await h.webhook('generic', generic, { timestamp: now + 400 }), 401, 'UNAUTHENTICATED');
    const staleJira = { ...jiraResolved('3309'), timestamp: Date.now() - 2 * 3_600_000 };
    await refused(await h.webhook('jira', staleJira), 401, 'UNAUTHENTICATED');
    assert.equal(stored(3309).comments.filter((c) => c.comment.includes('should never land')).length, 0);
  });

  it('404 naming the source for an unknown source, 401 without the function key', async () => {
    const control = { incidentId: '3312', comment: 'control delivery' };
    const r = await h.webhook('generic', control);
    assert.equal(r.status, 202, 'control: the same delivery is fine on a known source');
    const unknown = await h.call('POST', '/api/webhooks/github', {
      body: JSON.stringify(control),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(unknown.status, 404, unknown.text);
    assert.deepEqual([errorOf(unknown).code, errorOf(unknown).field], ['NOT_FOUND', 'source']);
    assert.match(errorOf(unknown).message, /servicenow, jira, generic/);
    const anonymous = await h.call('POST', '/api/webhooks/generic', { body: generic, key: false });
    assert.equal(anonymous.status, 401);
    await h.host.drainQueues(20_000);
  });

  it('400 naming the body for malformed JSON and for a correctly signed body with a bad field', async () => {
    const malformed = await h.webhook('generic', '{"incidentId": 3309, "comment": ');
    await refused(malformed, 400, 'INPUT_INVALID');
    assert.equal(errorOf(malformed).field, 'body');
    const jiraMalformed = await h.webhook('jira', '{"timestamp": ');
    await refused(jiraMalformed, 400, 'INPUT_INVALID');

    const badStatus = await h.webhook('generic', { incidentId: '3309', status: 'escalated' });
    await refused(badStatus, 400, 'INPUT_INVALID');
    assert.equal(errorOf(badStatus).field, 'body.status');
    const typo = await h.webhook('generic', { incidentId: '3309', assignee: 'ana@contoso.com' });
    assert.equal(errorOf(typo).field, 'body.assignee');
    const noIncident = await h.webhook('generic', { status: 'resolved' });
    assert.equal(errorOf(noIncident).field, 'body.incidentId');
  });

  it('413 for a body over WEBHOOK_MAX_BODY_BYTES (1 MB), before verifying or parsing it', async () => {
    const big = { incidentId: '3309', comment: 'x'.repeat(1024 * 1024 + 10) };
    const r = await h.webhook('generic', big);
    await refused(r, 413, 'PAYLOAD_TOO_LARGE');
    assert.equal(errorOf(r).field, 'body');
  });

  it('200 ignored for an echo of Riposte’s own change and for a delivery with nothing to apply', async () => {
    const before = noChange();
    const echo = await h.webhook('generic', {
      incidentId: '3309',
      comment: 'Resolved because ticket INC1 was closed — [riposte:0a1b2c3d]',
    });
    assert.equal(echo.status, 200, echo.text);
    assert.equal(echo.json<{ status: string; reason: string }>().status, 'ignored');
    assert.match(echo.json<{ reason: string }>().reason, /echo/);
    const byActor = await h.webhook('generic', { incidentId: '3309', comment: 'from our bot', actor: 'riposte' });
    assert.equal(byActor.json<{ status: string }>().status, 'ignored');
    const snEcho = await h.webhook('servicenow', { ...serviceNowResolved('3309', 99), sys_updated_by: 'svc-riposte' });
    assert.equal(snEcho.status, 200);
    assert.equal(snEcho.json<{ status: string }>().status, 'ignored');
    const nothing = await h.webhook('generic', { incidentId: '3309', ticketId: 'CHG-1' });
    assert.equal(nothing.status, 200);
    assert.equal(nothing.json<{ status: string }>().status, 'ignored');
    await h.host.drainQueues(10_000);
    assert.equal(noChange(), before);
    assert.deepEqual(await h.peekQueue(`${h.queueName}-poison`), []);
  });
});
