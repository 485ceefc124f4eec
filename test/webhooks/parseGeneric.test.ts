import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileMapping } from '../../shared/webhooks';
import { fixture, inputError, NOW_S, parseEvent, parseIgnored, shippedMapping, standardDelivery } from './helpers';

const generic = (body: object | Buffer, options: { id?: string; timestamp?: number } = {}) =>
  standardDelivery('generic', body, { id: 'gen_01', ...options });

describe('parseDelivery: generic', () => {
  it('the documented shape, enum values in any case → the exact event', async () => {
    const event = parseEvent(generic(fixture('generic-update.json')), await shippedMapping('generic'));
    assert.deepEqual(event, {
      source: 'generic',
      deliveryId: 'gen_01',
      eventId: 'generic:evt-2024-11-25-0001',
      ticketId: 'CHG-7',
      incidentId: '1234',
      occurredAt: '2024-11-25T14:00:00.000Z',
      actor: 'soar',
      update: {
        status: 'resolved',
        assignedTo: 'ana@contoso.com',
        classification: 'truePositive',
        determination: 'compromisedAccount',
        comment: '[CHG-7] Contained by the SOAR playbook.',
      },
      echo: false,
    });
  });

  it('minimal deliveries: ids and time from the headers, no ticket prefix, aliases and Defender spellings', async () => {
    const m = await shippedMapping('generic');
    const e = parseEvent(
      generic({ incidentId: '0042', status: 'closed', comment: ' note ' }, { timestamp: NOW_S - 5 }),
      m,
    );
    assert.equal(e.incidentId, '42');
    assert.equal(e.eventId, 'generic:gen_01');
    assert.equal(e.ticketId, '');
    assert.equal(e.occurredAt, new Date((NOW_S - 5) * 1000).toISOString());
    assert.deepEqual(e.update, { status: 'resolved', comment: 'note' });
    assert.deepEqual(
      parseEvent(
        generic({
          incidentId: 7,
          status: 'in progress',
          classification: 'FalsePositive',
          determination: 'NoEnoughDataToValidate',
          assignedTo: '',
        }),
        m,
      ).update,
      { status: 'inProgress', classification: 'falsePositive', determination: 'insufficientData', assignedTo: '' },
    );
    const offset = generic({ incidentId: 7, status: 'open', occurredAt: '2024-11-25T21:00:00.5+0700' });
    assert.equal(parseEvent(offset, m).occurredAt, '2024-11-25T14:00:00.500Z');
  });

  it('nothing to apply is ignored; null means not given', async () => {
    const m = await shippedMapping('generic');
    assert.equal(parseIgnored(generic({ incidentId: '1' }), m), 'the delivery sets no incident field');
    assert.equal(
      parseIgnored(generic({ incidentId: '1', status: null, comment: '  ', assignedTo: null }), m),
      'the delivery sets no incident field',
    );
  });

  it('echo: the integration actor or the riposte marker', async () => {
    const m = await shippedMapping('generic');
    assert.equal(parseEvent(generic({ incidentId: '1', status: 'active', actor: 'Riposte' }), m).echo, true);
    assert.equal(parseEvent(generic({ incidentId: '1', comment: 'mirrored [riposte:1:c2]' }), m).echo, true);
    assert.equal(parseEvent(generic({ incidentId: '1', comment: 'riposte said hi' }), m).echo, false);
  });

  it('refuses invalid values with the field and the allowed values named', async () => {
    const m = await shippedMapping('generic');
    const cases: [object, string, string?][] = [
      [{ status: 'active' }, 'body.incidentId', 'body.incidentId is required: the Defender incident id (digits only)'],
      [{ incidentId: 'INC-1', status: 'active' }, 'body.incidentId'],
      [{ incidentId: 0, status: 'active' }, 'body.incidentId'],
      [{ incidentId: 1.5, status: 'active' }, 'body.incidentId'],
      [
        { incidentId: '1', status: 'redirected' },
        'body.status',
        'body.status "redirected" is not valid; use one of: active, inProgress, resolved, open, new, closed, done',
      ],
      [{ incidentId: '1', assignee: 'a@b.c' }, 'body.assignee'],
      [
        { incidentId: '1', determination: 'malware' },
        'body.determination',
        'body.determination needs body.classification in the same delivery',
      ],
      [
        { incidentId: '1', classification: 'false positive', determination: 'malware' },
        'body.determination',
        "determination 'malware' is not allowed with classification 'falsePositive'; use one of: clean, insufficientData, other",
      ],
      [{ incidentId: '1', classification: 'benign' }, 'body.classification'],
      [{ incidentId: '1', classification: 'truePositive', determination: 'apt' }, 'body.determination'],
      [{ incidentId: '1', comment: 42 }, 'body.comment', 'body.comment must be a string'],
      [{ incidentId: '1', status: 'active', occurredAt: 'yesterday' }, 'body.occurredAt'],
      [{ incidentId: '1', status: 'active', ticketId: 'x'.repeat(101) }, 'body.ticketId'],
    ];
    for (const [body, field, message] of cases) {
      const e = inputError(() => parseEvent(generic(body), m));
      assert.equal(e.field, field, JSON.stringify(body));
      if (message) assert.equal(e.message, message);
    }
  });
});

// Standard Webhooks payload structure (standard-webhooks/standard-webhooks spec/standard-webhooks.md v1.0.0,
// "Payload structure": `type` full-stop delimited, `timestamp` ISO 8601 time of the event, `data` the event; as
// summarised in shared/reference/integration-conventions.md §3.2). The example's timestamp has microseconds.
describe('parseDelivery: generic, Standard Webhooks envelope', () => {
  const envelope = (data: object, over: object = {}) => ({
    type: 'ticket.updated',
    timestamp: '2024-11-25T14:02:10.344522Z',
    data,
    ...over,
  });

  it('data carries the fields, the envelope timestamp is the event time, webhook-id the event id', async () => {
    const m = await shippedMapping('generic');
    const event = parseEvent(
      generic(envelope({ incidentId: '1234', status: 'In Progress', ticketId: 'CHG-9', comment: 'Picked up' }), {
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      }),
      m,
    );
    assert.deepEqual(event, {
      source: 'generic',
      deliveryId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      eventId: 'generic:msg_p5jXN8AQM9LWM0D4loKWxJek',
      ticketId: 'CHG-9',
      incidentId: '1234',
      occurredAt: '2024-11-25T14:02:10.344Z',
      update: { status: 'inProgress', comment: '[CHG-9] Picked up' },
      echo: false,
    });
    // data.id and data.occurredAt, when given, are more specific than the message id and the envelope time.
    const e = parseEvent(
      generic(envelope({ id: 'evt-7', incidentId: 7, status: 'active', occurredAt: '2024-11-25T14:00:00Z' })),
      m,
    );
    assert.equal(e.eventId, 'generic:evt-7');
    assert.equal(e.occurredAt, '2024-11-25T14:00:00.000Z');
  });

  it('extra metadata beside type, timestamp and data is allowed (the spec allows it); inside data it is a 400', async () => {
    const m = await shippedMapping('generic');
    assert.equal(
      parseEvent(generic(envelope({ incidentId: 1, status: 'active' }, { version: 2 })), m).update.status,
      'active',
    );
    const cases: [object, string][] = [
      [envelope({ incidentId: 1, assignee: 'a@b.c' }), 'body.data.assignee'],
      [envelope({ incidentId: 1, status: 'redirected' }), 'body.data.status'],
      [envelope({ status: 'active' }), 'body.data.incidentId'],
      [envelope({ incidentId: 1, status: 'active' }, { data: [1] }), 'body.data'],
      [envelope({ incidentId: 1, status: 'active' }, { timestamp: 'yesterday' }), 'body.timestamp'],
      [envelope({ incidentId: 1, status: 'active' }, { timestamp: undefined }), 'body.timestamp'],
      [envelope({ incidentId: 1, status: 'active' }, { type: 'ticket updated' }), 'body.type'],
      [envelope({ incidentId: 1, status: 'active' }, { type: undefined }), 'body.type'],
    ];
    for (const [body, field] of cases) {
      assert.equal(inputError(() => parseEvent(generic(body), m)).field, field, JSON.stringify(body));
    }
  });

  it('eventTypes in the mapping filters by type: exact names and trailing .* prefixes', () => {
    const m = compileMapping(
      { source: 'generic', eventTypes: ['ticket.*', 'incident.closed'] },
      'mappings/generic.yaml',
    );
    const data = { incidentId: 1, status: 'resolved' };
    assert.equal(parseEvent(generic(envelope(data, { type: 'ticket.status.changed' })), m).update.status, 'resolved');
    assert.equal(parseEvent(generic(envelope(data, { type: 'incident.closed' })), m).update.status, 'resolved');
    assert.equal(
      parseIgnored(generic(envelope(data, { type: 'incident.closed_late' })), m),
      'event type "incident.closed_late" is not in eventTypes of mappings/generic.yaml',
    );
    assert.equal(
      parseIgnored(generic(envelope(data, { type: 'tickets.updated' })), m),
      'event type "tickets.updated" is not in eventTypes of mappings/generic.yaml',
    );
    // The flat shape has no type: eventTypes does not apply to it.
    assert.equal(parseEvent(generic(data), m).update.status, 'resolved');
  });
});
