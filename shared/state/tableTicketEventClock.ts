// TicketEventClock on Azure Table storage (Azurite locally): table RiposteTicketClock, one row per incident
// (PartitionKey = incident id, RowKey "clock"), holding the lease (token and expiry) and the field stamps as JSON.
// Every change after the lease is taken is an ETag-conditional Merge, so a holder whose lease was taken over gets
// 412 and learns it lost (LeaseLostError) instead of recording over the new holder. Why lease + record-before-apply:
// ticketEventClock.ts. Lease expiry compares the reader's clock with the writer's: instances' clocks agree to well
// under a second on Azure, against a lease of tens of seconds.
import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import {
  LeaseLostError,
  mergeEntries,
  ticketLeaseLost,
  type AcquireResult,
  type ClockEntry,
  type ClockHold,
  type TicketEventClock,
  type TicketEventClockOptions,
} from './ticketEventClock';
import { ensureTable } from './tableReady';

interface ClockEntity {
  leaseToken?: string;
  leaseUntil?: string;
  fields?: string;
  updatedAt?: string;
}

const ROW = 'clock';
/** Table string properties hold 32K UTF-16 characters (64 KB); keep well inside it. */
const MAX_FIELDS_CHARS = 30_000;
/** Rounds of read → conditional write before acquire reports "busy" (another instance keeps winning the row). */
const ACQUIRE_ROUNDS = 4;

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number } | null)?.statusCode;

function parseFields(json: string | undefined): Record<string, ClockEntry> {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, ClockEntry>) : {};
  } catch {
    return {};
  }
}

/**
 * JSON of the stamps, within the property limit: when an incident has collected very many ticket links, the oldest
 * link stamps go first (a link only ever adds a tag, so forgetting an old stamp at worst re-adds a tag that is
 * already there).
 */
function fieldsJson(fields: Record<string, ClockEntry>): string {
  let json = JSON.stringify(fields);
  if (json.length <= MAX_FIELDS_CHARS) return json;
  const links = Object.entries(fields)
    .filter(([k]) => k.startsWith('link:'))
    .sort(([, a], [, b]) => Date.parse(a.at) - Date.parse(b.at));
  const kept = { ...fields };
  for (const [k] of links) {
    delete kept[k];
    json = JSON.stringify(kept);
    if (json.length <= MAX_FIELDS_CHARS) break;
  }
  return json;
}

/**
 * @param storage - table clients from storageClients (a connection string or the managed identity).
 * @param table - the table name (default RiposteTicketClock).
 */
export function createTableTicketEventClock(
  storage: { table(name: string): TableClient },
  table = 'RiposteTicketClock',
  options: TicketEventClockOptions = {},
): TicketEventClock {
  const client = storage.table(table);
  const now = options.now ?? (() => new Date());
  const ensure = async (): Promise<void> => {
    await ensureTable(client);
  };

  function holdOf(
    incidentId: string,
    etag: string,
    fields: Record<string, ClockEntry>,
    leaseMs: number,
    tookOver: boolean,
  ): ClockHold {
    let version = etag;
    let current = fields;
    // record and renew both move the ETag: one at a time (a renewal timer may fire during a record).
    let chain: Promise<unknown> = Promise.resolve();
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = chain.then(fn, fn);
      chain = next.catch(() => undefined);
      return next;
    };
    const write = async (props: ClockEntity): Promise<void> => {
      try {
        const r = await client.updateEntity(
          { partitionKey: incidentId, rowKey: ROW, ...props, updatedAt: now().toISOString() },
          'Merge',
          { etag: version },
        );
        version = r.etag ?? version;
      } catch (e) {
        if (statusOf(e) === 412 || statusOf(e) === 404) throw ticketLeaseLost(incidentId);
        throw e;
      }
    };
    const leaseUntil = (): string => new Date(now().getTime() + leaseMs).toISOString();
    return {
      incidentId,
      tookOver,
      get fields() {
        return current;
      },
      record: (entries) =>
        serial(async () => {
          const next = mergeEntries(current, entries);
          await write({ fields: fieldsJson(next), leaseUntil: leaseUntil() });
          current = next;
        }),
      renew: () => serial(() => write({ leaseUntil: leaseUntil() })),
      release: () =>
        serial(async () => {
          try {
            await write({ leaseToken: '', leaseUntil: '' });
          } catch (e) {
            if (!(e instanceof LeaseLostError)) throw e;
          }
        }),
    };
  }

  return {
    async acquire(incidentId, leaseMs): Promise<AcquireResult> {
      await ensure();
      const token = randomUUID();
      for (let round = 0; round < ACQUIRE_ROUNDS; round++) {
        const t = now().getTime();
        const lease = {
          leaseToken: token,
          leaseUntil: new Date(t + leaseMs).toISOString(),
          updatedAt: now().toISOString(),
        };
        let row: (ClockEntity & { etag: string }) | undefined;
        try {
          row = await client.getEntity<ClockEntity>(incidentId, ROW);
        } catch (e) {
          if (statusOf(e) !== 404) throw e;
        }
        if (!row) {
          try {
            const created = await client.createEntity({
              partitionKey: incidentId,
              rowKey: ROW,
              ...lease,
              fields: '{}',
            });
            return { status: 'held', hold: holdOf(incidentId, created.etag ?? '', {}, leaseMs, false) };
          } catch (e) {
            if (statusOf(e) === 409) continue; // another instance created it first: read it again
            throw e;
          }
        }
        const until = Date.parse(row.leaseUntil ?? '');
        if (row.leaseToken && Number.isFinite(until) && until > t) {
          return { status: 'busy', retryAfterMs: until - t };
        }
        try {
          const taken = await client.updateEntity({ partitionKey: incidentId, rowKey: ROW, ...lease }, 'Merge', {
            etag: row.etag,
          });
          const tookOver = Boolean(row.leaseToken);
          return {
            status: 'held',
            hold: holdOf(incidentId, taken.etag ?? '', parseFields(row.fields), leaseMs, tookOver),
          };
        } catch (e) {
          if (statusOf(e) === 412 || statusOf(e) === 404) continue; // someone else moved first
          throw e;
        }
      }
      return { status: 'busy', retryAfterMs: 250 };
    },
  };
}
