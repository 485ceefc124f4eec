// Durable state the engine needs between runs: where each scheduled workflow's last successful window ended, and
// which writes have already been made. Two implementations: Table storage (production, Azurite locally) and memory.

/** An ISO-8601 UTC half-open interval [start, end). */
export interface TimeWindow {
  start: string;
  end: string;
}

/** A window handed out to a run that has not finished yet; the next run resumes it instead of starting a new one. */
export interface PendingWindow extends TimeWindow {
  runId: string;
  startedAt: string;
}

export interface WatermarkState {
  workflow: string;
  /** End of the last window that a run completed; undefined before the first success. */
  watermark: string | undefined;
  pending: PendingWindow | undefined;
}

export type WriteState = 'pending' | 'done';

export interface WriteRecord {
  /** The readable key, e.g. "stale-triage/42/3f9a…". */
  key: string;
  state: WriteState;
  /** Who holds the write: the run's attempt key (window run id, delivery key or run id). */
  owner: string;
  runId: string;
  incidentId: string;
  /** ISO time after which another owner may take over a pending write (its holder is presumed dead). */
  leaseUntil: string;
  updatedAt: string;
  /**
   * JSON of what to do (the update and the marked comment), kept while the write is pending so that the next
   * attempt can finish it even if the incident no longer shows up in that attempt's steps.
   */
  intent?: string;
}

/** Opaque version tag for compare-and-swap updates (the Table entity's ETag). */
export type Version = string;

export interface StateStore {
  getWatermark(workflow: string): Promise<WatermarkState>;
  /** Records the window a run is about to cover, so a crash leaves a trace the next run resumes from. */
  beginWindow(workflow: string, pending: PendingWindow): Promise<void>;
  /**
   * Marks the window of `runId` complete: the watermark moves to `end` (never backwards) and the pending window is
   * cleared if it is still this run's.
   */
  completeWindow(workflow: string, runId: string, end: string): Promise<void>;

  getWrite(workflow: string, key: string): Promise<{ record: WriteRecord; version: Version } | undefined>;
  /** Pending writes of a workflow (a few at most: they exist only while a write is in flight or after a crash). */
  listPendingWrites(workflow: string): Promise<{ record: WriteRecord; version: Version }[]>;
  /** Inserts a new record. @returns its version, or undefined when the key already exists (someone claimed it first). */
  createWrite(workflow: string, record: WriteRecord): Promise<Version | undefined>;
  /** Replaces the record only if it still has `version`. @returns the new version, or undefined when it changed in between. */
  replaceWrite(workflow: string, record: WriteRecord, version: Version): Promise<Version | undefined>;
}
