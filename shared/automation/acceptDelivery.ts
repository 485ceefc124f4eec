// A webhook delivery, from raw bytes to "queued": verify the signature (before parsing), normalise it with the
// source's mapping, drop echoes of Riposte's own changes and repeats of accepted events, then enqueue. Only an
// enqueued event is ever answered "accepted".
import { AppError, InputError } from '../errors';
import { isIgnored, parseDelivery, verifyDelivery, WebhookAuthError } from '../webhooks';
import { isWebhookSource, type RawDelivery, type TicketEvent } from '../webhooks/types';
import type { Automation } from '.';

export type AcceptOutcome =
  | { status: 'accepted'; eventId: string; incidentId: string; warnings?: string[] }
  | { status: 'duplicate'; eventId: string }
  | { status: 'ignored'; reason: string; eventId?: string };

/** The message put on the ticket-event queue. */
export interface TicketEventMessage {
  kind: 'ticketEvent';
  event: TicketEvent;
  acceptedAt: string;
}

/**
 * Storage trouble becomes a 503 (with Retry-After) so the sender retries later instead of losing the delivery; its
 * own code, so nobody goes looking for a Defender outage.
 */
function storageUnavailable(cause: unknown): AppError {
  return new AppError('STORAGE_UNAVAILABLE', 'Storage is unavailable: the delivery was not accepted; retry later', {
    cause,
  });
}

export async function acceptDelivery(
  automation: Pick<Automation, 'mappings' | 'webhookSecrets' | 'deliveries' | 'ticketQueue' | 'deps'>,
  delivery: RawDelivery,
): Promise<AcceptOutcome> {
  const { config } = automation.deps;
  await verifyDelivery(delivery, automation.webhookSecrets, {
    now: delivery.receivedAt,
    toleranceSeconds: config.webhookToleranceSeconds,
  });
  // verifyDelivery refuses unknown sources, so the mapping lookup below only misses when a mapping file is absent.
  if (!isWebhookSource(delivery.source)) throw new WebhookAuthError('unknown-source', 'Unknown webhook source');
  const mapping = automation.mappings.get(delivery.source);
  if (!mapping)
    throw new InputError(
      'source',
      `No mapping file for source '${delivery.source}' (mappings/${delivery.source}.yaml)`,
    );
  const parsed = parseDelivery(delivery, mapping);
  if (isIgnored(parsed)) return { status: 'ignored', reason: parsed.ignored };
  if (parsed.echo) return { status: 'ignored', reason: 'echo of a change Riposte made', eventId: parsed.eventId };

  let seen: boolean;
  try {
    seen = await automation.deliveries.seen(parsed.source, parsed.eventId);
  } catch (e) {
    throw storageUnavailable(e);
  }
  if (seen) return { status: 'duplicate', eventId: parsed.eventId };

  const message: TicketEventMessage = { kind: 'ticketEvent', event: parsed, acceptedAt: new Date().toISOString() };
  try {
    await automation.ticketQueue.send(message);
  } catch (e) {
    throw storageUnavailable(e);
  }
  // Remembered after enqueueing: a crash in between only risks a second queued copy, which the engine's
  // idempotency key (the event id) applies once.
  await automation.deliveries
    .remember(parsed.source, parsed.eventId, { deliveryId: parsed.deliveryId, incidentId: parsed.incidentId })
    .catch((e: unknown) => automation.deps.logger.warn('[webhook] could not record delivery', { error: String(e) }));
  return {
    status: 'accepted',
    eventId: parsed.eventId,
    incidentId: parsed.incidentId,
    ...(parsed.warnings?.length ? { warnings: parsed.warnings } : {}),
  };
}
