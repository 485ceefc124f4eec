// Approvals in Table storage: <prefix>Approvals, PartitionKey "approval", RowKey = the approval id (32 hex). Inserts
// fail on an existing id (409) and replacements carry the ETag (412 when another instance changed it), so a decision
// lands exactly once. The link-signing key, when Key Vault does not provide one, is the row ("key", "signing"):
// 32 random bytes created by whichever instance needs it first (the insert decides; the others read it).
// Outages surface as STORAGE_UNAVAILABLE (503).
import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { ensureTable } from '../state/tableReady';
import { storageOutage } from '../state/tableState';
import type { ApprovalRecord, ApprovalStore, Version } from './types';

const PARTITION = 'approval';

interface Entity {
  json: string;
}

const statusOf = (e: unknown): number | undefined => {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
};

export function createTableApprovalStore(
  tables: { table(name: string): TableClient },
  options: { tablePrefix?: string; signingKey?: () => Promise<Buffer | undefined> } = {},
): ApprovalStore {
  // Built on first use: nothing but an approval needs this table.
  let built: TableClient | undefined;
  const table = (): Promise<TableClient> =>
    ensureTable((built ??= tables.table(`${options.tablePrefix ?? 'Riposte'}Approvals`)));
  const outage = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw storageOutage(e);
    }
  };
  let key: Promise<Buffer> | undefined;
  async function loadKey(): Promise<Buffer> {
    const fromVault = await options.signingKey?.();
    if (fromVault) return fromVault;
    const t = await table();
    try {
      await t.createEntity({ partitionKey: 'key', rowKey: 'signing', value: randomBytes(32).toString('base64') });
    } catch (e) {
      if (statusOf(e) !== 409) throw e;
    }
    const row = await t.getEntity<{ value: string }>('key', 'signing');
    const bytes = Buffer.from(row.value, 'base64');
    if (bytes.length < 32) throw new Error('the stored approval signing key is shorter than 32 bytes');
    return bytes;
  }
  return {
    get: (id) =>
      outage(async () => {
        try {
          const e = await (await table()).getEntity<Entity>(PARTITION, id);
          return { record: JSON.parse(e.json) as ApprovalRecord, version: e.etag };
        } catch (err) {
          if (statusOf(err) === 404) return undefined;
          throw err;
        }
      }),
    create: (record) =>
      outage(async () => {
        try {
          const r = await (
            await table()
          ).createEntity({ partitionKey: PARTITION, rowKey: record.id, json: JSON.stringify(record) });
          return (r.etag ?? '*') as Version;
        } catch (err) {
          if (statusOf(err) === 409) return undefined;
          throw err;
        }
      }),
    replace: (record, version) =>
      outage(async () => {
        try {
          const r = await (
            await table()
          ).updateEntity({ partitionKey: PARTITION, rowKey: record.id, json: JSON.stringify(record) }, 'Replace', {
            etag: version,
          });
          return (r.etag ?? '*') as Version;
        } catch (err) {
          const s = statusOf(err);
          if (s === 412 || s === 404) return undefined;
          throw err;
        }
      }),
    signingKey: () =>
      outage(() => {
        key ??= loadKey().catch((e: unknown) => {
          key = undefined;
          throw e;
        });
        return key;
      }),
  };
}
