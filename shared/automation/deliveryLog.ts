// The delivery log is what makes webhook acceptance happen once across Function App instances: before enqueueing,
// an instance claims the event with an insert (the table's key is the event id, so only one insert can win), and
// marks it queued once the message is on the queue. A second delivery of the same event, on any instance, finds
// the row: queued → "duplicate"; claimed a moment ago → "in progress" (the sender retries later); claimed long ago
// (the claimant crashed before enqueueing) → taken over with an ETag-conditional update, so only one taker wins.
// Correctness rests on this: the engine keys writes by the event id, but its write guard lets the same owner
// ("d:<event id>") take over a pending write at once, so two queued copies of one event processed together could
// apply a change twice (a comment posted twice). One claim per event means one queued copy.
import { createHash, randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { storageClientsFromConnectionString, type StorageClients } from './storageClients';
import { ensureTable } from '../state/tableReady';

export interface DeliveryDetails {
  deliveryId: string;
  incidentId: string;
}

/** This caller's hold on an event: pass it back to markQueued or release. */
export interface DeliveryClaim {
  readonly source: string;
  readonly eventId: string;
  readonly token: string;
  /** The row version the claim wrote (an ETag in Table storage): later writes are conditional on it. */
  readonly version: string;
  /** True when an abandoned claim (older than the stale limit) was taken over. */
  readonly tookOver: boolean;
}

/** What applying a queued event did, kept on its delivery-log row for operators (Storage Explorer, az storage). */
export interface DeliveryOutcome {
  /** `stale`: at least one field was skipped because a newer ticket event had already set it. */
  outcome: 'applied' | 'stale';
  /** Clock fields applied (status, assignedTo, verdict, link:<ticket>); see shared/webhooks/eventOrder.ts. */
  appliedFields: readonly string[];
  skippedFields: readonly string[];
  /** For each skipped field, the newer event that had set it. */
  newerEvents: Readonly<Record<string, string>>;
  runId?: string;
}

export type ClaimResult =
  | { status: 'claimed'; claim: DeliveryClaim }
  | { status: 'queued' }
  | { status: 'inProgress'; retryAfterSeconds: number };

export interface DeliveryLog {
  /**
   * Claims the event for this caller unless it is already queued or being queued by someone else.
   * @throws when storage fails (the caller answers 503).
   */
  claim(source: string, eventId: string, details: DeliveryDetails): Promise<ClaimResult>;
  /**
   * Records that the claimed event is on the queue.
   * @throws when the row changed since the claim (taken over as stale) or storage fails.
   */
  markQueued(claim: DeliveryClaim): Promise<void>;
  /** Deletes the claim (the message was not queued), unless someone else has taken it over since. */
  release(claim: DeliveryClaim): Promise<void>;
  /** Whether the event is recorded as queued. */
  seen(source: string, eventId: string): Promise<boolean>;
  /**
   * Records what applying the event did. The row is marked queued too: the event was on the queue, even when the
   * accepting instance has not marked it yet (markQueued then finds its own claim already queued).
   */
  recordOutcome(source: string, eventId: string, outcome: DeliveryOutcome): Promise<void>;
}

export interface DeliveryLogOptions {
  /**
   * A claim older than this is taken to be abandoned (its instance crashed between claim and enqueue) and may be
   * taken over. Claim to queued takes a few storage round trips (milliseconds), so 60 s leaves ample margin for a
   * slow storage call and modest clock skew between instances (default 60 000).
   */
  staleAfterMs?: number;
  now?: () => Date;
}

export const DEFAULT_STALE_AFTER_MS = 60_000;
/** A claim in progress normally ends within milliseconds; a few seconds lets the retry find it queued. */
const IN_PROGRESS_RETRY_AFTER_S = 5;

/** The row key for an event id (event ids may hold characters Table keys forbid, such as '/' and '#'). */
export const deliveryRowKey = (eventId: string): string => createHash('sha256').update(eventId).digest('hex');

export interface StoredState {
  /** Absent on rows written before claims existed: those were written after enqueueing, i.e. queued. */
  state?: string;
  claimedAt?: string;
  claimToken?: string;
}

type Existing =
  { kind: 'queued' } | { kind: 'mine' } | { kind: 'stale' } | { kind: 'inProgress'; retryAfterSeconds: number };

/** What a second claimant makes of a row it found: pure, shared by the Table and memory logs. */
export function judgeExisting(row: StoredState, token: string, now: Date, staleAfterMs: number): Existing {
  if (row.state !== 'claimed') return { kind: 'queued' };
  // Our own insert, whose answer was lost and retried by the SDK (a 409 on the retry of our own insert).
  if (row.claimToken === token) return { kind: 'mine' };
  const claimedAt = Date.parse(row.claimedAt ?? '');
  const age = Number.isNaN(claimedAt) ? Infinity : now.getTime() - claimedAt;
  if (age >= staleAfterMs) return { kind: 'stale' };
  const untilStale = Math.ceil((staleAfterMs - age) / 1000);
  return { kind: 'inProgress', retryAfterSeconds: Math.max(1, Math.min(IN_PROGRESS_RETRY_AFTER_S, untilStale)) };
}

/** A won claim, from either log. */
export const claimed = (
  source: string,
  eventId: string,
  token: string,
  version: string,
  tookOver: boolean,
): ClaimResult => ({ status: 'claimed', claim: { source, eventId, token, version, tookOver } });

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

/** How many times a claim starts over when the row vanishes under it (released by a claimant whose send failed). */
const CLAIM_ATTEMPTS = 3;

/**
 * @param storage - a connection string, or clients from storageClients (identity-based storage).
 * @param table - the table name (default RiposteDeliveries).
 */
export function createTableDeliveryLog(
  storage: string | Pick<StorageClients, 'table'>,
  table = 'RiposteDeliveries',
  options: DeliveryLogOptions = {},
): DeliveryLog {
  const clients = typeof storage === 'string' ? storageClientsFromConnectionString(storage) : storage;
  const client: TableClient = clients.table(table);
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const now = options.now ?? (() => new Date());
  const ensure = async (): Promise<void> => {
    await ensureTable(client);
  };

  return {
    async claim(source, eventId, details) {
      await ensure();
      const key = { partitionKey: source, rowKey: deliveryRowKey(eventId) };
      const token = randomUUID();
      for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
        const entity = {
          ...key,
          eventId,
          ...details,
          state: 'claimed',
          claimedAt: now().toISOString(),
          claimToken: token,
        };
        try {
          const created = await client.createEntity(entity);
          return claimed(source, eventId, token, created.etag ?? '', false);
        } catch (e) {
          if (statusOf(e) !== 409) throw e;
        }
        let row: StoredState & { etag: string };
        try {
          row = await client.getEntity<StoredState>(key.partitionKey, key.rowKey);
        } catch (e) {
          if (statusOf(e) === 404) continue; // released between our insert and our read: insert again
          throw e;
        }
        const judged = judgeExisting(row, token, now(), staleAfterMs);
        switch (judged.kind) {
          case 'queued':
            return { status: 'queued' };
          case 'inProgress':
            return { status: 'inProgress', retryAfterSeconds: judged.retryAfterSeconds };
          case 'mine':
            return claimed(source, eventId, token, row.etag, false);
          case 'stale':
            try {
              const taken = await client.updateEntity(entity, 'Replace', { etag: row.etag });
              return claimed(source, eventId, token, taken.etag ?? '', true);
            } catch (e) {
              // 412: another instance took it over first; 404: released meanwhile. Either way it is theirs now.
              if (statusOf(e) === 412 || statusOf(e) === 404)
                return { status: 'inProgress', retryAfterSeconds: IN_PROGRESS_RETRY_AFTER_S };
              throw e;
            }
        }
      }
      return { status: 'inProgress', retryAfterSeconds: IN_PROGRESS_RETRY_AFTER_S };
    },

    async markQueued(claim) {
      const rowKey = deliveryRowKey(claim.eventId);
      try {
        await client.updateEntity(
          { partitionKey: claim.source, rowKey, state: 'queued', acceptedAt: now().toISOString() },
          'Merge',
          { etag: claim.version },
        );
      } catch (e) {
        if (statusOf(e) !== 412) throw e;
        // The queue consumer may apply the event, and record its outcome (and "queued"), before we get here.
        const row = await client.getEntity<StoredState>(claim.source, rowKey);
        if (row.state === 'queued' && row.claimToken === claim.token) return;
        throw e;
      }
    },

    async release(claim) {
      try {
        await client.deleteEntity(claim.source, deliveryRowKey(claim.eventId), { etag: claim.version });
      } catch (e) {
        // Already gone, or taken over by someone else: not ours to delete.
        if (statusOf(e) === 404 || statusOf(e) === 412) return;
        throw e;
      }
    },

    async recordOutcome(source, eventId, o) {
      await ensure();
      await client.upsertEntity(
        {
          partitionKey: source,
          rowKey: deliveryRowKey(eventId),
          eventId,
          state: 'queued',
          outcome: o.outcome,
          appliedFields: o.appliedFields.join(','),
          skippedFields: o.skippedFields.join(','),
          newerEvents: JSON.stringify(o.newerEvents),
          ...(o.runId !== undefined ? { runId: o.runId } : {}),
          outcomeAt: now().toISOString(),
        },
        'Merge',
      );
    },

    async seen(source, eventId) {
      await ensure();
      try {
        const row = await client.getEntity<StoredState>(source, deliveryRowKey(eventId));
        return row.state !== 'claimed';
      } catch (e) {
        if (statusOf(e) === 404) return false;
        throw e;
      }
    },
  };
}
