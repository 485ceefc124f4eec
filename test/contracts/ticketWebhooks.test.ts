// Ticketing webhooks as the vendors send them, posted over HTTP to the host running as its own process, through the
// queue to the incident in the sandbox:
// - Jira: Atlassian's documented `jira:issue_updated` example (fixtures/jira), as is and about a linked ticket;
// - ServiceNow: the incident record from the Table API docs (fixtures/servicenow) as a business rule posts it;
// - a generic sender using the Standard Webhooks payload envelope (fixtures/standard-webhooks/thin-payload.json).
// Late deliveries (Jira retries up to ~30 min late, ordering is not promised) must never undo newer changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isRiposteComment } from '../../shared/engine';
import { startAppStack, type AppStack } from '../helpers/appStack';
import { waitFor } from '../reliability/harness';
import { fixtureJson } from './fixtures';
import {
  jiraDelivery,
  jiraIssueUpdated,
  serviceNowIncident,
  standardWebhooksDelivery,
  type Delivery,
} from './vendorPayloads';

let stack: AppStack;

before(async () => {
  stack = await startAppStack({ api: 'graph' });
});
after(async () => {
  await stack?.close();
});

const QUEUE_FUNCTION = 'applyTicketEvent';
const newIncident = (): string => String(stack.sandbox.control.addIncident({ status: 'active' }).id);
const incident = (id: string) => {
  const i = stack.sandbox.control.incident(id);
  assert.ok(i, `sandbox incident ${id}`);
  return i;
};
const riposteComments = (id: string): string[] =>
  incident(id)
    .comments.map((c) => c.comment)
    .filter((c) => isRiposteComment(c));

async function send(source: 'jira' | 'servicenow' | 'generic', d: Delivery) {
  const r = await stack.call('POST', `/api/webhooks/${source}`, { body: d.body, headers: d.headers });
  assert.ok(r.status >= 200 && r.status < 300, `${source} delivery answered ${r.status}: ${r.text}`);
  return r;
}

/** Sends a delivery that is queued, and waits until the queue function has run it once. */
async function sendAndApply(source: 'jira' | 'servicenow' | 'generic', d: Delivery): Promise<void> {
  const before = stack.invocations(QUEUE_FUNCTION);
  const r = await send(source, d);
  assert.equal(r.status, 202, `accepted and queued: ${r.text}`);
  await stack.settleTicketQueue(before);
}

describe('Jira Cloud: the documented jira:issue_updated example', () => {
  it('is accepted as it is (a ticket linked to no incident is ignored, not refused) and changes nothing', async () => {
    const example = fixtureJson('jira/issue-updated-example.json');
    // Only the event time is the delivery's own: Jira signs no timestamp, so Riposte checks the payload's.
    example.timestamp = Date.now();
    const before = JSON.stringify(stack.sandbox.control.incidents());
    const r = await send('jira', jiraDelivery(example, stack.secrets.jira));
    assert.equal((r.json as { status?: string }).status, 'ignored', r.text);
    assert.equal(JSON.stringify(stack.sandbox.control.incidents()), before);
  });

  it('resolves the linked incident when the issue moves to Done', async () => {
    const id = newIncident();
    const payload = jiraIssueUpdated({ incidentId: id, from: 'indeterminate', to: 'done' });
    await sendAndApply('jira', jiraDelivery(payload, stack.secrets.jira));
    assert.equal(incident(id).status, 'resolved');
    assert.ok(incident(id).customTags.includes(`ticket:${String((payload.issue as { key: string }).key)}`));
  });

  it('a late delivery (older timestamp) does not undo a newer one (item 4)', async () => {
    const id = newIncident();
    const now = Date.now();
    const newer = jiraIssueUpdated({
      incidentId: id,
      from: 'indeterminate',
      to: 'done',
      timestamp: now,
      changelogId: 20002,
    });
    const older = jiraIssueUpdated({
      incidentId: id,
      from: 'new',
      to: 'indeterminate',
      timestamp: now - 60_000,
      changelogId: 20001,
    });
    (older.issue as { key: string }).key = (newer.issue as { key: string }).key;
    await sendAndApply('jira', jiraDelivery(newer, stack.secrets.jira));
    assert.equal(incident(id).status, 'resolved');
    await sendAndApply('jira', jiraDelivery(older, stack.secrets.jira));
    assert.equal(incident(id).status, 'resolved', 'the older In Progress event is skipped, not applied');
  });
});

describe('Two tickets linked to one incident', () => {
  it("keep both links: neither ticket's event removes the other's (item 4)", async () => {
    const id = newIncident();
    const a = jiraIssueUpdated({ incidentId: id, from: 'new', to: 'indeterminate', issueKey: 'SEC-101' });
    const b = serviceNowIncident({ incidentId: id, state: '2', number: 'INC0000101' });
    await sendAndApply('jira', jiraDelivery(a, stack.secrets.jira));
    await sendAndApply('servicenow', standardWebhooksDelivery(JSON.stringify(b), stack.secrets.servicenow));
    const tags = incident(id).customTags;
    assert.ok(tags.includes('ticket:SEC-101') && tags.includes('ticket:INC0000101'), JSON.stringify(tags));
  });
});

describe('ServiceNow: the Table API incident record posted by a business rule', () => {
  it('resolves the linked incident when the ticket is closed (state 7)', async () => {
    const id = newIncident();
    const record = serviceNowIncident({ incidentId: id, state: '7' });
    await sendAndApply('servicenow', standardWebhooksDelivery(JSON.stringify(record), stack.secrets.servicenow));
    assert.equal(incident(id).status, 'resolved');
    assert.ok(incident(id).customTags.includes(`ticket:${String(record.number)}`));
  });

  it("puts the resolution notes (close_notes) into the incident's comment (item 14)", async () => {
    const id = newIncident();
    const notes = 'Caller confirmed the sign-in was theirs; password reset anyway.';
    const record = serviceNowIncident({ incidentId: id, state: '6', closeNotes: notes });
    await sendAndApply('servicenow', standardWebhooksDelivery(JSON.stringify(record), stack.secrets.servicenow));
    assert.equal(incident(id).status, 'resolved');
    const comments = riposteComments(id);
    assert.ok(
      comments.some((c) => c.includes(notes)),
      `close_notes in a comment: ${JSON.stringify(comments)}`,
    );
  });

  it('moves the incident to In Progress with the work note as comment (state 2)', async () => {
    const id = newIncident();
    const record = serviceNowIncident({ incidentId: id, state: '2', workNotes: 'Checking the device with the user' });
    await sendAndApply('servicenow', standardWebhooksDelivery(JSON.stringify(record), stack.secrets.servicenow));
    assert.equal(incident(id).status, 'inProgress');
    assert.ok(riposteComments(id).some((c) => c.includes('Checking the device with the user')));
  });

  it('a late delivery (older sys_updated_on) does not undo a newer one (item 4)', async () => {
    const id = newIncident();
    const now = new Date();
    const sysId = 'ef43c6d40a0a0b5700c77f9bf387afe3';
    const newer = serviceNowIncident({
      incidentId: id,
      state: '7',
      updatedOn: now,
      sysId,
      number: 'INC0000050',
      modCount: 9,
    });
    const older = serviceNowIncident({
      incidentId: id,
      state: '2',
      updatedOn: new Date(now.getTime() - 60_000),
      sysId,
      number: 'INC0000050',
      modCount: 8,
    });
    await sendAndApply('servicenow', standardWebhooksDelivery(JSON.stringify(newer), stack.secrets.servicenow));
    assert.equal(incident(id).status, 'resolved');
    await sendAndApply('servicenow', standardWebhooksDelivery(JSON.stringify(older), stack.secrets.servicenow));
    assert.equal(incident(id).status, 'resolved', 'the older In Progress record is skipped, not applied');
  });
});

describe('Content type', () => {
  it('a correctly signed delivery sent as text/plain: 415 with a JSON error body, nothing queued (item 8)', async () => {
    const id = newIncident();
    const d = standardWebhooksDelivery(JSON.stringify({ incidentId: id, status: 'inProgress' }), stack.secrets.generic);
    const r = await stack.call('POST', '/api/webhooks/generic', {
      body: d.body,
      headers: { ...d.headers, 'content-type': 'text/plain' },
    });
    assert.equal(r.status, 415, r.text);
    assert.ok((r.json as { error?: { code?: string } } | undefined)?.error?.code, r.text);
    assert.equal(incident(id).status, 'active');
  });
});

describe('Generic source: the Standard Webhooks payload envelope', () => {
  it('accepts {type, timestamp, data} with the generic fields in data and applies them (item 14)', async () => {
    const id = newIncident();
    const envelope = fixtureJson<{ type: string; timestamp: string; data: Record<string, unknown> }>(
      'standard-webhooks/thin-payload.json',
    );
    envelope.type = 'ticket.updated';
    envelope.timestamp = new Date().toISOString();
    envelope.data = { incidentId: id, status: 'inProgress', ticketId: 'CHG-7', comment: 'Change window approved' };
    await sendAndApply('generic', standardWebhooksDelivery(JSON.stringify(envelope), stack.secrets.generic));
    assert.equal(incident(id).status, 'inProgress');
    assert.ok(riposteComments(id).some((c) => c.includes('Change window approved')));
  });

  it('still accepts the flat generic body', async () => {
    const id = newIncident();
    const body = JSON.stringify({ incidentId: id, status: 'inProgress', comment: 'Flat body' });
    await sendAndApply('generic', standardWebhooksDelivery(body, stack.secrets.generic));
    await waitFor('the status change', () => incident(id).status === 'inProgress', { timeoutMs: 5000 });
  });
});
