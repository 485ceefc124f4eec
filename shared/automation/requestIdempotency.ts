// Request-level idempotency for HTTP workflow runs (draft-ietf-httpapi-idempotency-key-header-06 §2.6-2.7): one
// record per (workflow, key) in the StateStore, written with ETag concurrency so many instances agree.
// - first request: insert {fingerprint, running, lease} if absent, then run;
// - same key, different fingerprint → 422 IDEMPOTENCY_KEY_REUSED (both fingerprints' short forms, never the bodies);
// - same key while the first still runs (lease live) → 409 IDEMPOTENCY_IN_PROGRESS with Retry-After;
// - same key after a final answer (2xx/4xx) → that answer replayed, marked `Idempotent-Replayed: true`;
// - running but its lease ended (the instance died) → taken over with the ETag and run again (the write guard keeps
//   every write once-only, and the new run finishes the dead one's pending writes first). The lease is short
//   (LEASE_SECONDS) and renewed while the request runs (Admission.lease, kept by the run's heartbeat).
// A retryable answer (409, 5xx) is not stored: the record is released so the caller's retry runs again.
// Keys expire after `ttlMs` (24 hours by default, published in docs/recipes.md); an expired record is replaced.
import { createHash } from 'node:crypto';
import type { RunReport } from '../engine';
import type { AcceptedRun } from './asyncRuns';
import { canonicalJson } from '../engine/writeGuard';
import { InProgressError } from '../engine/inProgressError';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { KeptLease } from '../state/heartbeat';
import { holdRecord } from '../state/heldRecord';
import { MAX_STORED_BODY_CHARS, type IdempotencyRecord, type StateStore, type Version } from '../state/types';

export interface IdempotencyOptions {
  now: () => Date;
  /** How long a running request's key outlives its instance: renewed every third of this while it runs. */
  leaseMs: number;
  /** How long a key is remembered. */
  ttlMs: number;
}

export const DEFAULT_IDEMPOTENCY: Omit<IdempotencyOptions, 'now'> = {
  // LEASE_SECONDS' default: renewed while the request runs, so only a dead instance's key waits this out.
  leaseMs: 60_000,
  ttlMs: 24 * 60 * 60_000,
};

export interface RequestAnswer {
  status: number;
  headers: Record<string, string>;
  /** The run report, or (202) where an asynchronous run's report will be (asyncRuns.ts). */
  report: RunReport | AcceptedRun;
}

export type Admission =
  | { kind: 'replay'; answer: RequestAnswer }
  | {
      kind: 'run';
      /** The key's lease while the request runs: keep it in the run's heartbeat. */
      lease: KeptLease;
      /** Stores a final answer (2xx, 4xx) for replay; releases the key after any other. */
      finish(answer: RequestAnswer): Promise<void>;
      /** Releases the key: the run threw before it could answer. */
      abandon(): Promise<void>;
    };

/** sha256 (hex) of what makes two requests the same: the workflow, its input and whether it is a dry run. */
export function requestFingerprint(workflow: string, input: unknown, dryRun: boolean): string {
  return createHash('sha256').update(canonicalJson({ workflow, input, dryRun })).digest('hex');
}

const short = (fingerprint: string): string => fingerprint.slice(0, 12);

const isFinal = (status: number): boolean => status < 300 || (status >= 400 && status < 500 && status !== 409);

/**
 * JSON with every non-ASCII character escaped (\uXXXX): the same JSON, in characters every store keeps intact.
 * Azurite was seen corrupting a multi-byte character where a large entity's body crossed a 64 KiB chunk.
 */
export const asciiJson = (v: unknown): string =>
  JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The stored body: the report as is, or cut to fit `max` (changes lists emptied) with `truncated` saying so. */
export function storedBody(report: RunReport | AcceptedRun, max = MAX_STORED_BODY_CHARS): string {
  const full = asciiJson(report);
  if (full.length <= max || !('steps' in report)) return full;
  const cut: RunReport = {
    ...report,
    truncated:
      'the stored copy of this report was too large to keep whole: changes lists are left out; the first answer had them',
    steps: report.steps.map((s) => ({ ...s, changes: [] })),
    ...(report.resumedWrites ? { resumedWrites: [] } : {}),
    ...(report.handoff ? { handoff: { ...report.handoff, changes: [] } } : {}),
  };
  const text = asciiJson(cut);
  return text.length <= max
    ? text
    : asciiJson({ ...cut, steps: [], truncated: `${cut.truncated ?? ''}; steps are left out too` });
}

/**
 * Looks the key up and decides: run now, replay a stored answer, or refuse.
 * @throws {AppError} IDEMPOTENCY_KEY_REUSED (422) when the key came with another body.
 * @throws {InProgressError} IDEMPOTENCY_IN_PROGRESS (409 + Retry-After) while the first request runs.
 */
export async function admitRequest(
  state: StateStore,
  request: { workflow: string; key: string; fingerprint: string; runId: string },
  o: IdempotencyOptions,
  logger: Logger,
): Promise<Admission> {
  const { workflow, key, fingerprint } = request;
  const fresh = (createdAt?: string): IdempotencyRecord => {
    const now = o.now();
    return {
      key,
      fingerprint,
      state: 'running',
      runId: request.runId,
      leaseUntil: new Date(now.getTime() + o.leaseMs).toISOString(),
      createdAt: createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + o.ttlMs).toISOString(),
    };
  };
  // Each lost race means another request changed the record; three rounds settle any honest contention.
  for (let round = 0; round < 3; round++) {
    const current = await state.getIdempotency(workflow, key);
    const now = o.now().getTime();
    let version: Version | undefined;
    let running: IdempotencyRecord;
    if (!current || Date.parse(current.record.expiresAt) <= now) {
      running = fresh();
      version = current
        ? await state.replaceIdempotency(workflow, running, current.version)
        : await state.createIdempotency(workflow, running);
    } else {
      const r = current.record;
      if (r.fingerprint !== fingerprint) {
        throw new AppError(
          'IDEMPOTENCY_KEY_REUSED',
          `Idempotency key reused with a different request: this key was first sent with a request whose fingerprint is ${short(r.fingerprint)}…, this request's is ${short(fingerprint)}… (workflow, input and dryRun). Use a new key for a new request.`,
        );
      }
      if (r.state === 'done' && r.response) {
        logger.info('[http] idempotent replay', { workflow, runId: r.runId, status: r.response.status });
        return {
          kind: 'replay',
          answer: {
            status: r.response.status,
            headers: { ...r.response.headers, 'Idempotent-Replayed': 'true' },
            report: JSON.parse(r.response.body) as RunReport,
          },
        };
      }
      const leaseLeft = Date.parse(r.leaseUntil) - now;
      if (leaseLeft > 0) {
        // No one knows how long the first run still needs: about as long as it has run so far (at least 1 s, at
        // most until its lease ends), so a short race retries at once and a long run is not polled needlessly.
        const running = now - Date.parse(r.updatedAt);
        throw new InProgressError(
          'IDEMPOTENCY_IN_PROGRESS',
          `The first request with this idempotency key (run ${r.runId}) is still running; retry after Retry-After seconds to get its answer`,
          Math.min(leaseLeft, Math.max(1000, running)),
        );
      }
      // Its instance died mid-run: take the key over; the run finishes the dead one's pending writes first.
      running = fresh(r.createdAt);
      version = await state.replaceIdempotency(workflow, running, current.version);
      if (version !== undefined)
        logger.warn('[http] idempotency key taken over from a run whose lease ended', {
          workflow,
          previousRunId: r.runId,
          runId: request.runId,
        });
    }
    if (version !== undefined) return admitted(state, workflow, running, version, o, logger);
  }
  throw new InProgressError(
    'IDEMPOTENCY_IN_PROGRESS',
    'Concurrent requests with this idempotency key kept changing its record; retry after Retry-After seconds',
    1000,
  );
}

function admitted(
  state: StateStore,
  workflow: string,
  running: IdempotencyRecord,
  version: Version,
  o: IdempotencyOptions,
  logger: Logger,
): Admission {
  // Kept alive by the request's heartbeat (runWorkflowRequest) while it runs.
  const held = holdRecord(
    {
      label: `the idempotency key of run ${running.runId}`,
      leaseMs: o.leaseMs,
      renew: (at) =>
        state.replaceIdempotency(
          workflow,
          { ...running, leaseUntil: new Date(o.now().getTime() + o.leaseMs).toISOString() },
          at,
        ),
    },
    version,
  );
  const release = async (): Promise<void> => {
    let deleted = false;
    await held.change(async (at) => {
      deleted = await state.deleteIdempotency(workflow, running.key, at);
      return undefined;
    });
    if (!deleted) logger.warn('[http] idempotency record changed before release', { workflow, runId: running.runId });
  };
  return {
    kind: 'run',
    lease: held.lease,
    async finish(answer): Promise<void> {
      if (!isFinal(answer.status)) return release();
      const now = o.now().toISOString();
      const done: IdempotencyRecord = {
        ...running,
        state: 'done',
        leaseUntil: now,
        updatedAt: now,
        response: { status: answer.status, headers: answer.headers, body: storedBody(answer.report) },
      };
      const stored = await held.change((at) => state.replaceIdempotency(workflow, done, at));
      if (stored === undefined)
        logger.warn('[http] idempotency record changed before the answer was stored; a retry runs again', {
          workflow,
          runId: running.runId,
        });
    },
    abandon: release,
  };
}
