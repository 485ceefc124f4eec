// A leased Table record this instance holds (a pending write, a request's idempotency key, an asynchronous run):
// its lease is renewed by a heartbeat (heartbeat.ts), and each renewal moves the record's version (ETag), so every
// change to the record — renewal, completion, release — goes through here, one at a time, at the version the last
// one left.
import { LeaseLostError, type Heartbeat, type KeptLease } from './heartbeat';
import type { Version } from './types';

export interface HoldRecordOptions {
  /** For logs and the lost-lease message: "the write to incident 42". */
  label: string;
  leaseMs: number;
  /**
   * Writes the record with its lease extended from now, conditional on `version`.
   * @returns the new version, or undefined when the record changed under us (taken over, or gone).
   */
  renew(version: Version): Promise<Version | undefined>;
  /** Keeps the lease from the start; absent, the caller keeps `lease` in a heartbeat of its choosing (or none). */
  heartbeat?: Heartbeat | undefined;
}

export interface HeldRecord {
  /** The record's current version; undefined once it is no longer ours (deleted, or taken over). */
  readonly version: Version | undefined;
  /** The lease, for a heartbeat to keep: renewing it when the record is no longer ours throws LeaseLostError. */
  readonly lease: KeptLease;
  /**
   * Changes the record at its current version, after any renewal in flight. `fn` returns the new version (undefined:
   * deleted, or it changed under us). Nothing is called once the record is no longer ours.
   * @returns the new version.
   */
  change(fn: (version: Version) => Promise<Version | undefined>): Promise<Version | undefined>;
  /** Stops the renewals of the heartbeat given in the options (the record is being settled). */
  letGo(): void;
}

/** @param version - the version the claim left. */
export function holdRecord(o: HoldRecordOptions, version: Version): HeldRecord {
  let current: Version | undefined = version;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const lease: KeptLease = {
    label: o.label,
    leaseMs: o.leaseMs,
    renew: () =>
      serial(async () => {
        if (current === undefined) return;
        const next = await o.renew(current);
        if (next === undefined) {
          current = undefined;
          throw new LeaseLostError(o.label);
        }
        current = next;
      }),
  };
  const letGo = o.heartbeat?.keep(lease) ?? ((): void => undefined);
  return {
    get version() {
      return current;
    },
    lease,
    change: (fn) =>
      serial(async () => {
        if (current === undefined) return undefined;
        current = await fn(current);
        return current;
      }),
    letGo,
  };
}
