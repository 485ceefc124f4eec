// The delivery log's claim protocol (deliveryLog.ts) in memory, for one process: the CLI and unit tests.
import { randomUUID } from 'node:crypto';
import {
  claimed,
  DEFAULT_STALE_AFTER_MS,
  judgeExisting,
  type DeliveryLog,
  type DeliveryLogOptions,
  type DeliveryOutcome,
  type StoredState,
} from './deliveryLog';

export interface MemoryDeliveryLog extends DeliveryLog {
  /** The outcome recorded for an event, for assertions. */
  outcome(source: string, eventId: string): DeliveryOutcome | undefined;
}

/** Versions stand in for ETags. */
export function createMemoryDeliveryLog(options: DeliveryLogOptions = {}): MemoryDeliveryLog {
  const rows = new Map<string, StoredState & { version: string; outcome?: DeliveryOutcome }>();
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const now = options.now ?? (() => new Date());
  let versions = 0;
  const keyOf = (source: string, eventId: string): string => `${source}\n${eventId}`;
  const write = (key: string, row: StoredState): string => {
    const version = String(++versions);
    rows.set(key, { ...row, version });
    return version;
  };
  return {
    async claim(source, eventId) {
      const key = keyOf(source, eventId);
      const token = randomUUID();
      const fresh = (): StoredState => ({ state: 'claimed', claimedAt: now().toISOString(), claimToken: token });
      const row = rows.get(key);
      if (!row) return claimed(source, eventId, token, write(key, fresh()), false);
      const judged = judgeExisting(row, token, now(), staleAfterMs);
      if (judged.kind === 'queued') return { status: 'queued' };
      if (judged.kind === 'inProgress') return { status: 'inProgress', retryAfterSeconds: judged.retryAfterSeconds };
      return claimed(source, eventId, token, write(key, fresh()), judged.kind === 'stale');
    },
    async markQueued(claim) {
      const key = keyOf(claim.source, claim.eventId);
      const row = rows.get(key);
      if (row?.version !== claim.version) throw new Error('The delivery claim was taken over (version changed)');
      write(key, { ...row, state: 'queued' });
    },
    async release(claim) {
      const key = keyOf(claim.source, claim.eventId);
      if (rows.get(key)?.version === claim.version) rows.delete(key);
    },
    outcome: (source, eventId) => rows.get(keyOf(source, eventId))?.outcome,
    async recordOutcome(source, eventId, outcome) {
      const key = keyOf(source, eventId);
      const row = rows.get(key);
      // Same version: a claimant's markQueued still matches, as the Table log's re-read makes it.
      rows.set(key, { ...row, version: row?.version ?? String(++versions), state: 'queued', outcome });
    },
    seen: async (source, eventId) => {
      const row = rows.get(keyOf(source, eventId));
      return row !== undefined && row.state !== 'claimed';
    },
  };
}
