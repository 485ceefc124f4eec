import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
