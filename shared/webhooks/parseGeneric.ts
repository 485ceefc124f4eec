// The generic JSON source: a documented shape rather than a vendor's (mappings/README.md), in either of two forms:
//   flat:      { id?, incidentId, status?, assignedTo?, classification?, determination?, comment?, ticketId?,
//                occurredAt?, actor? }
//   envelope:  { type, timestamp, data: { …the same fields… } }, the Standard Webhooks payload structure
//              (spec v1.0.0 "Payload structure"; integration-conventions.md §3.2): `timestamp` is when the event
//              happened (the event time for ordering), `type` may be filtered by the mapping's `eventTypes`.
// Enum values are accepted in any case and spacing ("In Progress", "FALSE_POSITIVE"). Unknown keys among the fields
// are refused so a typo ("assignee") is a 400, not a silent no-op; the envelope may carry other metadata beside
// `data`, as the spec allows. null means "not given"; "" in assignedTo unassigns.
import type { IncidentUpdate } from '../defender/types';
import { InputError } from '../errors';
import { hasRiposteMarker } from './commentText';
import { quote, tableKey } from './fieldPath';
import {
  DETERMINATIONS_BY_CLASSIFICATION,
  determinationProblem,
  parseClassification,
  parseDetermination,
  parseSettableStatus,
  SETTABLE_STATUSES,
} from './enumValues';
import { isoTime } from './parseTime';
import { header, isRecord } from './readBody';
import type { GenericMapping, IgnoredDelivery, RawDelivery, TicketEvent } from './types';

/** The keys a generic delivery may carry. */
export const GENERIC_FIELDS = [
  'id',
  'incidentId',
  'status',
  'assignedTo',
  'classification',
  'determination',
  'comment',
  'ticketId',
  'occurredAt',
  'actor',
] as const;

/** A Standard Webhooks event type: full-stop delimited, identifiers in [a-zA-Z0-9_] (spec, "Event types"). */
const ENVELOPE_TYPE = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

interface Fields {
  /** The object holding the fields: the body, or the envelope's `data`. */
  record: Record<string, unknown>;
  /** How messages name it: `body` or `body.data`. */
  base: string;
}

function text(f: Fields, key: string, maxLength: number): string | undefined {
  const v = f.record[key];
  const where = `${f.base}.${key}`;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError(where, `${where} must be a string`);
  if (v.length > maxLength) throw new InputError(where, `${where} must be at most ${maxLength} characters`);
  return v.trim();
}

interface Envelope {
  type: string;
  /** ISO-8601 UTC. */
  occurredAt: string;
}

/** The envelope's type and time, or undefined for the flat shape (a body with `data` is an envelope). */
function readEnvelope(body: Record<string, unknown>): (Envelope & Fields) | undefined {
  if (!Object.hasOwn(body, 'data')) return undefined;
  const data = body.data;
  if (!isRecord(data)) {
    throw new InputError('body.data', 'body.data must be an object holding the fields (Standard Webhooks envelope)');
  }
  const type = body.type;
  if (typeof type !== 'string' || type.length > 200 || !ENVELOPE_TYPE.test(type)) {
    throw new InputError(
      'body.type',
      'body.type must be the event type, full-stop delimited letters, digits and _ (e.g. ticket.updated)',
    );
  }
  if (typeof body.timestamp !== 'string' || body.timestamp.length > 64) {
    throw new InputError('body.timestamp', 'body.timestamp must be the ISO 8601 time of the event');
  }
  return { type, occurredAt: isoTime(body.timestamp, 'body.timestamp'), record: data, base: 'body.data' };
}

/** `eventTypes` entries: an exact type, `prefix.*` (anything below prefix), or `*`. */
export function typeAccepted(type: string, patterns: readonly string[] | undefined): boolean {
  if (patterns === undefined) return true;
  return patterns.some((p) =>
    p === '*' ? true : p.endsWith('.*') ? type.startsWith(p.slice(0, -1)) && type.length > p.length - 1 : p === type,
  );
}

/** See parseDelivery. `body` is the already-parsed JSON object. */
export function parseGeneric(
  d: RawDelivery,
  body: Record<string, unknown>,
  m: GenericMapping,
): TicketEvent | IgnoredDelivery {
  const envelope = readEnvelope(body);
  const f: Fields = envelope ?? { record: body, base: 'body' };
  for (const key of Object.keys(f.record)) {
    if (!(GENERIC_FIELDS as readonly string[]).includes(key)) {
      throw new InputError(
        `${f.base}.${key}`,
        `${f.base}.${key} is not a known field; use: ${GENERIC_FIELDS.join(', ')}`,
      );
    }
  }
  const deliveryId = header(d.headers, 'webhook-id');
  if (deliveryId === undefined) throw new InputError('headers.webhook-id', 'Missing webhook-id header');
  if (envelope && !typeAccepted(envelope.type, m.eventTypes)) {
    return { ignored: `event type ${quote(envelope.type)} is not in eventTypes of ${m.file}` };
  }

  const rawId = f.record.incidentId;
  const idText = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  if (typeof idText !== 'string' || !/^\s*\d{1,19}\s*$/.test(idText) || /^\s*0+\s*$/.test(idText)) {
    throw new InputError(
      `${f.base}.incidentId`,
      `${f.base}.incidentId is required: the Defender incident id (digits only)`,
    );
  }
  const incidentId = idText.trim().replace(/^0+/, '');

  const update: IncidentUpdate = {};
  const status = text(f, 'status', 100);
  if (status) {
    const s = m.statusAliases.get(tableKey(status)) ?? parseSettableStatus(status);
    if (!s) {
      const aliases = [...m.statusAliases.keys()];
      throw new InputError(
        `${f.base}.status`,
        `${f.base}.status ${quote(status)} is not valid; use one of: ${[...SETTABLE_STATUSES, ...aliases].join(', ')}`,
      );
    }
    update.status = s;
  }
  const assignedTo = text(f, 'assignedTo', 256);
  if (assignedTo !== undefined) update.assignedTo = assignedTo;
  const classification = text(f, 'classification', 100);
  const determination = text(f, 'determination', 100);
  if (classification) {
    const c = parseClassification(classification);
    if (!c) {
      throw new InputError(
        `${f.base}.classification`,
        `${f.base}.classification ${quote(classification)} is not valid; use one of: ${Object.keys(DETERMINATIONS_BY_CLASSIFICATION).join(', ')}`,
      );
    }
    update.classification = c;
    if (determination) {
      const det = parseDetermination(determination);
      if (!det) {
        throw new InputError(
          `${f.base}.determination`,
          `${f.base}.determination ${quote(determination)} is not valid; use one of: ${DETERMINATIONS_BY_CLASSIFICATION[c].join(', ')}`,
        );
      }
      const problem = determinationProblem(c, det);
      if (problem) throw new InputError(`${f.base}.determination`, problem);
      update.determination = det;
    }
  } else if (determination) {
    throw new InputError(
      `${f.base}.determination`,
      `${f.base}.determination needs ${f.base}.classification in the same delivery`,
    );
  }

  const ticketId = text(f, 'ticketId', 100) ?? '';
  const comment = text(f, 'comment', 100_000);
  if (comment) update.comment = ticketId ? `[${ticketId}] ${comment}` : comment;
  if (Object.keys(update).length === 0) return { ignored: 'the delivery sets no incident field' };

  const eventKey = text(f, 'id', 256) || deliveryId;
  const occurredText = text(f, 'occurredAt', 64);
  const ts = header(d.headers, 'webhook-timestamp');
  // The event's own time orders it against others (shared/webhooks/eventOrder.ts); webhook-timestamp is only the
  // time of this delivery attempt (a retry has a later one), so it is the fallback of a sender that gives no time.
  const occurredAt = occurredText
    ? isoTime(occurredText, `${f.base}.occurredAt`)
    : envelope
      ? envelope.occurredAt
      : ts !== undefined && /^\d{1,12}$/.test(ts)
        ? new Date(Number(ts) * 1000).toISOString()
        : d.receivedAt.toISOString();
  const actor = text(f, 'actor', 256) || undefined;
  const echo = (actor !== undefined && m.echoActors.has(tableKey(actor))) || hasRiposteMarker(comment);

  return {
    source: 'generic',
    deliveryId,
    eventId: `generic:${eventKey}`,
    ticketId,
    incidentId,
    occurredAt,
    ...(actor !== undefined ? { actor } : {}),
    update,
    echo,
  };
}
