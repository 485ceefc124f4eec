import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fixture,
  fixtureJson,
  inputError,
  NOW_S,
  parseEvent,
  parseIgnored,
  shippedMapping,
  standardDelivery,
  variant,
} from './helpers';

type Json = Record<string, unknown>;
const resolved = (): Json => fixtureJson('servicenow-incident-resolved.json');
const snow = (body: Json | Buffer, id = '9d385017c611228701d22104cc95c371.7') =>
  standardDelivery('servicenow', body, { id });

describe('parseDelivery: ServiceNow', () => {
  it('incident resolved with close_code and a work note → the exact event (only changed_fields applied)', async () => {
    const event = parseEvent(snow(fixture('servicenow-incident-resolved.json')), await shippedMapping('servicenow'));
    assert.deepEqual(event, {
      source: 'servicenow',
      deliveryId: '9d385017c611228701d22104cc95c371.7',
      eventId: 'servicenow:9d385017c611228701d22104cc95c371:7',
      ticketId: 'INC0010001',
      incidentId: '1234',
      occurredAt: '2024-11-25T14:01:40.000Z',
      sequence: '7',
      actor: 'ana.analyst',
      update: {
        status: 'resolved',
        classification: 'informationalExpectedActivity',
        determination: 'confirmedActivity',
        // close_notes (and the close code) follow the journal when the record is resolved.
        comment:
          '[INC0010001] Caller confirmed travel to Lisbon.\nNo further action.\n\n' +
          'Resolution code: Resolved by caller\nResolution notes: User confirmed the sign-in was theirs (travel).',
      },
      echo: false,
    });
  });

  it('SIR closed as false positive, no changed_fields → every mapped field, newest work note only', async () => {
    const event = parseEvent(
      snow(fixture('servicenow-sir-closed.json'), 'sir-46d4.12'),
      await shippedMapping('servicenow'),
    );
    assert.deepEqual(event, {
      source: 'servicenow',
      deliveryId: 'sir-46d4.12',
      eventId: 'servicenow:46d44e3fa9fe198101c3e7c1b2e0f3a8:12',
      ticketId: 'SIR0010005',
      incidentId: '5678',
      occurredAt: '2024-11-26T09:15:00.000Z',
      sequence: '12',
      actor: 'bo.responder',
      update: {
        status: 'resolved',
        classification: 'falsePositive',
        determination: 'other',
        assignedTo: '',
        comment: '[SIR0010005] Scanner traffic from the red team range.\n\nResolution code: False positive',
      },
      echo: false,
    });
  });

  it('state 3 is On Hold for an incident but Closed for a SIR; Canceled carries its own verdict', async () => {
    const m = await shippedMapping('servicenow');
    const body = resolved();
    body.changed_fields = ['state'];
    body.state = '3';
    assert.deepEqual(parseEvent(snow(body), m).update, { status: 'inProgress' });
    body.state = '8';
    body.close_code = '';
    body.close_notes = '';
    assert.deepEqual(parseEvent(snow(body), m).update, {
      status: 'resolved',
      classification: 'falsePositive',
      determination: 'other',
    });
    body.state = { value: '6', display_value: 'Resolved' }; // Table API with sysparm_display_value=all
    body.close_code = { value: 'threat MITIGATED', display_value: 'Threat mitigated' };
    assert.deepEqual(parseEvent(snow(body), m).update, {
      status: 'resolved',
      classification: 'truePositive',
      determination: 'other',
      comment: '[INC0010001] Resolution code: Threat mitigated', // the display value is the label
    });
  });

  // Resolution notes: ServiceNow's incident fields close_code ("Resolution code") and close_notes ("Resolution
  // notes"), mandatory when resolving (ServiceNow/ServiceNowDocs resolve-and-close-an-incident.md; reference §5.2).
  it('resolved or closed: close_notes and the close code reach the comment, prefixed with the number', async () => {
    const m = await shippedMapping('servicenow');
    const closed = resolved();
    closed.state = '7';
    closed.changed_fields = ['close_notes'];
    closed.close_notes = 'Re-imaged the laptop.';
    assert.deepEqual(parseEvent(snow(closed), m).update, {
      comment: '[INC0010001] Resolution code: Resolved by caller\nResolution notes: Re-imaged the laptop.',
    });
    // Only the notes, or only the code, when the other is empty.
    closed.close_code = '';
    assert.equal(parseEvent(snow(closed), m).update.comment, '[INC0010001] Resolution notes: Re-imaged the laptop.');
    closed.close_notes = '';
    closed.changed_fields = ['close_notes', 'work_notes'];
    assert.equal(
      parseEvent(snow(closed), m).update.comment,
      '[INC0010001] Caller confirmed travel to Lisbon.\nNo further action.',
    );
  });

  it('close_notes on a record that is not resolved (reopened, in progress) stay out of the comment', async () => {
    const m = await shippedMapping('servicenow');
    const body = resolved();
    body.state = '2';
    body.changed_fields = ['state', 'close_notes'];
    assert.deepEqual(parseEvent(snow(body), m).update, { status: 'inProgress' });
  });

  it('resolution.codeLabels shows a close code by its label; without a resolution block nothing is added', async () => {
    const body = resolved();
    body.close_code = 'solved_perm';
    body.changed_fields = ['state'];
    const labelled = variant('servicenow', (raw) => {
      (raw.resolution as Json).codeLabels = { SOLVED_PERM: 'Solved (Permanently)' };
    });
    assert.equal(
      parseEvent(snow(body), labelled).update.comment,
      '[INC0010001] Resolution code: Solved (Permanently)\nResolution notes: User confirmed the sign-in was theirs (travel).',
    );
    const without = variant('servicenow', (raw) => {
      delete raw.resolution;
    });
    assert.equal(parseEvent(snow(body), without).update.comment, undefined);
  });

  it('a reopened record keeps its close_code but is not re-classified', async () => {
    const body = resolved();
    body.state = '2';
    body.changed_fields = ['state', 'close_code'];
    assert.deepEqual(parseEvent(snow(body), await shippedMapping('servicenow')).update, { status: 'inProgress' });
  });

  it('assignee from nested or flat (Table API) dot-walked fields, through the users map, or unassigned', async () => {
    const m = await shippedMapping('servicenow');
    const body = resolved();
    body.changed_fields = 'assigned_to'; // comma-separated text is accepted too
    assert.deepEqual(parseEvent(snow(body), m).update, { assignedTo: 'ana@contoso.com' });
    delete body.assigned_to;
    body['assigned_to.email'] = 'bo@contoso.com';
    assert.deepEqual(parseEvent(snow(body), m).update, { assignedTo: 'bo@contoso.com' });
    delete body['assigned_to.email'];
    body.assigned_to = { email: '', user_name: 'carl.c' };
    const mapped = variant('servicenow', (raw) => {
      (raw.assignee as Json).users = { 'Carl.C': 'carl@contoso.com' };
    });
    assert.deepEqual(parseEvent(snow(body), mapped).update, { assignedTo: 'carl@contoso.com' });
    body.assigned_to = '';
    assert.deepEqual(parseEvent(snow(body), m).update, { assignedTo: '' });
  });

  it('journals: both fields joined, header lines removed, nothing when unchanged', async () => {
    const m = await shippedMapping('servicenow');
    const body = resolved();
    body.changed_fields = 'work_notes, comments';
    body.comments = '2024-11-25 14:02:00 - Ana Analyst (Additional comments)\nWe reset your password.';
    assert.equal(
      parseEvent(snow(body), m).update.comment,
      '[INC0010001] Caller confirmed travel to Lisbon.\nNo further action.\n\nWe reset your password.',
    );
    body.work_notes = 'plain note without a header';
    body.comments = '';
    assert.equal(parseEvent(snow(body), m).update.comment, '[INC0010001] plain note without a header');
    body.changed_fields = ['short_description'];
    assert.equal(parseIgnored(snow(body), m), 'no mapped field of INC0010001 changed');
  });

  it('echo: updates by the integration user or notes carrying the riposte marker', async () => {
    const m = await shippedMapping('servicenow');
    const body = resolved();
    body.sys_updated_by = 'SVC-Riposte';
    assert.equal(parseEvent(snow(body), m).echo, true);
    body.sys_updated_by = 'ana.analyst';
    body.work_notes = '2024-11-25 14:01:40 - Riposte (Work notes)\nDefender: device isolated [riposte:1234:a1]';
    const e = parseEvent(snow(body), m);
    assert.equal(e.echo, true);
    assert.equal(e.actor, 'ana.analyst');
  });

  it('records not linked to Defender and unmapped states are ignored with the reason', async () => {
    const m = await shippedMapping('servicenow');
    const body = resolved();
    body.correlation_display = 'Splunk ES';
    assert.equal(parseIgnored(snow(body), m), 'ServiceNow record INC0010001 is not linked to a Defender incident');
    const odd = resolved();
    odd.changed_fields = ['state'];
    odd.state = '42';
    assert.equal(
      parseIgnored(snow(odd), m),
      'status "42" at body.state is not mapped in mappings/servicenow.yaml; status left unchanged',
    );
  });

  it('occurredAt falls back to webhook-timestamp; eventId to webhook-id', async () => {
    const m = await shippedMapping('servicenow');
    const body = resolved();
    delete body.sys_updated_on;
    delete body.sys_mod_count;
    const e = parseEvent(standardDelivery('servicenow', body, { id: 'abc.1', timestamp: NOW_S - 2 }), m);
    assert.equal(e.occurredAt, new Date((NOW_S - 2) * 1000).toISOString());
    assert.equal(e.eventId, 'servicenow:abc.1');
  });

  it('refuses malformed records with the field named', async () => {
    const m = await shippedMapping('servicenow');
    const cases: [(b: Json) => void, string, string?][] = [
      [
        (b) => (b.correlation_id = 'INC-1234'),
        'body.correlation_id',
        'body.correlation_id must be a Defender incident id (digits only), got "INC-1234"',
      ],
      [(b) => delete b.number, 'body.number', 'body.number (the ticket number) is required, at most 100 characters'],
      [(b) => (b.changed_fields = 7), 'body.changed_fields', 'body.changed_fields must be a list of field names'],
      [(b) => (b.changed_fields = ['state', 1]), 'body.changed_fields'],
      [
        (b) => (b.sys_updated_on = '2024-02-30 10:00:00'),
        'body.sys_updated_on',
        'body.sys_updated_on must be a date-time such as 2024-11-25 14:01:40 (UTC) or ISO 8601',
      ],
      [(b) => (b.state = ['6']), 'body.state'],
      [(b) => (b.work_notes = { text: 'x' }), 'body.work_notes'],
    ];
    for (const [change, field, message] of cases) {
      const body = resolved();
      change(body);
      const e = inputError(() => parseEvent(snow(body), m));
      assert.equal(e.field, field);
      if (message) assert.equal(e.message, message);
    }
    const noId = standardDelivery('servicenow', resolved(), { headers: { 'webhook-id': undefined } });
    assert.equal(inputError(() => parseEvent(noId, m)).field, 'headers.webhook-id');
  });
});
