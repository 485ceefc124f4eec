// The shared quota's Table row: PartitionKey = tenant id, RowKey = API family ("incidents", "hunting"), in
// <prefix>Quota. The state is one JSON property (numbers as JSON keep their type; a few KB at most) beside who wrote
// it last. Reads return the ETag; writes carry it (If-Match) or insert when there is no row yet, so a write based on
// a state another instance has since changed fails (412 / 409) and is redone on the fresh state.
import type { TableClient } from '@azure/data-tables';
import { ensureTable } from '../state/tableReady';
import type { QuotaState } from './quotaLog';

export interface QuotaKey {
  tenantId: string;
  family: string;
}

export interface QuotaRow {
  state: QuotaState;
  etag: string;
  /** Instance that wrote it last. */
  updatedBy?: string;
}

export interface QuotaStore {
  /** @returns undefined when the row does not exist yet. */
  read(key: QuotaKey): Promise<QuotaRow | undefined>;
  /**
   * Replaces the row at `etag` (or inserts it when `etag` is undefined).
   * @returns the new ETag, or undefined when another instance changed the row first (412), created it first (409)
   *   or deleted it (404): read again and redo.
   */
  write(key: QuotaKey, state: QuotaState, etag: string | undefined, updatedBy: string): Promise<string | undefined>;
}

interface QuotaEntity {
  state: string;
  updatedBy?: string;
}

const statusOf = (e: unknown): number | undefined => {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
};

// Tenant ids are GUIDs and families are words; encoded anyway, as RowKey forbids / \ # ?.
const keyOf = (k: QuotaKey) => ({ partitionKey: encodeURIComponent(k.tenantId), rowKey: encodeURIComponent(k.family) });

function parseState(text: string | undefined): QuotaState {
  const v = JSON.parse(text ?? '{}') as Partial<QuotaState>;
  return {
    windows: Array.isArray(v.windows) ? v.windows : [],
    lastSlot: typeof v.lastSlot === 'number' ? v.lastSlot : 0,
    pausedUntil: typeof v.pausedUntil === 'number' ? v.pausedUntil : 0,
    ...(typeof v.pauseReason === 'string' ? { pauseReason: v.pauseReason } : {}),
  };
}

/** The table itself is gone (deleted, or a fresh emulator behind the same endpoint), not just the row. */
const tableMissing = (e: unknown): boolean =>
  statusOf(e) === 404 && /TableNotFound/.test(String((e as { message?: unknown } | null)?.message ?? ''));

/** Storage errors other than the conflicts above are thrown as they are (the caller falls back to its own limiter). */
export function createTableQuotaStore(client: TableClient): QuotaStore {
  /** Runs `op` on the table, creating the table once more if it has disappeared since it was first made. */
  const onTable = async <T>(op: (table: TableClient) => Promise<T>): Promise<T> => {
    const table = await ensureTable(client);
    try {
      return await op(table);
    } catch (err) {
      if (!tableMissing(err)) throw err;
      await client.createTable();
      return op(client);
    }
  };
  return {
    async read(key) {
      const { partitionKey, rowKey } = keyOf(key);
      try {
        const e = await onTable((t) => t.getEntity<QuotaEntity>(partitionKey, rowKey));
        return {
          state: parseState(e.state),
          etag: e.etag,
          ...(e.updatedBy ? { updatedBy: e.updatedBy } : {}),
        };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async write(key, state, etag, updatedBy) {
      const entity = { ...keyOf(key), state: JSON.stringify(state), updatedBy };
      const table = await ensureTable(client);
      try {
        const res =
          etag === undefined ? await table.createEntity(entity) : await table.updateEntity(entity, 'Replace', { etag });
        return res.etag ?? '*';
      } catch (err) {
        const status = statusOf(err);
        if (status === 412 || status === 409 || status === 404) return undefined;
        throw err;
      }
    },
  };
}

/** The same contract in memory (ETags are counters): several limiters on one of these stand for several instances. */
export function createMemoryQuotaStore(): QuotaStore & { rows: Map<string, QuotaRow> } {
  const rows = new Map<string, QuotaRow>();
  let version = 0;
  const id = (k: QuotaKey): string => `${k.tenantId}/${k.family}`;
  return {
    rows,
    async read(key) {
      const row = rows.get(id(key));
      return row && { ...row, state: structuredClone(row.state) };
    },
    async write(key, state, etag, updatedBy) {
      const row = rows.get(id(key));
      if (etag === undefined ? row !== undefined : row?.etag !== etag) return undefined;
      const next = { state: structuredClone(state), etag: `m${++version}`, updatedBy };
      rows.set(id(key), next);
      return next.etag;
    },
  };
}
