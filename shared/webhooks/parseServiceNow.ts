// ServiceNow has no fixed webhook payload (webhooks-and-host.md §2.1): an async business rule posts the record's
// fields as JSON (mappings/README.md shows the script). When it also sends the names of the fields that changed
// (`changed_fields` by default), only those are applied; otherwise every mapped field in the payload is. While the
// record is resolved, its resolution code and notes (close_code, close_notes) join the journals in the comment.
import { InputError } from '../errors';
import { hasRiposteMarker, latestJournalEntry } from './commentText';
import { getPath, tableKey, textAt, topField } from './fieldPath';
import { findIncidentId, mapTicketFields, statusNow, type RecordContext } from './mapTicketFields';
import { isoTime } from './parseTime';
import { header, isRecord } from './readBody';
import type { IgnoredDelivery, RawDelivery, ServiceNowMapping, TicketEvent } from './types';

function changedSet(body: Record<string, unknown>, m: ServiceNowMapping): Set<string> | undefined {
  if (!m.changedFieldsField) return undefined;
  const v = getPath(body, m.changedFieldsField);
  if (v === undefined || v === null) return undefined;
  const where = `body.${m.changedFieldsField}`;
  // A rule may send an array or GlideRecord's comma-separated text.
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list) || !list.every((f) => typeof f === 'string')) {
    throw new InputError(where, `${where} must be a list of field names`);
  }
  return new Set(list.map((f) => f.trim()).filter((f) => f !== ''));
}

/**
 * "Resolution code: …" and "Resolution notes: …" (ServiceNow's form labels for close_code and close_notes) while the
 * record's mapped status is resolved and its status, code or notes changed in this update; undefined otherwise.
 */
function resolution(m: ServiceNowMapping, ctx: RecordContext, changed: Set<string> | undefined): string | undefined {
  const rule = m.resolution;
  if (!rule || statusNow(m, ctx)?.status !== 'resolved') return undefined;
  const watched = [m.status?.field, rule.notesField, rule.codeField].filter((f): f is string => f !== undefined);
  if (changed && !watched.some((f) => changed.has(topField(f)))) return undefined;
  const read = (field: string | undefined): string => {
    if (field === undefined) return '';
    const v = textAt(ctx.record, field, `${ctx.base}.${field}`);
    return typeof v === 'string' ? v.trim() : '';
  };
  const code = read(rule.codeField);
  const notes = read(rule.notesField);
  // The label: the mapping's, else the Table API's display value (sysparm_display_value=all), else the value.
  const raw = rule.codeField !== undefined ? getPath(ctx.record, rule.codeField) : undefined;
  const shown =
    isRecord(raw) && typeof raw.display_value === 'string' && raw.display_value.trim() !== ''
      ? raw.display_value.trim()
      : code;
  const lines = [
    ...(code !== '' ? [`Resolution code: ${rule.codeLabels.get(tableKey(code)) ?? shown}`] : []),
    ...(notes !== '' ? [`Resolution notes: ${notes}`] : []),
  ];
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** See parseDelivery. `body` is the already-parsed JSON object. */
export function parseServiceNow(
  d: RawDelivery,
  body: Record<string, unknown>,
  m: ServiceNowMapping,
): TicketEvent | IgnoredDelivery {
  const deliveryId = header(d.headers, 'webhook-id');
  if (deliveryId === undefined) throw new InputError('headers.webhook-id', 'Missing webhook-id header');
  const ticketWhere = `body.${m.ticketIdField}`;
  const ticketId = textAt(body, m.ticketIdField, ticketWhere);
  if (typeof ticketId !== 'string' || ticketId.length > 100) {
    throw new InputError(ticketWhere, `${ticketWhere} (the ticket number) is required, at most 100 characters`);
  }
  const recordType = m.recordTypeField ? textAt(body, m.recordTypeField, `body.${m.recordTypeField}`) : undefined;
  const changed = changedSet(body, m);
  const ctx = {
    record: body,
    base: 'body',
    file: m.file,
    ...(changed ? { changed: (f: string) => changed.has(f) } : {}),
    ...(typeof recordType === 'string' ? { recordType: tableKey(recordType) } : {}),
  };

  const incidentId = findIncidentId(m.incidentId, ctx);
  if (incidentId === undefined)
    return { ignored: `ServiceNow record ${ticketId} is not linked to a Defender incident` };

  const { update, warnings } = mapTicketFields(m, ctx);
  const notes: string[] = [];
  for (const f of m.commentFields) {
    if (changed && !changed.has(topField(f))) continue;
    const value = textAt(body, f, `body.${f}`);
    if (typeof value !== 'string') continue;
    const entry = latestJournalEntry(value);
    if (entry !== '') notes.push(entry);
  }
  const resolutionText = resolution(m, ctx, changed);
  if (resolutionText !== undefined) notes.push(resolutionText);
  if (notes.length > 0) update.comment = `[${ticketId}] ${notes.join('\n\n')}`;
  if (Object.keys(update).length === 0) {
    return { ignored: warnings[0] ? warnings.join('; ') : `no mapped field of ${ticketId} changed` };
  }

  const when = textAt(body, m.occurredAtField, `body.${m.occurredAtField}`);
  const ts = header(d.headers, 'webhook-timestamp');
  const occurredAt =
    typeof when === 'string'
      ? isoTime(when, `body.${m.occurredAtField}`)
      : ts !== undefined && /^\d{1,12}$/.test(ts)
        ? new Date(Number(ts) * 1000).toISOString()
        : d.receivedAt.toISOString();

  // sys_id + sys_mod_count name one version of the record, whatever id the rule put in webhook-id.
  const sysId = textAt(body, 'sys_id', 'body.sys_id');
  const modCount = textAt(body, 'sys_mod_count', 'body.sys_mod_count');
  const eventId =
    typeof sysId === 'string' && typeof modCount === 'string'
      ? `servicenow:${sysId}:${modCount}`
      : `servicenow:${deliveryId}`;

  const actorValue = textAt(body, m.actorField, `body.${m.actorField}`);
  const actor = typeof actorValue === 'string' ? actorValue : undefined;
  const echo = (actor !== undefined && m.echoActors.has(tableKey(actor))) || notes.some((n) => hasRiposteMarker(n));

  return {
    source: 'servicenow',
    deliveryId,
    eventId,
    ticketId,
    incidentId,
    occurredAt,
    // sys_updated_on has whole seconds; sys_mod_count orders two updates of the record within one second.
    ...(typeof modCount === 'string' && /^\d{1,30}$/.test(modCount) ? { sequence: modCount } : {}),
    ...(actor !== undefined ? { actor } : {}),
    update,
    echo,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
