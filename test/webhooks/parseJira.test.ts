import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JiraMapping } from '../../shared/webhooks';
import {
  fixture,
  fixtureJson,
  inputError,
  jiraDelivery,
  parseEvent,
  parseIgnored,
  shippedMapping,
  variant,
} from './helpers';

const DELIVERY = 'b7c5f1e2-3d4a-4f5b-8c6d-7e8f9a0b1c2d';
const ANA = '5b10ac8d82e05b22cc7d4ef5';

type Json = Record<string, unknown>;
const resolved = (): Json => fixtureJson('jira-issue-resolved.json');
const fieldsOf = (body: Json): Json => (body.issue as { fields: Json }).fields;

describe('parseDelivery: Jira', () => {
  it('jira:issue_updated resolving an issue → status, classification and determination from the changelog', async () => {
    const event = parseEvent(jiraDelivery(fixture('jira-issue-resolved.json')), await shippedMapping('jira'));
    assert.deepEqual(event, {
      source: 'jira',
      deliveryId: DELIVERY,
      eventId: 'jira:issue:10042:changelog:55501',
      ticketId: 'SEC-42',
      incidentId: '1234',
      occurredAt: '2024-11-25T14:00:00.123Z',
      sequence: '55501',
      actor: ANA,
      // assignee is not in the changelog, so it is not re-sent.
      update: { status: 'resolved', classification: 'truePositive', determination: 'malware' },
      echo: false,
    });
  });

  it('falls back to the resolution name, and leaves an unmapped resolution to the analyst', async () => {
    const m = await shippedMapping('jira');
    const body = resolved();
    delete fieldsOf(body).customfield_10124;
    (fieldsOf(body).resolution as Json).name = "won't do";
    assert.deepEqual(parseEvent(jiraDelivery(body), m).update, {
      status: 'resolved',
      classification: 'informationalExpectedActivity',
      determination: 'other',
    });
    (fieldsOf(body).resolution as Json).name = 'Duplicate';
    assert.deepEqual(parseEvent(jiraDelivery(body), m).update, { status: 'resolved' });
  });

  it('jira:issue_updated (issue_commented) → the comment as plain text, prefixed, keyed by the comment id', async () => {
    const event = parseEvent(jiraDelivery(fixture('jira-issue-commented.json')), await shippedMapping('jira'));
    assert.deepEqual(event, {
      source: 'jira',
      deliveryId: `${DELIVERY}:comment:20077`,
      eventId: 'jira:comment:20077',
      ticketId: 'SEC-42',
      incidentId: '1234',
      occurredAt: '2024-11-25T14:01:40.456Z',
      actor: ANA,
      update: { comment: '[SEC-42] Confirmed with @Bo User; password reset done.\nMFA re-registered' },
      echo: false,
    });
  });

  it('comment_created: ignored by default (its twin carries the full issue); same eventId as the twin when chosen', async () => {
    const d = jiraDelivery(fixture('jira-comment-created.json'), {
      identifier: 'c0ffee00-0000-4000-8000-000000000001',
    });
    assert.equal(
      parseIgnored(d, await shippedMapping('jira')),
      'comments are taken from jira:issue_updated (comments.from in mappings/jira.yaml)',
    );
    const fromComments = variant('jira', (raw) => {
      raw.comments = { from: 'comment_created' };
    });
    const event = parseEvent(d, fromComments);
    assert.equal(event.eventId, 'jira:comment:20077');
    assert.equal(event.deliveryId, 'c0ffee00-0000-4000-8000-000000000001:comment:20077');
    assert.equal(event.incidentId, '1234'); // from the summary: the reduced issue has no customfield_10123
    assert.deepEqual(event.update, { comment: '[SEC-42] Confirmed with user; password reset done.' });
    assert.equal(event.actor, ANA);
    // With from: comment_created, the issue_updated twin brings nothing new.
    assert.match(
      parseIgnored(jiraDelivery(fixture('jira-issue-commented.json')), fromComments),
      /^no mapped field of SEC-42 changed$/,
    );
  });

  it('comments.visibility public drops JSM internal notes; internal drops public replies', async () => {
    const publicOnly = variant('jira', (raw) => {
      raw.comments = { visibility: 'public' };
    });
    assert.equal(
      parseIgnored(jiraDelivery(fixture('jira-issue-commented.json')), publicOnly),
      'comment 20077 is internal and comments.visibility is public',
    );
    const body = fixtureJson('jira-issue-commented.json');
    (body.comment as Json).jsdPublic = true;
    assert.ok(parseEvent(jiraDelivery(body), publicOnly).update.comment);
    (body.comment as Json).visibility = { type: 'role', value: 'Administrators' };
    assert.match(parseIgnored(jiraDelivery(body), publicOnly), /is internal/);
    const internalOnly = variant('jira', (raw) => {
      raw.comments = { visibility: 'internal' };
    });
    delete (body.comment as Json).visibility;
    assert.equal(
      parseIgnored(jiraDelivery(body), internalOnly),
      'comment 20077 is public and comments.visibility is internal',
    );
  });

  it('a transition with a comment gives one event with both, keyed by the changelog', async () => {
    const body = resolved();
    body.comment = { id: '20078', body: 'Closing: malware removed.', author: { accountId: ANA } };
    const event = parseEvent(jiraDelivery(body), await shippedMapping('jira'));
    assert.equal(event.eventId, 'jira:issue:10042:changelog:55501');
    assert.equal(event.deliveryId, DELIVERY);
    assert.equal(event.update.comment, '[SEC-42] Closing: malware removed.');
    assert.equal(event.update.status, 'resolved');
  });

  it('echo: changes by the integration account or comments with the riposte marker', async () => {
    const m = variant('jira', (raw) => {
      raw.echo = { actors: ['712020:RIPOSTE-bot'] };
    });
    const body = resolved();
    body.user = { accountId: '712020:riposte-bot', accountType: 'app', displayName: 'Riposte' };
    const echoed = parseEvent(jiraDelivery(body), m);
    assert.equal(echoed.echo, true);
    assert.equal(echoed.actor, '712020:riposte-bot');
    assert.equal(parseEvent(jiraDelivery(fixture('jira-issue-resolved.json')), m).echo, false);

    const mirrored = fixtureJson('jira-issue-commented.json');
    (mirrored.comment as Json).body = 'Defender comment by soc@contoso.com: isolated device [riposte:1234:c9]';
    assert.equal(parseEvent(jiraDelivery(mirrored), m).echo, true);
  });

  it('assignee changes: a UPN, a mapped accountId, unassigned, or a warning when no UPN is known', async () => {
    const body = resolved();
    (body.changelog as Json).items = [
      { field: 'assignee', fieldtype: 'jira', fieldId: 'assignee', from: null, to: ANA },
    ];
    const m = await shippedMapping('jira');
    assert.deepEqual(parseEvent(jiraDelivery(body), m).update, { assignedTo: 'ana@contoso.com' });

    fieldsOf(body).assignee = { accountId: ANA, displayName: 'Ana Analyst' }; // email hidden by privacy settings
    assert.equal(
      parseIgnored(jiraDelivery(body), m),
      `assignee "${ANA}" has no UPN: add it to assignee.users in mappings/jira.yaml; assignee left unchanged`,
    );
    const mapped = variant('jira', (raw) => {
      (raw.assignee as Json).users = { [ANA.toUpperCase()]: 'ana.analyst@contoso.com' };
    });
    assert.deepEqual(parseEvent(jiraDelivery(body), mapped).update, { assignedTo: 'ana.analyst@contoso.com' });

    fieldsOf(body).assignee = null;
    assert.deepEqual(parseEvent(jiraDelivery(body), m).update, { assignedTo: '' });
  });

  it('reopening maps to inProgress without a classification; an unknown status category is a warning', async () => {
    const m = await shippedMapping('jira');
    const body = resolved();
    (fieldsOf(body).status as Json).statusCategory = { id: 4, key: 'indeterminate' };
    fieldsOf(body).resolution = null;
    assert.deepEqual(parseEvent(jiraDelivery(body), m).update, { status: 'inProgress' });
    (fieldsOf(body).status as Json).statusCategory = { id: 1, key: 'undefined' };
    assert.equal(
      parseIgnored(jiraDelivery(body), m),
      'status "undefined" at body.issue.fields.status.statusCategory.key is not mapped in mappings/jira.yaml; status left unchanged',
    );
  });

  it('an edit that touches no mapped field is ignored', async () => {
    const body = resolved();
    (body.changelog as Json).items = [
      { field: 'summary', fieldtype: 'jira', fieldId: 'summary', from: null, to: null },
    ];
    assert.equal(parseIgnored(jiraDelivery(body), await shippedMapping('jira')), 'no mapped field of SEC-42 changed');
  });

  it('jira:issue_created is ignored by default, or applies the current state when configured', async () => {
    const body = resolved();
    body.webhookEvent = 'jira:issue_created';
    body.issue_event_type_name = 'issue_created';
    delete body.changelog;
    (fieldsOf(body).status as Json).statusCategory = { key: 'new' };
    fieldsOf(body).resolution = null;
    assert.equal(
      parseIgnored(jiraDelivery(body), await shippedMapping('jira')),
      'jira:issue_created is ignored (issueCreated: ignore in mappings/jira.yaml)',
    );
    const applying = variant('jira', (raw) => {
      raw.issueCreated = 'apply';
    });
    const event = parseEvent(jiraDelivery(body), applying);
    assert.equal(event.eventId, 'jira:issue:10042:created');
    assert.deepEqual(event.update, { status: 'active', assignedTo: 'ana@contoso.com' });
  });

  it('other events and unlinked issues are ignored', async () => {
    const m = await shippedMapping('jira');
    const deleted = resolved();
    deleted.webhookEvent = 'jira:issue_deleted';
    assert.equal(parseIgnored(jiraDelivery(deleted), m), 'Jira event "jira:issue_deleted" is not mapped');
    const unlinked = resolved();
    delete fieldsOf(unlinked).customfield_10123;
    fieldsOf(unlinked).summary = 'Printer on fire';
    fieldsOf(unlinked).labels = ['facilities'];
    assert.equal(parseIgnored(jiraDelivery(unlinked), m), 'Jira issue SEC-42 is not linked to a Defender incident');
  });

  it('finds the incident id in a number, a select list, a label or the summary', async () => {
    const m = await shippedMapping('jira');
    const cases: [unknown, Json, string][] = [
      [4321, {}, '4321'],
      [{ id: '1', value: '0077' }, {}, '77'],
      [null, { labels: ['x', 'DEFENDER-991'] }, '991'],
      [undefined, { labels: [], summary: 'defender incident 55 again' }, '55'],
    ];
    for (const [custom, extra, want] of cases) {
      const body = resolved();
      if (custom === undefined) delete fieldsOf(body).customfield_10123;
      else fieldsOf(body).customfield_10123 = custom;
      Object.assign(fieldsOf(body), extra);
      assert.equal(parseEvent(jiraDelivery(body), m).incidentId, want, JSON.stringify(custom));
    }
  });

  it('refuses malformed payloads with the field named', async () => {
    const m = await shippedMapping('jira');
    const cases: [(b: Json) => void, string, string?][] = [
      [
        (b) => (fieldsOf(b).customfield_10123 = '12ab'),
        'body.issue.fields.customfield_10123',
        'body.issue.fields.customfield_10123 must be a Defender incident id (digits only), got "12ab"',
      ],
      [
        (b) => (fieldsOf(b).customfield_10123 = { nested: {} }),
        'body.issue.fields.customfield_10123',
        'body.issue.fields.customfield_10123 must be text, a number or an object with a value',
      ],
      [(b) => (fieldsOf(b).customfield_10123 = '0000'), 'body.issue.fields.customfield_10123'],
      [
        (b) => {
          fieldsOf(b).customfield_10123 = null;
          fieldsOf(b).labels = ['defender-12', 'defender-13'];
        },
        'body.issue.fields.labels',
        'body.issue.fields.labels names more than one Defender incident (12, 13)',
      ],
      [(b) => delete b.webhookEvent, 'body.webhookEvent'],
      [(b) => delete b.issue, 'body.issue', 'body.issue must be an object'],
      [(b) => ((b.issue as Json).key = ''), 'body.issue.key'],
      [(b) => ((b.issue as Json).id = { nested: true }), 'body.issue.id'],
      [(b) => ((b.issue as Json).fields = 'x'), 'body.issue.fields'],
      [(b) => (b.timestamp = 'yesterday'), 'body.timestamp'],
      [(b) => ((b.changelog as Json).items = 'status'), 'body.changelog.items'],
      [(b) => ((b.changelog as Json).items = [null]), 'body.changelog.items[0]'],
      [(b) => (b.comment = { id: '1', body: 42 }), 'body.comment.body'],
      [
        (b) => (fieldsOf(b).status = { statusCategory: { key: ['done'] } }),
        'body.issue.fields.status.statusCategory.key',
      ],
    ];
    for (const [change, field, message] of cases) {
      const body = resolved();
      change(body);
      const e = inputError(() => parseEvent(jiraDelivery(body), m));
      assert.equal(e.field, field);
      if (message) assert.equal(e.message, message);
    }
    const noId = jiraDelivery(fixture('jira-issue-resolved.json'), {
      headers: { 'x-atlassian-webhook-identifier': undefined },
    });
    assert.equal(inputError(() => parseEvent(noId, m)).field, 'headers.x-atlassian-webhook-identifier');
  });

  it('retries of a delivery give the same ids; the mapping must be for the delivery source', async () => {
    const m: JiraMapping = await shippedMapping('jira');
    const first = parseEvent(jiraDelivery(fixture('jira-issue-resolved.json')), m);
    const retry = parseEvent(
      jiraDelivery(fixture('jira-issue-resolved.json'), { headers: { 'x-atlassian-webhook-retry': '1' } }),
      m,
    );
    assert.deepEqual(retry, first);
    const e = inputError(() =>
      parseEvent({ ...jiraDelivery(fixture('jira-issue-resolved.json')), source: 'generic' }, m),
    );
    assert.equal(e.field, 'source');
  });
});
