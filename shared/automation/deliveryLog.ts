// Remembers ticket events already accepted, so a redelivered webhook is answered 200 "duplicate" instead of being
// queued again. Correctness does not rest on it (the engine keys every write by the event id); it saves work and
// gives senders the answer they expect.
import { createHash } from 'node:crypto';
import { TableClient } from '@azure/data-tables';

export interface DeliveryLog {
  seen(source: string, eventId: string): Promise<boolean>;
  remember(source: string, eventId: string, details: { deliveryId: string; incidentId: string }): Promise<void>;
}

const rowKey = (eventId: string): string => createHash('sha256').update(eventId).digest('hex');

export function createTableDeliveryLog(connectionString: string, table = 'RiposteDeliveries'): DeliveryLog {
  const insecure = /TableEndpoint=http:|UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(
    connectionString,
  );
  const client = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: insecure });
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
