// A pending write record this run has claimed, kept alive by the run's heartbeat (shared/state/heartbeat.ts) until it
// is settled. Each renewal moves the record's version (ETag), so every change to the record — renewal, completion,
// release, suspension — goes through here, one at a time, at the version the last one left.
import { LeaseLostError, type Heartbeat } from '../state/heartbeat';
import type { StateStore, Version, WriteRecord } from '../state/types';

export interface HoldWriteOptions {
  state: StateStore;
  workflow: string;
  /** Absent: the lease is not renewed (it lasts leaseMs from the claim). */
  heartbeat?: Heartbeat | undefined;
  leaseMs: number;
  /** For logs and the lost-lease message: "the write to incident 42". */
  label: string;
}

export interface HeldWrite {
  /** The record's current version; undefined once it is no longer ours (deleted, or taken over). */
  readonly version: Version | undefined;
  /**
   * Changes the record at its current version, after any renewal in flight. `fn` returns the new version (undefined:
   * deleted, or it changed under us). Nothing is called once the record is no longer ours.
   * @returns the new version.
   */
  change(fn: (version: Version) => Promise<Version | undefined>): Promise<Version | undefined>;
  /** Stops renewing (the write is being settled). */
  letGo(): void;
}

/**
 * @param pending - the record as a renewal writes it, its lease computed afresh each time.
 * @param version - the version the claim left.
 */
export function holdWrite(o: HoldWriteOptions, pending: () => WriteRecord, version: Version): HeldWrite {
  let current: Version | undefined = version;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const letGo =
    o.heartbeat?.keep({
      label: o.label,
      leaseMs: o.leaseMs,
      renew: () =>
        serial(async () => {
          if (current === undefined) return;
          const next = await o.state.replaceWrite(o.workflow, pending(), current);
          if (next === undefined) {
            current = undefined;
            throw new LeaseLostError(o.label);
          }
          current = next;
        }),
    }) ?? ((): void => undefined);
  return {
    get version() {
      return current;
    },
    change: (fn) =>
      serial(async () => {
        if (current === undefined) return undefined;
        current = await fn(current);
        return current;
      }),
    letGo,
  };
}
