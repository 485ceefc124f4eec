// StateStore on Azure Table storage (Azurite locally). Three tables, created on first use:
// - <prefix>Watermarks: PartitionKey "workflow", RowKey = workflow name; the last completed window end and the
//   window of a run in flight.
// - <prefix>Writes: PartitionKey = workflow name, RowKey = sha256 of the write key (keys hold "/" and arbitrary ids,
//   which RowKey forbids); the readable key is kept as a property.
// - <prefix>Requests: PartitionKey = workflow name, RowKey = sha256 of the Idempotency-Key; the request's fingerprint,
//   state and, once done, the answer (its body split over body0..body11, as a string property holds 64 KiB).
// - <prefix>Runs: PartitionKey = run id, RowKey "run"; an asynchronous run (request, the SHA-256 of its status-URL
//   token, holder and lease, and once done the answer), its long texts split the same way.
// Concurrency: inserts fail on an existing key (409) and replacements and deletes carry the ETag (412 when it
// changed), so two runs can never both believe they own the same write or request.
// Storage that cannot be reached (no status, 429, 5xx) surfaces as STORAGE_UNAVAILABLE, answered 503.
import { createHash } from 'node:crypto';
import { odata, TableClient, type TableEntity, type TableEntityResult } from '@azure/data-tables';
import { AppError, isAppError } from '../errors';
import { ensureTable } from './tableReady';
import {
  MAX_RUN_REPORT_CHARS,
  MAX_RUN_REQUEST_CHARS,
  MAX_STORED_BODY_CHARS,
  sameWindowClaim,
  type AsyncRunRecord,
  type AsyncRunState,
  type IdempotencyRecord,
  type IdempotencyState,
  type PendingWindow,
  type StateStore,
  type StoredResponse,
  type Version,
  type WatermarkState,
  type WriteRecord,
  type WriteState,
} from './types';

export interface CreateTableStateStoreOptions {
  /** Table name prefix (letters and digits only). Default "Riposte". */
  tablePrefix?: string;
  /** Azurite and other http endpoints need this; real accounts use https. Default: true when the endpoint is http. */
  allowInsecureConnection?: boolean;
}

interface WatermarkEntity {
  watermark?: string;
  pendingRunId?: string;
  pendingStart?: string;
  pendingEnd?: string;
  pendingStartedAt?: string;
  pendingHolder?: string;
  pendingLeaseUntil?: string;
}

function pendingOf(e: WatermarkEntity | undefined): PendingWindow | undefined {
  if (!e?.pendingRunId || !e.pendingStart || !e.pendingEnd) return undefined;
  return {
    runId: e.pendingRunId,
    start: e.pendingStart,
    end: e.pendingEnd,
    startedAt: e.pendingStartedAt ?? '',
    ...(e.pendingHolder ? { holder: e.pendingHolder } : {}),
    ...(e.pendingLeaseUntil ? { leaseUntil: e.pendingLeaseUntil } : {}),
  };
}

function pendingEntity(watermark: string | undefined, p: PendingWindow | undefined): WatermarkEntity {
  return {
    watermark,
    ...(p
      ? {
          pendingRunId: p.runId,
          pendingStart: p.start,
          pendingEnd: p.end,
          pendingStartedAt: p.startedAt,
          pendingHolder: p.holder,
          pendingLeaseUntil: p.leaseUntil,
        }
      : {}),
  };
}

interface WriteEntity {
  key: string;
  state: string;
  owner: string;
  runId: string;
  incidentId: string;
  leaseUntil: string;
  updatedAt: string;
  intent?: string;
}

interface RequestEntity {
  key: string;
  fingerprint: string;
  state: string;
  runId: string;
  leaseUntil: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  status?: string;
  headers?: string;
  bodyParts?: string;
  [part: `body${number}`]: string | undefined;
}

const WATERMARK_PARTITION = 'workflow';
const BODY_PART_CHARS = 30_000;

/** Writes `text` (at most `max` characters) as properties `<name>0..` and its part count as `<name>Parts`. */
function putText(out: Record<string, string>, name: string, text: string, max: number): void {
  const kept = text.slice(0, max);
  const parts = Math.ceil(kept.length / BODY_PART_CHARS);
  out[`${name}Parts`] = String(parts);
  for (let i = 0; i < parts; i++) out[`${name}${i}`] = kept.slice(i * BODY_PART_CHARS, (i + 1) * BODY_PART_CHARS);
}

/** Reads back what putText wrote. */
function getText(e: Record<string, unknown>, name: string): string {
  let text = '';
  for (let i = 0; i < Number(e[`${name}Parts`] ?? 0); i++) text += String(e[`${name}${i}`] ?? '');
  return text;
}

/** The answer's status, headers and body (split) as properties. */
function putResponse(out: Record<string, string>, response: StoredResponse, max: number): void {
  out.status = String(response.status);
  out.headers = JSON.stringify(response.headers);
  putText(out, 'body', response.body, max);
}

function getResponse(e: Record<string, unknown>): StoredResponse | undefined {
  if (e.status === undefined) return undefined;
  return {
    status: Number(e.status),
    headers: JSON.parse(String(e.headers ?? '{}')) as Record<string, string>,
    body: getText(e, 'body'),
  };
}

function requestEntity(r: IdempotencyRecord): Omit<RequestEntity, `body${number}`> & Record<string, string> {
  const { response, ...rest } = r;
  const out: Record<string, string> = { ...rest };
  if (response) putResponse(out, response, MAX_STORED_BODY_CHARS);
  return out as Omit<RequestEntity, `body${number}`> & Record<string, string>;
}

function toRequest(e: TableEntityResult<RequestEntity>): IdempotencyRecord {
  const record: IdempotencyRecord = {
    key: e.key,
    fingerprint: e.fingerprint,
    state: e.state as IdempotencyState,
    runId: e.runId,
    leaseUntil: e.leaseUntil,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    expiresAt: e.expiresAt,
  };
  const response = getResponse(e as unknown as Record<string, unknown>);
  if (response) record.response = response;
  return record;
}

const RUN_ROW = 'run';

function runEntity(r: AsyncRunRecord): TableEntity {
  const { response, request, handoff, attempts, ...rest } = r;
  const out: Record<string, string> = { ...rest, attempts: String(attempts) };
  putText(out, 'request', request, MAX_RUN_REQUEST_CHARS);
  putText(out, 'handoff', handoff, MAX_RUN_REQUEST_CHARS);
  if (response) putResponse(out, response, MAX_RUN_REPORT_CHARS);
  return { partitionKey: safeKey(r.runId), rowKey: RUN_ROW, ...out };
}

function toRun(e: TableEntityResult<Record<string, unknown>>): AsyncRunRecord {
  const text = (k: string): string | undefined =>
    typeof e[k] === 'string' && e[k] !== '' ? (e[k] as string) : undefined;
  const holder = text('holder');
  const leaseUntil = text('leaseUntil');
  const response = getResponse(e);
  return {
    runId: String(e.runId),
    workflow: String(e.workflow),
    // A record from before status-URL tokens has none: '' matches no token, so it cannot be polled (it still runs).
    tokenHash: typeof e.tokenHash === 'string' ? e.tokenHash : '',
    state: String(e.state) as AsyncRunState,
    request: getText(e, 'request'),
    handoff: getText(e, 'handoff'),
    ...(holder ? { holder } : {}),
    ...(leaseUntil ? { leaseUntil } : {}),
    attempts: Number(e.attempts ?? 0),
    createdAt: String(e.createdAt),
    updatedAt: String(e.updatedAt),
    expiresAt: String(e.expiresAt),
    ...(response ? { response } : {}),
  };
}

/** Storage that cannot answer (no status: connection refused or reset; 408, 429, 5xx) is an outage: 503 upstream. */
export function storageOutage(err: unknown): unknown {
  if (isAppError(err)) return err;
  const status = statusOf(err);
  if (status !== undefined && status !== 408 && status !== 429 && status < 500) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const detail = status ?? (typeof code === 'string' ? code : 'no answer');
  return new AppError('STORAGE_UNAVAILABLE', `Table storage is unavailable (${detail}); retry later`, { cause: err });
}

/** Every method of the store with storage outages turned into STORAGE_UNAVAILABLE. */
function withOutages(store: StateStore): StateStore {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(store) as [string, (...a: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = (...args: unknown[]) =>
      fn(...args).catch((e: unknown) => {
        throw storageOutage(e);
      });
  }
  return wrapped as unknown as StateStore;
}

/** The SDK would send undefined properties as nulls; leave them out. */
const defined = (r: WriteRecord): Record<string, string> =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Record<string, string>;

function toRecord(e: TableEntityResult<WriteEntity>): WriteRecord {
  return {
    key: e.key,
    state: e.state as WriteState,
    owner: e.owner,
    runId: e.runId,
    incidentId: e.incidentId,
    leaseUntil: e.leaseUntil,
    updatedAt: e.updatedAt,
    ...(e.intent ? { intent: e.intent } : {}),
  };
}

function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

// RowKey forbids / \ # ? and control characters; workflow names are already restricted, this is belt and braces.
const safeKey = (s: string): string => encodeURIComponent(s);
const rowKeyFor = (key: string): string => createHash('sha256').update(key).digest('hex');

/**
 * @param storage - a storage connection string (Azurite: the explicit form with TableEndpoint), or a factory of
 *   table clients (identity-based storage: shared/automation/storageClients).
 * @returns a StateStore whose tables are created on the first call.
 */
export function createTableStateStore(
  storage: string | { table(name: string): TableClient },
  options: CreateTableStateStoreOptions = {},
): StateStore {
  const prefix = options.tablePrefix ?? 'Riposte';
  if (!/^[A-Za-z][A-Za-z0-9]{0,40}$/.test(prefix))
    throw new Error('tablePrefix must be letters and digits, starting with a letter');
  const tableClient = (name: string): TableClient => {
    if (typeof storage !== 'string') return storage.table(name);
    const insecure =
      options.allowInsecureConnection ??
      /TableEndpoint=http:|UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(storage);
    return TableClient.fromConnectionString(storage, name, { allowInsecureConnection: insecure });
  };
  const marks = tableClient(`${prefix}Watermarks`);
  const writes = tableClient(`${prefix}Writes`);
  const requests = tableClient(`${prefix}Requests`);
  const runs = tableClient(`${prefix}Runs`);

  const ensure = ensureTable;

  async function readMark(workflow: string): Promise<{ entity: WatermarkEntity; etag: string } | undefined> {
    const e = await getAt<WatermarkEntity>(marks, WATERMARK_PARTITION, safeKey(workflow));
    return e && { entity: e, etag: e.etag };
  }

  /**
   * Read-modify-write with the ETag, retried (with `change` applied to the new row) when another writer got in
   * between. @returns false when `change` declined (returned undefined).
   */
  async function updateMark(
    workflow: string,
    change: (current: WatermarkEntity) => WatermarkEntity | undefined,
  ): Promise<boolean> {
    const client = await ensure(marks);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await readMark(workflow);
      const next = change(current?.entity ?? {});
      if (!next) return false;
      const entity = {
        partitionKey: WATERMARK_PARTITION,
        rowKey: safeKey(workflow),
        watermark: next.watermark ?? '',
        pendingRunId: next.pendingRunId ?? '',
        pendingStart: next.pendingStart ?? '',
        pendingEnd: next.pendingEnd ?? '',
        pendingStartedAt: next.pendingStartedAt ?? '',
        pendingHolder: next.pendingHolder ?? '',
        pendingLeaseUntil: next.pendingLeaseUntil ?? '',
      };
      try {
        if (current) await client.updateEntity(entity, 'Replace', { etag: current.etag });
        else await client.createEntity(entity);
        return true;
      } catch (err) {
        const status = statusOf(err);
        if (status !== 412 && status !== 409) throw err;
      }
    }
    throw new Error(`Watermark of workflow '${workflow}' kept changing under concurrent updates`);
  }

  const blankToUndefined = (s: string | undefined): string | undefined => (s ? s : undefined);

  /** The entity with its ETag, or undefined when there is none (404). */
  async function getAt<E extends object>(
    client: TableClient,
    partition: string,
    row: string,
  ): Promise<TableEntityResult<E> | undefined> {
    try {
      return await (await ensure(client)).getEntity<E>(partition, row);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Insert only if absent; undefined when it exists (409). */
  async function createAt(client: TableClient, entity: TableEntity): Promise<Version | undefined> {
    try {
      return (await (await ensure(client)).createEntity(entity)).etag ?? '*';
    } catch (err) {
      if (statusOf(err) === 409) return undefined;
      throw err;
    }
  }

  /** Replace only at this ETag; undefined when it changed (412) or is gone (404). */
  async function replaceAt(client: TableClient, entity: TableEntity, etag: string): Promise<Version | undefined> {
    try {
      return (await (await ensure(client)).updateEntity(entity, 'Replace', { etag })).etag ?? '*';
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 404) return undefined;
      throw err;
    }
  }

  /** Delete only at this ETag; false when it changed (412) or is gone (404). */
  async function deleteAt(client: TableClient, partition: string, row: string, etag: string): Promise<boolean> {
    try {
      await (await ensure(client)).deleteEntity(partition, row, { etag });
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 404) return false;
      throw err;
    }
  }

  return withOutages({
    async getWatermark(workflow): Promise<WatermarkState> {
      const e = (await readMark(workflow))?.entity;
      return { workflow, watermark: blankToUndefined(e?.watermark), pending: pendingOf(e) };
    },
    claimWindow: (workflow, pending, expected) =>
      updateMark(workflow, (cur) =>
        sameWindowClaim(pendingOf(cur), expected) ? pendingEntity(blankToUndefined(cur.watermark), pending) : undefined,
      ),
    renewWindow: (workflow, runId, holder, leaseUntil) =>
      updateMark(workflow, (cur) => {
        const p = pendingOf(cur);
        if (!p || p.runId !== runId || p.holder !== holder) return undefined;
        return pendingEntity(blankToUndefined(cur.watermark), { ...p, leaseUntil });
      }),
    async completeWindow(workflow, runId, end, holder): Promise<void> {
      await updateMark(workflow, (cur) => {
        const old = blankToUndefined(cur.watermark);
        const watermark = old !== undefined && Date.parse(old) > Date.parse(end) ? old : end;
        const p = pendingOf(cur);
        const mine = p?.runId === runId && (holder === undefined || p.holder === undefined || p.holder === holder);
        return pendingEntity(watermark, mine ? undefined : p);
      });
    },
    async getWrite(workflow, key): Promise<{ record: WriteRecord; version: Version } | undefined> {
      const e = await getAt<WriteEntity>(writes, safeKey(workflow), rowKeyFor(key));
      return e && { record: toRecord(e), version: e.etag };
    },
    async listPendingWrites(workflow): Promise<{ record: WriteRecord; version: Version }[]> {
      const client = await ensure(writes);
      const out: { record: WriteRecord; version: Version }[] = [];
      const pages = client.listEntities<WriteEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${safeKey(workflow)} and state eq 'pending'` },
      });
      for await (const e of pages) out.push({ record: toRecord(e), version: e.etag });
      return out;
    },
    createWrite: (workflow, record) =>
      createAt(writes, { partitionKey: safeKey(workflow), rowKey: rowKeyFor(record.key), ...defined(record) }),
    replaceWrite: (workflow, record, version) =>
      replaceAt(
        writes,
        { partitionKey: safeKey(workflow), rowKey: rowKeyFor(record.key), ...defined(record) },
        version,
      ),
    deleteWrite: (workflow, key, version) => deleteAt(writes, safeKey(workflow), rowKeyFor(key), version),
    async getIdempotency(workflow, key): Promise<{ record: IdempotencyRecord; version: Version } | undefined> {
      const e = await getAt<RequestEntity>(requests, safeKey(workflow), rowKeyFor(key));
      return e && { record: toRequest(e), version: e.etag };
    },
    createIdempotency: (workflow, record) =>
      createAt(requests, { partitionKey: safeKey(workflow), rowKey: rowKeyFor(record.key), ...requestEntity(record) }),
    replaceIdempotency: (workflow, record, version) =>
      replaceAt(
        requests,
        { partitionKey: safeKey(workflow), rowKey: rowKeyFor(record.key), ...requestEntity(record) },
        version,
      ),
    deleteIdempotency: (workflow, key, version) => deleteAt(requests, safeKey(workflow), rowKeyFor(key), version),
    async getRun(runId): Promise<{ record: AsyncRunRecord; version: Version } | undefined> {
      const e = await getAt<Record<string, unknown>>(runs, safeKey(runId), RUN_ROW);
      return e && { record: toRun(e), version: e.etag };
    },
    createRun: (record) => createAt(runs, runEntity(record)),
    replaceRun: (record, version) => replaceAt(runs, runEntity(record), version),
    deleteRun: (runId, version) => deleteAt(runs, safeKey(runId), RUN_ROW, version),
    async purgeRuns(now): Promise<number> {
      const client = await ensure(runs);
      let purged = 0;
      const expired = client.listEntities<{ expiresAt: string }>({
        queryOptions: { filter: odata`expiresAt lt ${now.toISOString()}`, select: ['PartitionKey', 'RowKey'] },
      });
      for await (const e of expired) {
        if (await deleteAt(runs, e.partitionKey ?? '', e.rowKey ?? '', e.etag)) purged++;
      }
      return purged;
    },
  });
}
