// Durable state the engine needs between runs: where each scheduled workflow's last successful window ended, which
// writes have already been made, and which HTTP requests with an Idempotency-Key were answered (and how). Two
// implementations: Table storage (production, Azurite locally) and memory.

/** An ISO-8601 UTC half-open interval [start, end). */
export interface TimeWindow {
  start: string;
  end: string;
}

/** A window handed out to a run that has not finished yet; the next run resumes it instead of starting a new one. */
export interface PendingWindow extends TimeWindow {
  runId: string;
  startedAt: string;
  /**
   * The attempt running it now (its own run id: a resumed window keeps the first run's `runId`) and when its lease
   * ends. Another run resumes the window only once the lease has ended (the holder finished, failed or died).
   * Absent in rows written before leases existed: such a window is free to resume.
   */
  holder?: string;
  leaseUntil?: string;
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

export type IdempotencyState = 'running' | 'done';

/** The answer a finished request gave, replayed to a retry with the same key and body. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  /** The JSON body as sent (at most MAX_STORED_BODY_CHARS characters: the caller shortens larger ones). */
  body: string;
}

/**
 * Longest stored body: a Table string property holds 64 KiB (32 K UTF-16 characters) and an entity 1 MiB, so the
 * Table store splits a body over up to 12 properties of 30 000 characters (at most ~720 KB).
 * https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model
 */
export const MAX_STORED_BODY_CHARS = 12 * 30_000;

/** One HTTP request with an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), per workflow and key. */
export interface IdempotencyRecord {
  key: string;
  /** sha256 (hex) of the canonical request (workflow, input, dryRun): the same key with another body is refused. */
  fingerprint: string;
  state: IdempotencyState;
  /** The run answering it (the latest one, after a takeover). */
  runId: string;
  /** While running: when its instance is presumed dead and a retry may take over. */
  leaseUntil: string;
  createdAt: string;
  updatedAt: string;
  /** When the key is forgotten: a later request with it is a new request. */
  expiresAt: string;
  /** Set when done. */
  response?: StoredResponse;
}

export type AsyncRunState = 'queued' | 'running' | 'done';

/**
 * A workflow run answered 202 over HTTP and continued on the queue (Logic Apps' asynchronous pattern): what to run,
 * who runs it now, and once done the answer a poll of its status URL gets.
 */
export interface AsyncRunRecord {
  runId: string;
  workflow: string;
  state: AsyncRunState;
  /** JSON of what to run: `{ input, dryRun?, idempotencyKey?, startedAt }` (at most MAX_RUN_REQUEST_CHARS). */
  request: string;
  /** JSON of the run report's `handoff`: why it went to the queue and what the synchronous part changed. */
  handoff: string;
  /** The instance running it (a fresh id per attempt) and until when, while `running`. */
  holder?: string;
  leaseUntil?: string;
  /** Attempts started so far (a throttled run is queued again, up to a limit). */
  attempts: number;
  createdAt: string;
  updatedAt: string;
  /** When it is forgotten (RUN_REPORT_RETENTION_HOURS after its last change): polls answer 404 from then on. */
  expiresAt: string;
  /** Set when done: the answer (the final report, the status it maps to). */
  response?: StoredResponse;
}

/** Longest stored run request and run report (with the handoff, they share one entity's 1 MiB). */
export const MAX_RUN_REQUEST_CHARS = 4 * 30_000;
export const MAX_RUN_REPORT_CHARS = 8 * 30_000;

export interface StateStore {
  getWatermark(workflow: string): Promise<WatermarkState>;
  /**
   * Records the window a run is about to cover (or resumes), with its holder and lease, so a crash leaves a trace the
   * next run resumes from and a live run is not joined by a second one. Written only if the pending window is still
   * `expected` (undefined: none), compared by run id, holder and lease end.
   * @returns false when it changed in between (another run claimed, renewed or completed it): read it again.
   */
  claimWindow(workflow: string, pending: PendingWindow, expected: PendingWindow | undefined): Promise<boolean>;
  /**
   * Moves the lease end of the pending window of `runId` held by `holder`: a renewal, or a time already past to let
   * the next run resume it at once. @returns false when that window is no longer pending or another run holds it.
   */
  renewWindow(workflow: string, runId: string, holder: string, leaseUntil: string): Promise<boolean>;
  /**
   * Marks the window of `runId` complete: the watermark moves to `end` (never backwards) and the pending window is
   * cleared if it is still this run's (and, given `holder`, still held by it: a run that lost its lease to another
   * leaves the window to the new holder).
   */
  completeWindow(workflow: string, runId: string, end: string, holder?: string): Promise<void>;

  getWrite(workflow: string, key: string): Promise<{ record: WriteRecord; version: Version } | undefined>;
  /** Pending writes of a workflow (a few at most: they exist only while a write is in flight or after a crash). */
  listPendingWrites(workflow: string): Promise<{ record: WriteRecord; version: Version }[]>;
  /** Inserts a new record. @returns its version, or undefined when the key already exists (someone claimed it first). */
  createWrite(workflow: string, record: WriteRecord): Promise<Version | undefined>;
  /** Replaces the record only if it still has `version`. @returns the new version, or undefined when it changed in between. */
  replaceWrite(workflow: string, record: WriteRecord, version: Version): Promise<Version | undefined>;
  /**
   * Deletes the record only if it still has `version` (a claim released: the API refused the change).
   * @returns false when it changed in between or is gone.
   */
  deleteWrite(workflow: string, key: string, version: Version): Promise<boolean>;

  getIdempotency(workflow: string, key: string): Promise<{ record: IdempotencyRecord; version: Version } | undefined>;
  /** Inserts a new record. @returns its version, or undefined when the key already exists. */
  createIdempotency(workflow: string, record: IdempotencyRecord): Promise<Version | undefined>;
  /** Replaces the record only if it still has `version`. @returns the new version, or undefined when it changed. */
  replaceIdempotency(workflow: string, record: IdempotencyRecord, version: Version): Promise<Version | undefined>;
  /** Deletes the record only if it still has `version`. @returns false when it changed in between or is gone. */
  deleteIdempotency(workflow: string, key: string, version: Version): Promise<boolean>;

  getRun(runId: string): Promise<{ record: AsyncRunRecord; version: Version } | undefined>;
  /** Inserts a new record. @returns its version, or undefined when the run id exists. */
  createRun(record: AsyncRunRecord): Promise<Version | undefined>;
  /** Replaces the record only if it still has `version`. @returns the new version, or undefined when it changed. */
  replaceRun(record: AsyncRunRecord, version: Version): Promise<Version | undefined>;
  /** Deletes the record only if it still has `version`. @returns false when it changed in between or is gone. */
  deleteRun(runId: string, version: Version): Promise<boolean>;
  /** Deletes every run whose expiresAt is before `now`. @returns how many. */
  purgeRuns(now: Date): Promise<number>;
}

/** Whether two pending windows are the same claim: run, holder and lease end (what claimWindow compares). */
export function sameWindowClaim(a: PendingWindow | undefined, b: PendingWindow | undefined): boolean {
  if (!a || !b) return a === b;
  return a.runId === b.runId && (a.holder ?? '') === (b.holder ?? '') && (a.leaseUntil ?? '') === (b.leaseUntil ?? '');
}
