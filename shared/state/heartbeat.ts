// Leases that live as long as the work. Whatever one instance holds so that no other does the same work at the same
// time — a pending write, a scheduled window, an incident's ticket-event lease, an HTTP request's or an asynchronous
// run's record — is held for a short lease (LEASE_SECONDS, at most 60 s) and renewed every third of it while the
// work goes on. So:
// - a live holder is never taken over, however long it works (a long Defender retry, a quota wait, a GC pause of up
//   to two thirds of the lease: the timer fires late, the renewal still lands before the lease ends);
// - a dead holder blocks nothing for longer than the lease: the next attempt takes over once it has passed.
// A renewal that fails aborts the heartbeat's signal, which the holder's work runs under: the lease was taken over
// (LeaseLostError: the holder was paused past its lease), storage cannot confirm it, or a renewal hung for a whole
// lease. The holder then sends nothing more it may no longer hold. Residual risk: a call already in flight when the
// lease was lost (one per concurrent item), as with any lease; the write protocol's markers and read-backs cover it.
import { AppError, toError } from '../errors';
import type { Logger } from '../logger';

/** The lease was taken over by another instance (ours had lapsed), or could not be renewed in time. */
export class LeaseLostError extends AppError {
  /** @param what - the lease, for the message: "the ticket-event lease on incident 42". */
  constructor(what: string, detail = 'was taken over by another instance') {
    super('WRITE_IN_PROGRESS', `${what.charAt(0).toUpperCase()}${what.slice(1)} ${detail}`);
  }
}

/** A lease this process holds and keeps alive. */
export interface KeptLease {
  /** What it is, for logs and messages: "window of sweep", "the write to incident 42". */
  readonly label: string;
  /** Its length: renewed every third of it. */
  readonly leaseMs: number;
  /** Extends it by its length. @throws {LeaseLostError} when another holder has it; storage errors as they come. */
  renew(): Promise<void>;
}

export interface Heartbeat {
  /** Aborted, with the failure as its reason, as soon as one kept lease cannot be renewed. */
  readonly signal: AbortSignal;
  /** Renews `lease` from now on. @returns a function that stops renewing it (call it once the lease is let go). */
  keep(lease: KeptLease): () => void;
  /** Stops every renewal (the work is over). */
  stop(): void;
}

export interface HeartbeatOptions {
  logger: Logger;
  /** Log prefix, e.g. "engine" or "ticket-sync". */
  component: string;
  /** For tests. */
  now?: () => number;
}

/** Renewals per lease length: two may fail or come late before the lease lapses. */
const RENEWALS_PER_LEASE = 3;

/** Starts a heartbeat with no lease yet; every lease it keeps is renewed on its own timer. */
export function startHeartbeat(o: HeartbeatOptions): Heartbeat {
  const now = o.now ?? Date.now;
  const lost = new AbortController();
  const stops = new Set<() => void>();
  const stopAll = (): void => {
    for (const s of [...stops]) s();
  };
  const fail = (lease: KeptLease, e: unknown): void => {
    if (lost.signal.aborted) return;
    o.logger.warn(`[${o.component}] could not renew ${lease.label}; stopping the work it guards`, {
      error: toError(e).message,
    });
    lost.abort(e);
    stopAll();
  };
  return {
    signal: lost.signal,
    keep(lease) {
      if (lost.signal.aborted) return () => undefined;
      let confirmedAt = now();
      let renewing = false;
      const timer = setInterval(
        () => {
          if (renewing) {
            // A renewal that has not answered for a whole lease: from here the lease may have lapsed unseen.
            if (now() - confirmedAt >= lease.leaseMs)
              fail(lease, new LeaseLostError(lease.label, `could not be renewed within its ${lease.leaseMs} ms`));
            return;
          }
          renewing = true;
          const sentAt = now();
          lease.renew().then(
            () => {
              confirmedAt = sentAt;
              renewing = false;
            },
            (e: unknown) => {
              renewing = false;
              fail(lease, e);
            },
          );
        },
        Math.max(1, Math.floor(lease.leaseMs / RENEWALS_PER_LEASE)),
      );
      // The work keeps the process alive, not its heartbeat (a CLI run must be able to exit).
      timer.unref();
      const stop = (): void => {
        clearInterval(timer);
        stops.delete(stop);
      };
      stops.add(stop);
      return stop;
    },
    stop: stopAll,
  };
}

/**
 * Runs `fn` while `lease` is renewed; a failed renewal aborts `heartbeat.signal`, which `fn` must run its calls under
 * (and may hand on: an engine run adds its own write leases to the same heartbeat).
 */
export async function whileHeld<T>(
  lease: KeptLease,
  o: HeartbeatOptions,
  fn: (heartbeat: Heartbeat) => Promise<T>,
): Promise<T> {
  const heartbeat = startHeartbeat(o);
  heartbeat.keep(lease);
  try {
    return await fn(heartbeat);
  } finally {
    heartbeat.stop();
  }
}
