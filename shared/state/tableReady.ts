// Tables are created on first use, once per process and client; a failed creation is forgotten so the next call
// tries again (the SDK's createTable succeeds when the table already exists).
import type { TableClient } from '@azure/data-tables';

const ready = new WeakMap<TableClient, Promise<void>>();

/** @returns the client once its table exists. */
export async function ensureTable(client: TableClient): Promise<TableClient> {
  let p = ready.get(client);
  if (!p) {
    p = client.createTable();
    ready.set(client, p);
    p.catch(() => ready.delete(client));
  }
  await p;
  return client;
}
