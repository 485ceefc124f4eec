// Ordering of ticket events per incident field (shared/webhooks/eventOrder.ts): which fields an event sets, how two
// stamps compare (time, then the ticket's own sequence, then the event id), and which fields a late event skips.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClockEntry } from '../../shared/state/ticketEventClock';
import {
  changesAnything,
  clockFieldsOf,
  compareStamps,
  splitStale,
  stampOf,
  withoutFields,
} from '../../shared/webhooks/eventOrder';
import type { TicketEvent } from '../../shared/webhooks/types';

const event = (over: Partial<TicketEvent> = {}): TicketEvent => ({
  source: 'jira',
  deliveryId: 'd1',
  eventId: 'jira:issue:10042:changelog:100',
  ticketId: 'SEC-42',
  incidentId: '7',
  occurredAt: '2026-03-01T12:00:00.000Z',
  update: { status: 'resolved' },
  echo: false,
  ...over,
});

const stamp = (over: Partial<ClockEntry> = {}): ClockEntry => ({
  at: '2026-03-01T12:00:00.000Z',
  ticket: 'jira:SEC-42',
  eventId: 'jira:issue:10042:changelog:100',
  ...over,
});

describe('clock fields of an event', () => {
  it('status, assignee, verdict (classification with determination) and the ticket link; never the comment', () => {
    const e = event({
      update: {
        status: 'resolved',
        assignedTo: '',
        classification: 'truePositive',
        determination: 'malware',
        comment: '[SEC-42] done',
      },
    });
    assert.deepEqual(clockFieldsOf(e), ['status', 'assignedTo', 'verdict', 'link:sec-42']);
    assert.deepEqual(clockFieldsOf(event({ ticketId: '', update: { comment: 'x' } })), []);
  });

  it('the stamp carries the ticket and its sequence (digits only)', () => {
    assert.deepEqual(stampOf(event({ sequence: '100' })), stamp({ seq: '100' }));
    assert.deepEqual(stampOf(event({ sequence: '1e3' })), stamp());
  });
});

describe('comparing stamps', () => {
  it('the event time decides first', () => {
    assert.ok(compareStamps(stamp({ at: '2026-03-01T11:59:59.999Z', seq: '900' }), stamp({ seq: '100' })) < 0);
    assert.ok(compareStamps(stamp({ at: '2026-03-01T12:00:00.001Z' }), stamp()) > 0);
  });

  it('at an equal time, the same ticket’s sequence decides, as a number ("10" after "9")', () => {
    const a = stamp({ seq: '9', eventId: 'servicenow:abc:9', ticket: 'servicenow:INC1' });
    const b = stamp({ seq: '10', eventId: 'servicenow:abc:10', ticket: 'servicenow:INC1' });
    assert.ok(compareStamps(a, b) < 0);
    assert.ok(compareStamps(b, a) > 0);
  });

  it('at an equal time across tickets, sequences are not compared: the event id makes the order total', () => {
    const a = stamp({ seq: '900', ticket: 'jira:SEC-1', eventId: 'jira:issue:1:changelog:900' });
    const b = stamp({ seq: '5', ticket: 'jira:SEC-2', eventId: 'jira:issue:2:changelog:5' });
    assert.ok(compareStamps(a, b) < 0, 'by event id, not by 900 > 5');
    assert.ok(compareStamps(b, a) > 0);
  });

  it('the same event compares equal (a retry is not older than itself)', () => {
    assert.equal(compareStamps(stamp({ seq: '1' }), stamp({ seq: '1' })), 0);
  });
});

describe('splitting a late event', () => {
  it('skips the fields a newer event set, keeps the others, and names the newer event', () => {
    const late = event({
      eventId: 'jira:issue:10042:changelog:99',
      occurredAt: '2026-03-01T11:58:00.000Z',
      update: { status: 'inProgress', assignedTo: 'ana@contoso.com', comment: '[SEC-42] later' },
    });
    const recorded = {
      status: stamp({ eventId: 'jira:issue:10042:changelog:100' }),
      assignedTo: stamp({ at: '2026-03-01T11:00:00.000Z', eventId: 'jira:issue:10042:changelog:50' }),
    };
    const split = splitStale(late, recorded);
    assert.deepEqual(split.stale, ['status']);
    assert.deepEqual(split.fresh, ['assignedTo', 'link:sec-42']);
    assert.deepEqual(split.newer, { status: 'jira:issue:10042:changelog:100' });
    const rest = withoutFields(late, split.stale);
    assert.deepEqual(rest.update, { assignedTo: 'ana@contoso.com', comment: '[SEC-42] later' });
    assert.equal(rest.ticketId, 'SEC-42');
  });

  it('a field stamped by this very event (an earlier attempt) is fresh', () => {
    const e = event({ sequence: '100' });
    assert.deepEqual(splitStale(e, { status: stampOf(e) }).stale, []);
  });

  it('a stale link drops the ticket id (no tag), a stale verdict both classification and determination', () => {
    const e = event({ update: { classification: 'falsePositive', determination: 'clean' } });
    const rest = withoutFields(e, ['verdict', 'link:sec-42']);
    assert.deepEqual(rest.update, {});
    assert.equal(rest.ticketId, '');
    assert.equal(changesAnything(rest), false);
    assert.equal(changesAnything({ ...rest, update: { comment: 'x' } }), true);
  });
});
