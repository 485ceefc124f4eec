// Webhooks when things break, over HTTP through the local host: a Defender outage while queued deliveries are being
// applied (every accepted delivery lands exactly once after recovery, none lost), deliveries that can never be
// applied (poison queue, with the reason), and storage going away (503 + Retry-After, never 202).
// Queue retries do the recovering here: BACKGROUND_MAX_RETRIES=0 makes each attempt fail fast, host.json gives 4 attempts
// 1 s apart.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { odata, TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import {
  errorOf,
  riposteCommentsOf,
  startHarness,
  storedIncident,
  waitFor,
  webhookFixture,
  type Harness,
} from './harness';

const ATTEMPTS = 4;
let h: Harness;

before(async () => {
  h = await startHarness({ maxDequeueCount: ATTEMPTS, settings: { BACKGROUND_MAX_RETRIES: '0' } });
});

after(async () => {
  await h?.close();
});

const fixture = webhookFixture;
const stored = (id: number) => storedIncident(h, id);
const riposteComments = (id: number): string[] => riposteCommentsOf(h, id);
/** Host log lines of queue attempts that failed (the function threw so the queue retries). */
const failedAttempts = (): number => h.logs.filter((l) => /ticket event not applied yet/.test(l)).length;

interface PoisonEntry {
  message: { event?: { incidentId?: string } } | unknown;
  reason: string;
  attempts: number;
}

const serviceNow = (incidentId: string, state: string, note: string): Record<string, unknown> => ({
  ...fixture('servicenow-incident-resolved.json'),
  sys_id: randomUUID().replace(/-/g, ''),
  correlation_id: incidentId,
  state,
  close_code: '',
  sys_updated_on: new Date().toISOString().replace('T', ' ').slice(0, 19),
  work_notes: `2024-11-25 14:01:40 - Ana Analyst (Work notes)\n${note}\n\n`,
  changed_fields: ['state', 'work_notes'],
});

const jiraComment = (incidentId: string, issueId: string, commentId: string, text: string): Record<string, unknown> => {
  const body = fixture('jira-issue-commented.json') as {
    issue: { fields: Record<string, unknown> };
    comment: Record<string, unknown>;
  };
  return {
    ...body,
    timestamp: Date.now(),
    issue: {
      ...body.issue,
      id: issueId,
      key: `SEC-${issueId}`,
      fields: { ...body.issue.fields, customfield_10123: incidentId },
    },
    comment: { ...body.comment, id: commentId, body: text },
  };
};

describe('Defender outage while deliveries are applied', () => {
  it('applies every accepted delivery exactly once after recovery; nothing is lost or poisoned', async () => {
    // Down for everything incident-related (a 503 at the gateway) before the deliveries arrive.
    h.sandbox.control.injectFaults({ target: 'incidents', status: 503, retryAfterSeconds: 1 });
    const failuresBefore = failedAttempts();
    const expected = new Map<number, RegExp>([
      [3309, /^\[CHG-31\] Outage test: generic 1 — \[riposte:/],
      [3310, /^\[CHG-32\] Outage test: generic 2 — \[riposte:/],
      [3311, /^\[INC0010001\] Outage test: ServiceNow 1 — \[riposte:/],
      [3312, /^\[INC0010001\] Outage test: ServiceNow 2 — \[riposte:/],
      [3305, /^\[SEC-20501\] Outage test: Jira 1 — \[riposte:/],
      [3306, /^\[SEC-20601\] Outage test: Jira 2 — \[riposte:/],
    ]);
    const replies = await Promise.all([
      h.webhook('generic', {
        incidentId: 3309,
        status: 'inProgress',
        comment: 'Outage test: generic 1',
        ticketId: 'CHG-31',
      }),
      h.webhook('generic', { incidentId: 3310, comment: 'Outage test: generic 2', ticketId: 'CHG-32' }),
      h.webhook('servicenow', serviceNow('3311', '2', 'Outage test: ServiceNow 1')),
      h.webhook('servicenow', serviceNow('3312', '2', 'Outage test: ServiceNow 2')),
      h.webhook('jira', jiraComment('3305', '20501', '40001', 'Outage test: Jira 1')),
      h.webhook('jira', jiraComment('3306', '20601', '40002', 'Outage test: Jira 2')),
    ]);
    for (const r of replies) assert.equal(r.status, 202, r.text);

    // Every delivery has failed at least once against the outage...
    await waitFor('a failed attempt per delivery', () => failedAttempts() - failuresBefore >= expected.size);
    for (const id of expected.keys()) assert.equal(riposteComments(id).length, 0, `nothing applied to ${id} yet`);
    // ...then the API flaps (seeded: a third of incident calls lose their connection) before it is fully back.
    h.sandbox.control.clearFaults();
    h.sandbox.control.injectFaults({ target: 'incidents', outage: true, probability: 0.3, seed: 7 });
    await new Promise((r) => setTimeout(r, 1200));
    h.sandbox.control.clearFaults();

    for (const id of expected.keys()) {
      await waitFor(`the delivery for ${id}`, () => riposteComments(id).length > 0);
    }
    await h.host.drainQueues(20_000);
    for (const [id, text] of expected) {
      const comments = riposteComments(id);
      assert.equal(comments.length, 1, `incident ${id}: exactly one comment, got ${JSON.stringify(comments)}`);
      assert.match(comments[0]!, text);
    }
    assert.equal(stored(3309).status, 'inProgress');
    assert.equal(stored(3311).status, 'inProgress');
    assert.deepEqual(await h.peekQueue(`${h.queueName}-poison`), [], 'nothing poisoned');
    assert.deepEqual(await h.peekQueue(h.queueName), [], 'nothing left');
  });
});

describe('deliveries that cannot be applied', () => {
  const poisonQueue = () => new QueueClient(h.azurite.connectionString, `${h.queueName}-poison`);
  async function takePoison(match: (e: PoisonEntry) => boolean): Promise<PoisonEntry> {
    return waitFor(
      'a poison message',
      async () => {
        const q = poisonQueue();
        if (!(await q.exists())) return undefined;
        const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32 });
        for (const m of receivedMessageItems) {
          const entry = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as PoisonEntry;
          if (match(entry)) {
            await q.deleteMessage(m.messageId, m.popReceipt);
            return entry;
          }
          await q.updateMessage(m.messageId, m.popReceipt, undefined, 0);
        }
        return undefined;
      },
      25_000,
    );
  }
  const forIncident = (id: string) => (e: PoisonEntry) =>
    (e.message as { event?: { incidentId?: string } }).event?.incidentId === id;

  it('a delivery for an incident Defender does not know goes to the poison queue at once, with the reason', async () => {
    const r = await h.webhook('generic', { incidentId: '88888888', comment: 'nobody home', ticketId: 'CHG-404' });
    assert.equal(r.status, 202, r.text);
    const entry = await takePoison(forIncident('88888888'));
    assert.match(entry.reason, /404|not found/i);
    assert.equal(entry.attempts, 1, 'retrying cannot make the incident exist');
    await h.host.drainQueues(10_000);
  });

  it('that delivery leaves no pending write behind, and later deliveries are applied at once', async () => {
    // The attempt above claimed its write before Defender said 404: the refusal released the claim (nothing was
    // written), so no lease is left for anything to wait on. Were one left pending, its lease is ended here.
    const writes = TableClient.fromConnectionString(h.azurite.connectionString, 'RiposteWrites', {
      allowInsecureConnection: true,
    });
    let expired = 0;
    for await (const e of writes.listEntities<{ state: string; incidentId: string; leaseUntil: string }>({
      queryOptions: { filter: odata`state eq 'pending' and incidentId eq '88888888'` },
    })) {
      const { partitionKey, rowKey } = e;
      assert.ok(partitionKey !== undefined && rowKey !== undefined);
      const leaseUntil = new Date(Date.now() - 60_000).toISOString();
      await writes.updateEntity({ partitionKey, rowKey, leaseUntil }, 'Merge');
      expired++;
    }
    assert.equal(expired, 0, 'the 404 released the poisoned delivery’s claim');
    const failuresBefore = failedAttempts();
    const r = await h.webhook('generic', {
      incidentId: '3301',
      comment: 'after the poisoned one',
      ticketId: 'CHG-405',
    });
    assert.equal(r.status, 202, r.text);
    await waitFor('the later delivery', () => riposteComments(3301).length > 0);
    await h.host.drainQueues(10_000);
    assert.equal(failedAttempts(), failuresBefore, 'applied on its first attempt');
    assert.equal(riposteComments(3301).length, 1);
  });

  it(`a delivery still failing after ${ATTEMPTS} attempts goes to the poison queue with the last reason`, async () => {
    const before = JSON.stringify(stored(3307));
    h.sandbox.control.injectFaults({ target: 'incidents', status: 503 });
    try {
      const r = await h.webhook('generic', { incidentId: '3307', comment: 'never while down', ticketId: 'CHG-503' });
      assert.equal(r.status, 202, r.text);
      const entry = await takePoison(forIncident('3307'));
      assert.equal(entry.attempts, ATTEMPTS);
      assert.match(entry.reason, /503|unavailable/i);
    } finally {
      h.sandbox.control.clearFaults();
    }
    await h.host.drainQueues(10_000);
    assert.equal(JSON.stringify(stored(3307)), before, 'parked, not half-applied');
  });

  it('a queue message that is not a ticket event is poisoned with the reason', async () => {
    const q = new QueueClient(h.azurite.connectionString, h.queueName);
    await q.sendMessage(Buffer.from(JSON.stringify({ kind: 'somethingElse', n: 1 })).toString('base64'));
    const entry = await takePoison((e) => (e.message as { kind?: string }).kind === 'somethingElse');
    assert.match(entry.reason, /not a ticket event/);
  });
});

describe('storage unavailable', () => {
  it('answers 503 with Retry-After (never 202) when Azurite is down, and nothing is applied', async () => {
    await h.host.drainQueues(10_000);
    const before = JSON.stringify(stored(3308));
    await h.azurite.stop();
    const replies = await Promise.all([
      h.webhook('generic', { incidentId: '3308', comment: 'while storage is down', ticketId: 'CHG-1' }),
      h.webhook('jira', jiraComment('3308', '20801', '40801', 'while storage is down')),
    ]);
    for (const r of replies) {
      assert.equal(r.status, 503, r.text);
      assert.equal(errorOf(r).code, 'STORAGE_UNAVAILABLE');
      assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
      assert.doesNotMatch(r.text, /ECONNREFUSED|127\.0\.0\.1|at .*\(/, 'no internals');
    }
    assert.equal(JSON.stringify(stored(3308)), before);
    // The rest of the app still answers.
    assert.equal((await h.call('GET', '/api/incidents/3308')).status, 200);
  });
});
