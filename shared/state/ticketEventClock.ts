// Per incident: the stamp (event time, ticket, sequence, event id) of the last ticket event applied to each field,
// and a lease that lets one instance at a time apply ticket events to the incident. Table storage in production
// (tableTicketEventClock.ts), memory in tests. What a field is and how stamps compare: shared/webhooks/eventOrder.ts.
//
// Why a lease, and why the stamps are recorded before the change is applied. Many instances apply queue messages at
// once, and both Defender APIs replace fields (and the whole tag list) with what they are sent. Take an old event E1
// (status inProgress at t1) and a new one E2 (resolved at t2 > t1) for one incident, on instances A and B:
// - Check-and-record alone (ETag on the stamps, no lease) orders the records, not the PATCHes: E1 records t1, E2
//   records t2, then E1's PATCH can still land after E2's and the incident ends inProgress. Likewise two tickets'
//   tag merges (read list, add own tag, write list) interleave and one tag is lost. So the whole
//   check → record → apply sequence runs under a per-incident lease: an insert or an ETag-conditional update of one
//   Table row, so only one instance holds it; the holder renews it while it works.
// - Record after apply loses the newer event on a crash: E2 applied, crashed before recording, lease expired; E1
//   then finds no stamp, applies inProgress, records t1; E2's retry finds the engine's write for its idempotency key
//   done and changes nothing. The incident stays at the older value.
// - Record before apply (what this does): E2 records t2 first, conditional on the ETag of its own lease row, so a
//   holder whose lease was taken over cannot record (LeaseLostError) and does not apply. If E2 crashes after
//   recording, E1 finds t2 and is skipped; E2's message comes back (the queue redelivers it) and E2, finding its own
//   event id on the field, applies it. If E2 is poisoned instead, the caller rolls its stamps back (rollback below);
//   only a crash on the very last attempt leaves a stamp whose value never landed, and then older events for that
//   field are skipped rather than applied out of order (the poison message says which event to re-drive).
// A crash after recording may also leave the engine's half-done write for E2's run, which the engine finishes
// later whatever happened meanwhile; shared/automation/narrowPendingWrites.ts trims such writes under the lease.
// Residual risk: a holder paused longer than its lease (the lease expired, another instance took over) may already
// have a PATCH in flight. Renewal every third of the lease, and aborting the run when a renewal fails, keeps that
// window to one in-flight request.
import { LeaseLostError } from './heartbeat';

export { LeaseLostError };

/** One field's stamp: which event last set it, and when that event happened. */
export interface ClockEntry {
  /** ISO-8601 UTC event time. */
  at: string;
  /** `<source>:<ticket id>`: sequences compare only within one ticket. */
  ticket: string;
  /** The ticket's own change counter (Jira changelog id, ServiceNow sys_mod_count), digits. */
  seq?: string;
  eventId: string;
}

/** An incident's lease, held by this caller. */
export interface ClockHold {
  readonly incidentId: string;
  /** The stamps recorded so far, by field. */
  readonly fields: Readonly<Record<string, ClockEntry>>;
  /** True when the previous holder's lease had expired (it crashed or stalled): logged by the caller. */
  readonly tookOver: boolean;
  /**
   * Sets stamps (null removes one), leaving other fields as they are, and renews the lease.
   * @throws {LeaseLostError} when the lease was taken over; storage errors as thrown by the SDK.
   */
  record(entries: Readonly<Record<string, ClockEntry | null>>): Promise<void>;
  /** Extends the lease. @throws {LeaseLostError} when it was taken over. */
  renew(): Promise<void>;
  /** Ends the lease; a lease already taken over is left alone. Never throws for a lost lease. */
  release(): Promise<void>;
}

export type AcquireResult = { status: 'held'; hold: ClockHold } | { status: 'busy'; retryAfterMs: number };

export interface TicketEventClock {
  /**
   * Takes the incident's lease for `leaseMs` unless another holder's lease is still running.
   * @throws storage errors as thrown by the SDK (the queue retries the message).
   */
  acquire(incidentId: string, leaseMs: number): Promise<AcquireResult>;
}

/** The lease was taken over by another instance (ours had expired): stop, the message is retried. */
export const ticketLeaseLost = (incidentId: string): LeaseLostError =>
  new LeaseLostError(`the ticket-event lease on incident ${incidentId}`);

/** Stamps merged with changes; null deletes. */
export function mergeEntries(
  current: Readonly<Record<string, ClockEntry>>,
  changes: Readonly<Record<string, ClockEntry | null>>,
): Record<string, ClockEntry> {
  const next: Record<string, ClockEntry> = { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

export interface TicketEventClockOptions {
  now?: () => Date;
}

interface MemoryRow {
  version: number;
  leaseToken: string | undefined;
  leaseUntil: number;
  fields: Record<string, ClockEntry>;
}

export interface MemoryTicketEventClock extends TicketEventClock {
  /** The stamps of an incident, for assertions. */
  fields(incidentId: string): Record<string, ClockEntry>;
}

/** The same semantics in memory (one process): for unit tests and dry local runs. */
export function createMemoryTicketEventClock(options: TicketEventClockOptions = {}): MemoryTicketEventClock {
  const now = options.now ?? (() => new Date());
  const rows = new Map<string, MemoryRow>();
  let tokens = 0;
  return {
    fields: (incidentId) => ({ ...rows.get(incidentId)?.fields }),
    async acquire(incidentId, leaseMs) {
      const t = now().getTime();
      const row = rows.get(incidentId) ?? { version: 0, leaseToken: undefined, leaseUntil: 0, fields: {} };
      if (row.leaseToken !== undefined && row.leaseUntil > t) {
        return { status: 'busy', retryAfterMs: row.leaseUntil - t };
      }
      const token = String(++tokens);
      const tookOver = row.leaseToken !== undefined;
      const mine = (): MemoryRow => {
        const r = rows.get(incidentId);
        if (!r || r.leaseToken !== token) throw ticketLeaseLost(incidentId);
        return r;
      };
      rows.set(incidentId, { ...row, version: row.version + 1, leaseToken: token, leaseUntil: t + leaseMs });
      const hold: ClockHold = {
        incidentId,
        tookOver,
        get fields() {
          return { ...rows.get(incidentId)?.fields };
        },
        async record(entries) {
          const r = mine();
          rows.set(incidentId, {
            ...r,
            version: r.version + 1,
            leaseUntil: now().getTime() + leaseMs,
            fields: mergeEntries(r.fields, entries),
          });
        },
        async renew() {
          const r = mine();
          rows.set(incidentId, { ...r, version: r.version + 1, leaseUntil: now().getTime() + leaseMs });
        },
        async release() {
          const r = rows.get(incidentId);
          if (r?.leaseToken === token) rows.set(incidentId, { ...r, leaseToken: undefined, leaseUntil: 0 });
        },
      };
      return { status: 'held', hold };
    },
  };
}
