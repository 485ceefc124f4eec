// The queued part of an asynchronous run (asyncRuns.ts): whichever instance takes the message claims the run record
// (ETag), holds it under a lease its heartbeat renews (shared/state/heartbeat.ts), runs the workflow again under the
// same run id, idempotency key and start time — so the writes its synchronous part made are found done and the ones
// it left pending are finished by the same owner at once — and stores the final answer. A run throttled for longer
// than the background budget waits (the message comes back after the quota's Retry-After) up to MAX_ATTEMPTS times.
// A duplicate message changes nothing; one for a run another instance holds comes back once that lease ends, so a
// run whose holder died is taken over within a lease of its last renewal (a poll, asyncRunStatus.ts, does it too).
import { randomUUID } from 'node:crypto';
import { DEFAULT_LEASE_MS, InProgressError, runWorkflow, type RunHandoff, type RunReport } from '../engine';
import { AppError, InputError, toError } from '../errors';
import type { Logger } from '../logger';
import { startHeartbeat } from '../state/heartbeat';
import { holdRecord, type HeldRecord } from '../state/heldRecord';
import { MAX_RUN_REPORT_CHARS, type AsyncRunRecord } from '../state/types';
import type { Automation } from '.';
import { approvalHandoff, expiryDelayMs } from './approvalWait';
import { RUN_ID, unheld, type AsyncRunMessage, type AsyncRunRequest } from './asyncRuns';
import { storedBody } from './requestIdempotency';
import { tenantEngine } from '../tenants/tenantEngine';
import type { TenantRegistry } from '../tenants/registry';
import type { AppDeps } from '../deps';
import { statusOfReport } from './runWorkflowRequest';

/** Attempts before a run that keeps dying or being throttled ends with the last report (or a failure saying so). */
export const MAX_ATTEMPTS = 10;

export type ContinueOutcome =
  | { status: 'done'; report: RunReport }
  | { status: 'requeued'; delayMs: number }
  | { status: 'skipped'; reason: string }
  | { status: 'poisoned'; reason: string };

type Continuing = Pick<Automation, 'workflows' | 'engine' | 'asyncRuns'> & {
  deps: { config: { queueMaxDequeueCount: number; tenants?: TenantRegistry }; tenant?: AppDeps['tenant'] };
};

const isRunMessage = (v: unknown): v is AsyncRunMessage =>
  !!v &&
  typeof v === 'object' &&
  (v as AsyncRunMessage).kind === 'workflowRun' &&
  RUN_ID.test(String((v as AsyncRunMessage).runId));

/** A report for a run that could not start (its workflow is gone, its input no longer fits): nothing ran. */
function notRunReport(record: AsyncRunRecord, at: Date, error: { code: string; message: string }): RunReport {
  // A parked timer run's record says so in its request (parkScheduledRun.ts); every other record is an HTTP run's.
  const timer = (JSON.parse(record.request) as AsyncRunRequest).timerWindow !== undefined;
  return {
    runId: record.runId,
    workflow: record.workflow,
    trigger: timer ? 'timer' : 'http',
    dryRun: false,
    status: 'failed',
    startedAt: at.toISOString(),
    finishedAt: at.toISOString(),
    durationMs: 0,
    error,
    steps: [],
  };
}

/** A parked timer run whose window another run completed: it ends on purpose, having done nothing. */
function stoppedReport(record: AsyncRunRecord, at: Date, stopReason: string): RunReport {
  const { error: _none, ...report } = notRunReport(record, at, { code: 'STOPPED', message: stopReason });
  return { ...report, status: 'stopped', stopReason };
}

/**
 * Runs (or goes on with) the asynchronous run a queue message names.
 * @throws storage errors, so the queue retries the message (the run's lease ends by itself).
 */
export async function continueAsyncRun(
  automation: Continuing,
  message: unknown,
  attempt: { dequeueCount: number; logger: Logger },
): Promise<ContinueOutcome> {
  const { engine, asyncRuns } = automation;
  const { state } = engine;
  const now = engine.now ?? ((): Date => new Date());
  const leaseMs = engine.leaseMs ?? DEFAULT_LEASE_MS;
  const logger = attempt.logger;
  if (!isRunMessage(message)) {
    const reason = 'not a workflow-run message';
    await asyncRuns.queue.sendPoison(message, reason, attempt.dequeueCount);
    logger.error(`[async-run] poisoned: ${reason}`);
    return { status: 'poisoned', reason };
  }
  const holder = randomUUID();
  const later = (ms: number): string => new Date(now().getTime() + ms).toISOString();

  // Claim the run: three rounds settle any honest race between two deliveries.
  let claimed: { record: AsyncRunRecord; held: HeldRecord } | undefined;
  const heartbeat = startHeartbeat({ logger, component: 'async-run' });
  try {
    for (let round = 0; round < 3 && !claimed; round++) {
      const current = await state.getRun(message.runId);
      if (!current) return { status: 'skipped', reason: 'no such run (expired and purged)' };
      const r = current.record;
      if (r.state === 'done') return { status: 'skipped', reason: 'already done' };
      if (r.state === 'running' && r.leaseUntil !== undefined && Date.parse(r.leaseUntil) > now().getTime()) {
        // A second message (a redelivery, a poll's requeue) while its holder lives. Look again once that lease has
        // ended: a live holder will have renewed it (this repeats, one message per lease, until the run is done); a
        // dead one will not, and the run is taken over then, whether anyone polls or not.
        const delayMs = Math.max(1000, Date.parse(r.leaseUntil) - now().getTime() + 1000);
        await asyncRuns.queue.send(message, { delayMs });
        return {
          status: 'skipped',
          reason: `another instance is running it (lease until ${r.leaseUntil}); looks again in ${delayMs} ms`,
        };
      }
      const running: AsyncRunRecord = {
        ...r,
        state: 'running',
        holder,
        leaseUntil: later(leaseMs),
        attempts: r.attempts + 1,
        updatedAt: now().toISOString(),
        expiresAt: later(asyncRuns.retentionMs + leaseMs),
      };
      const version = await state.replaceRun(running, current.version);
      if (version === undefined) continue;
      const held = holdRecord(
        {
          label: `asynchronous run ${r.runId}`,
          leaseMs,
          heartbeat,
          // The record stays readable as long as it runs, however long that is.
          renew: (at) =>
            state.replaceRun(
              { ...running, leaseUntil: later(leaseMs), expiresAt: later(asyncRuns.retentionMs + leaseMs) },
              at,
            ),
        },
        version,
      );
      claimed = { record: running, held };
    }
    if (!claimed) return { status: 'skipped', reason: 'its record kept changing under concurrent deliveries' };
    const { record, held } = claimed;
    const finish = async (report: RunReport): Promise<ContinueOutcome> => {
      held.letGo();
      const answer = statusOfReport(report);
      const done = unheld(record, {
        state: 'done',
        updatedAt: now().toISOString(),
        expiresAt: later(asyncRuns.retentionMs),
        response: { status: answer.status, headers: answer.headers, body: storedBody(report, MAX_RUN_REPORT_CHARS) },
      });
      if ((await held.change((at) => state.replaceRun(done, at))) === undefined)
        logger.warn('[async-run] lost the run to another instance before storing its report', { runId: record.runId });
      else logger.info(`[async-run] ${report.status}`, { runId: record.runId, workflow: record.workflow });
      return { status: 'done', report };
    };

    const workflow = automation.workflows.get(record.workflow);
    const at = now();
    if (!workflow)
      return await finish(
        notRunReport(record, at, { code: 'NOT_FOUND', message: `Workflow '${record.workflow}' is no longer loaded` }),
      );
    if (record.attempts > MAX_ATTEMPTS)
      return await finish(
        notRunReport(record, at, {
          code: 'STEP_FAILED',
          message: `the run was started ${MAX_ATTEMPTS} times without finishing (its instances died, or the quota stayed spent); see the logs for run ${record.runId}`,
        }),
      );
    const request = JSON.parse(record.request) as AsyncRunRequest;
    const handoff = JSON.parse(record.handoff) as RunHandoff;
    const requeue = async (delayMs: number, change: Partial<AsyncRunRecord> = {}): Promise<boolean> => {
      held.letGo();
      const queued = unheld(record, {
        state: 'queued',
        updatedAt: now().toISOString(),
        expiresAt: later(asyncRuns.retentionMs + delayMs),
        ...change,
      });
      if ((await held.change((v) => state.replaceRun(queued, v))) === undefined) return false;
      await asyncRuns.queue.send({ kind: 'workflowRun', runId: record.runId } satisfies AsyncRunMessage, { delayMs });
      return true;
    };
    // The run's tenant (TENANTS): its clients and its state partition for windows, writes and keys.
    const runEngine =
      request.tenant !== undefined && automation.deps.config.tenants && automation.deps.tenant
        ? tenantEngine(
            { deps: { config: { tenants: automation.deps.config.tenants }, tenant: automation.deps.tenant }, engine },
            request.tenant,
            logger,
          )
        : { ...engine, logger };
    if (request.timerWindow !== undefined) {
      // A parked timer run resumes its window only while that window is still pending: a tick that completed it
      // first (the approval was decided just before it) leaves nothing to do, and no new window is started here.
      const pending = (await runEngine.state.getWatermark(record.workflow)).pending;
      if (pending?.runId !== request.timerWindow)
        return await finish(
          stoppedReport(
            record,
            at,
            `its window was completed by another run (watermark ${pending?.runId ?? 'moved on'})`,
          ),
        );
    }
    let report: RunReport;
    try {
      report = await runWorkflow(
        workflow,
        request.timerWindow !== undefined
          ? { trigger: 'timer', runId: record.runId, heartbeat }
          : {
              trigger: 'http',
              runId: record.runId,
              input: request.input,
              ...(request.dryRun !== undefined ? { dryRun: request.dryRun } : {}),
              ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
              startedAt: request.startedAt,
              heartbeat,
            },
        runEngine,
      );
    } catch (e) {
      // The input no longer matches the workflow (its file changed since): the caller's request, now refused.
      if (e instanceof InputError) return await finish(notRunReport(record, at, { code: e.code, message: e.message }));
      if (e instanceof InProgressError && e.code === 'WINDOW_IN_PROGRESS') {
        // A tick (or a CLI run) covers the window right now: look again once its lease ends; it is no failed attempt.
        const delayMs = Math.max(1000, e.retryAfterMs ?? 30_000);
        if (!(await requeue(delayMs, { attempts: Math.max(0, record.attempts - 1) })))
          return { status: 'skipped', reason: 'lost the run to another instance' };
        logger.info('[async-run] its window is covered by another run; looks again later', { runId: record.runId });
        return { status: 'requeued', delayMs };
      }
      throw e;
    }
    report = { ...report, handoff };
    if (report.status === 'awaitingApproval') {
      // Parked again (no decision yet, or a later step asks for another): comes back at the expiry or the decision.
      const delayMs = expiryDelayMs(report, now());
      held.letGo();
      const queued = unheld(record, {
        state: 'queued',
        // A wait for a person is not a failed attempt.
        attempts: Math.max(0, record.attempts - 1),
        handoff: JSON.stringify({ ...approvalHandoff(report, handoff.changes), at: handoff.at }),
        updatedAt: now().toISOString(),
        expiresAt: later(asyncRuns.retentionMs + delayMs),
      });
      if ((await held.change((v) => state.replaceRun(queued, v))) === undefined)
        return { status: 'skipped', reason: 'lost the run to another instance' };
      await asyncRuns.queue.send({ kind: 'workflowRun', runId: record.runId } satisfies AsyncRunMessage, { delayMs });
      logger.info('[async-run] awaiting approval; continues once decided or expired', { runId: record.runId });
      return { status: 'requeued', delayMs };
    }
    if (report.status === 'throttled' && record.attempts < MAX_ATTEMPTS) {
      // The quota is spent for longer than the background budget waits: come back once it has reset.
      const delayMs = Math.max(1000, report.retryAfterMs ?? 30_000);
      held.letGo();
      const queued = unheld(record, {
        state: 'queued',
        updatedAt: now().toISOString(),
        expiresAt: later(asyncRuns.retentionMs + delayMs),
      });
      if ((await held.change((v) => state.replaceRun(queued, v))) === undefined)
        return { status: 'skipped', reason: 'lost the run to another instance' };
      await asyncRuns.queue.send({ kind: 'workflowRun', runId: record.runId } satisfies AsyncRunMessage, { delayMs });
      logger.warn('[async-run] throttled; continues once the quota resets', { runId: record.runId, delayMs });
      return { status: 'requeued', delayMs };
    }
    return await finish(report);
  } catch (e) {
    if (claimed) {
      // Hand the run back at once for the queue's retry; on the last delivery, say what happened in the report
      // rather than leave pollers at 202 until the record expires.
      const { record, held } = claimed;
      held.letGo();
      let next = unheld(record, { state: 'queued', updatedAt: now().toISOString() });
      if (attempt.dequeueCount >= automation.deps.config.queueMaxDequeueCount) {
        const error =
          e instanceof AppError
            ? { code: e.code, message: e.message }
            : { code: 'STEP_FAILED', message: toError(e).message };
        const report = notRunReport(record, now(), error);
        const answer = statusOfReport(report);
        next = {
          ...next,
          state: 'done',
          expiresAt: later(asyncRuns.retentionMs),
          response: { status: answer.status, headers: answer.headers, body: storedBody(report) },
        };
      }
      await held.change((at) => state.replaceRun(next, at)).catch(() => undefined);
    }
    throw e;
  } finally {
    heartbeat.stop();
  }
}
