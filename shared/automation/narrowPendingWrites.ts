// An interrupted ticket-sync run (crash or lost connection between the engine's claim of a write and its PATCH)
// leaves a pending write whose intent is the update that run meant to make. The engine finishes it later without
// knowing about ticket order: at once on that event's own retry, or in any ticket-sync run once the write's lease
// (10 minutes) has ended (shared/engine/replayWrites.ts). By then a newer ticket event may have set those fields, and
// finishing the old intent would undo it. So, under the incident lease and before applying, every pending
// ticket-sync write on the incident is narrowed to the fields whose stamp its own event still holds; the rest are
// dropped from its intent. Its comment always stays (comments only add).
// Left: a replay that has already claimed the write (another run is finishing it this very moment) cannot be
// narrowed; the compare-and-swap fails and this is logged.
import type { IncidentUpdate } from '../defender/types';
import type { Logger } from '../logger';
import type { ClockEntry } from '../state/ticketEventClock';
import type { StateStore } from '../state/types';

/** Intent fields by clock field (shared/webhooks/eventOrder.ts); a link tag only adds, so it is never narrowed. */
const INTENT_FIELDS: ReadonlyArray<[clock: string, fields: ReadonlyArray<keyof IncidentUpdate>]> = [
  ['status', ['status']],
  ['assignedTo', ['assignedTo']],
  ['verdict', ['classification', 'determination']],
];

/** The idempotency key applyTicketEvent gives a run: `<source>:<event id>`. */
const eventKeyOf = (entry: ClockEntry): string =>
  `${entry.ticket.slice(0, entry.ticket.indexOf(':'))}:${entry.eventId}`;

/** The run's idempotency key in a delivery write key `<workflow>/d/<key>/<step>/<incident>` (writeGuard.ts). */
function idempotencyKeyOf(writeKey: string, workflow: string, incidentId: string): string | undefined {
  const prefix = `${workflow}/d/`;
  const suffix = `/${incidentId}`;
  if (!writeKey.startsWith(prefix) || !writeKey.endsWith(suffix)) return undefined;
  const beforeStep = writeKey.lastIndexOf('/', writeKey.length - suffix.length - 1);
  return beforeStep > prefix.length ? writeKey.slice(prefix.length, beforeStep) : undefined;
}

function parseIntent(json: string | undefined): { update?: IncidentUpdate; comment?: string } | undefined {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as { update?: IncidentUpdate }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param stamps - the incident's field stamps, as just recorded by the caller (who holds the incident lease).
 * @returns how many pending writes were narrowed.
 */
export async function narrowPendingWrites(
  state: StateStore,
  workflow: string,
  incidentId: string,
  stamps: Readonly<Record<string, ClockEntry>>,
  logger: Logger,
): Promise<number> {
  let narrowed = 0;
  for (const { record, version } of await state.listPendingWrites(workflow)) {
    if (record.incidentId !== incidentId) continue;
    const key = idempotencyKeyOf(record.key, workflow, incidentId);
    const intent = parseIntent(record.intent);
    if (key === undefined || !intent?.update) continue;
    const update: IncidentUpdate = { ...intent.update };
    const dropped: string[] = [];
    for (const [clockField, fields] of INTENT_FIELDS) {
      const stamp = stamps[clockField];
      if (stamp === undefined || eventKeyOf(stamp) === key) continue;
      if (!fields.some((f) => update[f] !== undefined)) continue;
      for (const f of fields) delete update[f];
      dropped.push(clockField);
    }
    if (dropped.length === 0) continue;
    const replaced = await state.replaceWrite(
      workflow,
      { ...record, intent: JSON.stringify({ ...intent, update }) },
      version,
    );
    const props = { incidentId, writeKey: record.key, droppedFields: dropped };
    if (replaced === undefined) {
      logger.warn('[ticket-sync] could not narrow a pending write (another run is finishing it now)', props);
      continue;
    }
    narrowed++;
    logger.info('[ticket-sync] narrowed a pending write to the fields no newer event has set', props);
  }
  return narrowed;
}
