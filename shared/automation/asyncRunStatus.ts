// GET on an asynchronous run's status URL (asyncRuns.ts; /api/workflows/{name}/runs/{runId}): 202 with Location and Retry-After while it is queued or
// running, its final answer (the run report with the status it maps to, shared/httpStatus.ts) once done, 404 once
// its report has expired (RUN_REPORT_RETENTION_HOURS; the expired record is deleted on the way). A poll that finds
// the run's holder dead (its lease ended while running) queues the run again, so a crash delays it by a lease, not
// by the queue's redelivery (up to ten minutes for a message whose function never returned).
import { AppError, toError } from '../errors';
import type { Logger } from '../logger';
import type { AsyncRunRecord } from '../state/types';
import type { Automation } from '.';
import { acceptedAnswer, RUN_ID, unheld, type AsyncRunMessage } from './asyncRuns';
import type { RequestAnswer } from './requestIdempotency';

/** The run id in the route does not name a run we still know: 404 naming the path's `runId`. */
class RunNotFoundError extends AppError {
  readonly field = 'runId';
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** What a GET of the status URL answers; the body is the stored report as it was sent (JSON text). */
export interface RunStatusAnswer {
  status: number;
  headers: Record<string, string>;
  body: RequestAnswer['report'] | string;
}

/**
 * @throws {AppError} NOT_FOUND (404) for an unknown or expired run; storage errors (503).
 */
export async function asyncRunStatus(
  automation: Pick<Automation, 'engine' | 'asyncRuns'>,
  workflow: string,
  runId: string,
  logger: Logger,
): Promise<RunStatusAnswer> {
  const { state } = automation.engine;
  const now = (automation.engine.now ?? ((): Date => new Date()))();
  const gone = (): RunNotFoundError =>
    new RunNotFoundError(
      `No run ${RUN_ID.test(runId) ? runId : 'with this id'} of this workflow is known: unknown, or its report has expired (reports are kept RUN_REPORT_RETENTION_HOURS after the run's last change)`,
    );
  if (!RUN_ID.test(runId)) throw gone();
  const found = await state.getRun(runId);
  // Another workflow's run is not found here, the same answer as an unknown id: the URL names both.
  if (!found || found.record.workflow !== workflow) throw gone();
  let { record } = found;
  if (Date.parse(record.expiresAt) <= now.getTime()) {
    // Purged here rather than left for the hourly purge: what a 404 says is then also true of storage.
    await state
      .deleteRun(runId, found.version)
      .catch((e: unknown) =>
        logger.warn('[async-run] could not delete an expired run', { runId, error: toError(e).message }),
      );
    throw gone();
  }
  if (record.state === 'done' && record.response) {
    const { status, headers, body } = record.response;
    return { status, headers, body };
  }
  if (record.state === 'running' && record.leaseUntil !== undefined && Date.parse(record.leaseUntil) <= now.getTime())
    record = await requeue(automation, record, found.version, now, logger);
  const accepted = acceptedAnswer(record, automation.asyncRuns);
  return { status: accepted.status, headers: accepted.headers, body: accepted.report };
}

/**
 * The holder died: queue the run again. The message goes first, so a record marked queued always has one on its way
 * (a send that fails leaves the record as it was, and the poll answers 503); of several polls at once, the ETag lets
 * one mark it, and the other messages find it taken and change nothing.
 */
async function requeue(
  automation: Pick<Automation, 'engine' | 'asyncRuns'>,
  record: AsyncRunRecord,
  version: string,
  now: Date,
  logger: Logger,
): Promise<AsyncRunRecord> {
  const queued = unheld(record, {
    state: 'queued',
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + automation.asyncRuns.retentionMs).toISOString(),
  });
  await automation.asyncRuns.queue.send({ kind: 'workflowRun', runId: record.runId } satisfies AsyncRunMessage);
  if ((await automation.engine.state.replaceRun(queued, version)) === undefined) return record;
  logger.warn('[async-run] its instance died; queued again', { runId: record.runId, holder: record.holder });
  return queued;
}
