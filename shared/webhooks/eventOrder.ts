// Ordering of ticket events per incident field. Jira retries deliveries up to ~30 min late and promises no order
// (integration-conventions.md §4.2); Standard Webhooks senders retry for days (§3.3); two tickets may be linked to
// one incident. So each field an event sets carries the event's stamp, and an event older than the stamp last
// recorded for a field does not change that field (the store is shared/state/ticketEventClock.ts).
//
// Fields ("clock fields"), each ordered on its own so a late event's fresh parts still apply:
// - `status`;
// - `assignedTo`;
// - `verdict`: classification and determination, always sent together (a determination needs its classification);
// - `link:<ticket id, lower case>`: the `ticket:<id>` tag ticket-sync adds, one field per ticket, so two tickets
//   never order against each other's link.
// Comments are not clock fields: each is its own event, deduplicated by id, and adding an older comment later
// overwrites nothing (the incident's comment list is append-only and shows each comment's own time).
//
// Order of two stamps: event time first; at an equal time, the ticket's own sequence (Jira changelog id, ServiceNow
// sys_mod_count) when both events are from the same ticket and carry one; otherwise the event id, compared as text.
// The last rule only makes the order total and deterministic (whichever order two same-millisecond events from
// different tickets arrive in, the same one wins); it does not claim to know which change happened later.
import type { ClockEntry } from '../state/ticketEventClock';
import type { TicketEvent } from './types';

export type ClockField = 'status' | 'assignedTo' | 'verdict' | `link:${string}`;

/** The clock field of a ticket's link tag. */
export const linkField = (ticketId: string): ClockField => `link:${ticketId.toLowerCase()}`;

/** The clock fields an event would change (its comment is never one). */
export function clockFieldsOf(event: TicketEvent): ClockField[] {
  const u = event.update;
  const fields: ClockField[] = [];
  if (u.status !== undefined) fields.push('status');
  if (u.assignedTo !== undefined) fields.push('assignedTo');
  if (u.classification !== undefined || u.determination !== undefined) fields.push('verdict');
  if (event.ticketId !== '') fields.push(linkField(event.ticketId));
  return fields;
}

/** What gets recorded for each field an event applies. */
export function stampOf(event: TicketEvent): ClockEntry {
  return {
    at: event.occurredAt,
    ticket: `${event.source}:${event.ticketId}`,
    eventId: event.eventId,
    ...(event.sequence !== undefined && /^\d{1,30}$/.test(event.sequence) ? { seq: event.sequence } : {}),
  };
}

/** Digit strings as numbers of any length ("10" > "9"). */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** @returns < 0 when `a` is older than `b`, 0 for the same event, > 0 when newer (see the file comment). */
export function compareStamps(a: ClockEntry, b: ClockEntry): number {
  const ta = Date.parse(a.at);
  const tb = Date.parse(b.at);
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.ticket === b.ticket && a.seq !== undefined && b.seq !== undefined) {
    const bySeq = compareDigits(a.seq, b.seq);
    if (bySeq !== 0) return bySeq;
  }
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

export interface StaleSplit {
  /** Fields to apply (and record) now. */
  fresh: ClockField[];
  /** Fields an event newer than this one has already set: not applied. */
  stale: ClockField[];
  /** For each stale field, the event that set it. */
  newer: Record<string, string>;
}

/**
 * Splits the event's clock fields by what is recorded. A field recorded by this very event (an earlier attempt that
 * recorded, then failed or crashed) is fresh: the retry applies it.
 */
export function splitStale(event: TicketEvent, recorded: Readonly<Record<string, ClockEntry>>): StaleSplit {
  const stamp = stampOf(event);
  const split: StaleSplit = { fresh: [], stale: [], newer: {} };
  for (const f of clockFieldsOf(event)) {
    const r = recorded[f];
    if (r !== undefined && compareStamps(stamp, r) < 0) {
      split.stale.push(f);
      split.newer[f] = r.eventId;
    } else {
      split.fresh.push(f);
    }
  }
  return split;
}

/** The event without its stale fields (a stale link drops the ticket id, which only names the tag). */
export function withoutFields(event: TicketEvent, stale: readonly ClockField[]): TicketEvent {
  if (stale.length === 0) return event;
  const update = { ...event.update };
  if (stale.includes('status')) delete update.status;
  if (stale.includes('assignedTo')) delete update.assignedTo;
  if (stale.includes('verdict')) {
    delete update.classification;
    delete update.determination;
  }
  const dropLink = event.ticketId !== '' && stale.includes(linkField(event.ticketId));
  return { ...event, update, ...(dropLink ? { ticketId: '' } : {}) };
}

/** True when the event still changes something: a clock field or a comment. */
export function changesAnything(event: TicketEvent): boolean {
  return event.ticketId !== '' || Object.values(event.update).some((v) => v !== undefined);
}
