// Remembers ticket events already accepted, so a redelivered webhook is answered 200 "duplicate" instead of being
// queued again. Correctness does not rest on it (the engine keys every write by the event id); it saves work and
// gives senders the answer they expect.
import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { storageClientsFromConnectionString, type StorageClients } from './storageClients';

export interface DeliveryLog {
  seen(source: string, eventId: string): Promise<boolean>;
  remember(source: string, eventId: string, details: { deliveryId: string; incidentId: string }): Promise<void>;
}

const rowKey = (eventId: string): string => createHash('sha256').update(eventId).digest('hex');

/** @param storage - a connection string, or clients from storageClients (identity-based storage). */
export function createTableDeliveryLog(
  storage: string | Pick<StorageClients, 'table'>,
  table = 'RiposteDeliveries',
): DeliveryLog {
  const clients = typeof storage === 'string' ? storageClientsFromConnectionString(storage) : storage;
  const client: TableClient = clients.table(table);
  let ready: Promise<void> | undefined;
  const ensure = async (): Promise<void> => {
    ready ??= client.createTable().catch((e: unknown) => {
      ready = undefined;
      throw e;
    });
    await ready;
  };
  return {
    async seen(source, eventId) {
      await ensure();
      try {
        await client.getEntity(source, rowKey(eventId));
        return true;
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) return false;
        throw e;
      }
    },
    async remember(source, eventId, details) {
      await ensure();
      await client.upsertEntity(
        { partitionKey: source, rowKey: rowKey(eventId), eventId, ...details, acceptedAt: new Date().toISOString() },
        'Replace',
      );
    },
  };
}

export function createMemoryDeliveryLog(): DeliveryLog {
  const seen = new Set<string>();
  return {
    seen: async (source, eventId) => seen.has(`${source}\n${eventId}`),
    remember: async (source, eventId) => {
      seen.add(`${source}\n${eventId}`);
    },
  };
}
