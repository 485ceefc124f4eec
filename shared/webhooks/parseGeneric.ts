// The generic JSON source: a documented shape rather than a vendor's (mappings/README.md).
//   { id?, incidentId, status?, assignedTo?, classification?, determination?, comment?, ticketId?, occurredAt?, actor? }
// Enum values are accepted in any case and spacing ("In Progress", "FALSE_POSITIVE"). Unknown keys are refused so
// a typo ("assignee") is a 400, not a silent no-op. null means "not given"; "" in assignedTo unassigns.
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
import { header } from './readBody';
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

function text(body: Record<string, unknown>, key: string, maxLength: number): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError(`body.${key}`, `body.${key} must be a string`);
  if (v.length > maxLength) throw new InputError(`body.${key}`, `body.${key} must be at most ${maxLength} characters`);
  return v.trim();
}

/** See parseDelivery. `body` is the already-parsed JSON object. */
export function parseGeneric(
  d: RawDelivery,
  body: Record<string, unknown>,
  m: GenericMapping,
): TicketEvent | IgnoredDelivery {
  for (const key of Object.keys(body)) {
    if (!(GENERIC_FIELDS as readonly string[]).includes(key)) {
      throw new InputError(`body.${key}`, `body.${key} is not a known field; use: ${GENERIC_FIELDS.join(', ')}`);
    }
  }
  const deliveryId = header(d.headers, 'webhook-id');
  if (deliveryId === undefined) throw new InputError('headers.webhook-id', 'Missing webhook-id header');

  const rawId = body.incidentId;
  const idText = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  if (typeof idText !== 'string' || !/^\s*\d{1,19}\s*$/.test(idText) || /^\s*0+\s*$/.test(idText)) {
    throw new InputError('body.incidentId', 'body.incidentId is required: the Defender incident id (digits only)');
  }
  const incidentId = idText.trim().replace(/^0+/, '');

  const update: IncidentUpdate = {};
  const status = text(body, 'status', 100);
  if (status) {
    const s = m.statusAliases.get(tableKey(status)) ?? parseSettableStatus(status);
    if (!s) {
      const aliases = [...m.statusAliases.keys()];
      throw new InputError(
        'body.status',
        `body.status ${quote(status)} is not valid; use one of: ${[...SETTABLE_STATUSES, ...aliases].join(', ')}`,
      );
    }
    update.status = s;
  }
  const assignedTo = text(body, 'assignedTo', 256);
  if (assignedTo !== undefined) update.assignedTo = assignedTo;
  const classification = text(body, 'classification', 100);
  const determination = text(body, 'determination', 100);
  if (classification) {
    const c = parseClassification(classification);
    if (!c) {
      throw new InputError(
        'body.classification',
        `body.classification ${quote(classification)} is not valid; use one of: ${Object.keys(DETERMINATIONS_BY_CLASSIFICATION).join(', ')}`,
      );
    }
    update.classification = c;
    if (determination) {
      const det = parseDetermination(determination);
      if (!det) {
        throw new InputError(
          'body.determination',
          `body.determination ${quote(determination)} is not valid; use one of: ${DETERMINATIONS_BY_CLASSIFICATION[c].join(', ')}`,
        );
      }
      const problem = determinationProblem(c, det);
      if (problem) throw new InputError('body.determination', problem);
      update.determination = det;
    }
  } else if (determination) {
    throw new InputError('body.determination', 'body.determination needs body.classification in the same delivery');
  }

  const ticketId = text(body, 'ticketId', 100) ?? '';
  const comment = text(body, 'comment', 100_000);
  if (comment) update.comment = ticketId ? `[${ticketId}] ${comment}` : comment;
  if (Object.keys(update).length === 0) return { ignored: 'the delivery sets no incident field' };

  const eventKey = text(body, 'id', 256) || deliveryId;
  const occurredText = text(body, 'occurredAt', 64);
  const ts = header(d.headers, 'webhook-timestamp');
  const occurredAt = occurredText
    ? isoTime(occurredText, 'body.occurredAt')
    : ts !== undefined && /^\d{1,12}$/.test(ts)
      ? new Date(Number(ts) * 1000).toISOString()
      : d.receivedAt.toISOString();
  const actor = text(body, 'actor', 256) || undefined;
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
