// A webhook delivery, from raw bytes to "queued": verify the signature (before parsing), normalise it with the
// source's mapping, drop echoes of Riposte's own changes, claim the event in the delivery log (so one instance of
// all those receiving it enqueues it), then enqueue. Only an enqueued event is ever answered "accepted".
import { deliveryTenant } from '../tenants/deliveryTenant';
import { AppError, InputError } from '../errors';
import { createKeyedLock, type KeyedLock } from '../keyedLock';
import { isIgnored, parseDelivery, verifyDelivery, WebhookAuthError } from '../webhooks';
import { isWebhookSource, type RawDelivery, type TicketEvent } from '../webhooks/types';
import type { Automation } from '.';
import type { ClaimResult, DeliveryLog } from './deliveryLog';

export type AcceptOutcome =
  | { status: 'accepted'; eventId: string; incidentId: string; warnings?: string[] }
  | { status: 'duplicate'; eventId: string }
  | { status: 'ignored'; reason: string; eventId?: string }
  /** Another instance (or a crashed one, until its claim goes stale) is accepting this event: retry later. */
  | { status: 'inProgress'; eventId: string; retryAfterSeconds: number };

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

type Accepting = Pick<Automation, 'deliveries' | 'ticketQueue' | 'deps'>;

/**
 * Per delivery log (one per instance), acceptances take turns by event. Copies of one event arriving at one instance
 * together (Jira's twins, a sender's hasty retry) wait for each other here, so they are answered "duplicate" as
 * before instead of "in progress"; only copies racing on different instances meet at the claim.
 */
const acceptLocks = new WeakMap<DeliveryLog, KeyedLock>();

/** Claims the event, enqueues it and marks it queued: three storage calls when nothing else is going on. */
async function claimAndEnqueue(automation: Accepting, event: TicketEvent): Promise<AcceptOutcome | 'accepted'> {
  const { deliveries, ticketQueue, deps } = automation;
  let claim: ClaimResult;
  try {
    claim = await deliveries.claim(event.source, event.eventId, {
      deliveryId: event.deliveryId,
      incidentId: event.incidentId,
    });
  } catch (e) {
    throw storageUnavailable(e);
  }
  if (claim.status === 'queued') return { status: 'duplicate', eventId: event.eventId };
  if (claim.status === 'inProgress')
    return { status: 'inProgress', eventId: event.eventId, retryAfterSeconds: claim.retryAfterSeconds };
  if (claim.claim.tookOver)
    deps.logger.warn('[webhook] took over an abandoned delivery claim', { eventId: event.eventId });

  const message: TicketEventMessage = { kind: 'ticketEvent', event, acceptedAt: new Date().toISOString() };
  try {
    await ticketQueue.send(message);
  } catch (e) {
    // Released so the sender's retry is accepted at once rather than after the stale limit. Best effort: if this
    // fails too, the retry is "in progress" until the claim goes stale, then taken over.
    await deliveries
      .release(claim.claim)
      .catch((err: unknown) =>
        deps.logger.warn('[webhook] could not release a delivery claim', { error: String(err) }),
      );
    throw storageUnavailable(e);
  }
  // The message is queued, so the answer is "accepted" whatever happens here. If the mark fails, the row stays
  // "claimed": copies get "in progress" until the stale limit (60 s), then one takes the claim over and queues the
  // event again. The engine keys every write by the event id, so that second copy finds the first one's writes
  // done; only a first copy still being retried by then could race it, the narrow case left when storage fails.
  await deliveries
    .markQueued(claim.claim)
    .catch((e: unknown) => deps.logger.warn('[webhook] could not mark a delivery queued', { error: String(e) }));
  return 'accepted';
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
  // Several tenants: the mapping places the delivery in one; its event id and claim are that tenant's.
  const tenant = deliveryTenant(config.tenants, mapping, JSON.parse(delivery.body.toString('utf8')) as unknown);
  if (tenant !== undefined) {
    parsed.tenant = tenant;
    parsed.eventId = `${tenant}:${parsed.eventId}`;
  }
  if (parsed.echo) return { status: 'ignored', reason: 'echo of a change Riposte made', eventId: parsed.eventId };

  let lock = acceptLocks.get(automation.deliveries);
  if (!lock) acceptLocks.set(automation.deliveries, (lock = createKeyedLock()));
  const claimed = await lock(`${parsed.source}\n${parsed.eventId}`, () => claimAndEnqueue(automation, parsed));
  if (claimed !== 'accepted') return claimed;
  return {
    status: 'accepted',
    eventId: parsed.eventId,
    incidentId: parsed.incidentId,
    ...(parsed.warnings?.length ? { warnings: parsed.warnings } : {}),
  };
}
