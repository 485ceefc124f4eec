// An HTTP request to run a workflow: the body's shape, the workflow's HTTP trigger, its idempotency key (request
// level: requestIdempotency.ts), and the run report's status mapped to what HTTP callers (Logic Apps, scripts) act
// on, through the one contract (shared/httpStatus.ts).
//
// Runs that will not finish in time go on in the background (asyncRuns.ts) and are answered 202 + Location:
// - `Prefer: respond-async` (RFC 7240): at once, before anything runs;
// - otherwise the run starts synchronously and hands off when it would miss the HTTP deadline. Nothing predicts a
//   run's length well before its steps have run (a hunt decides how many incidents follow), so the run itself
//   decides: at three quarters of HTTP_DEADLINE_SECONDS it stops starting new work (the engine's stop signal) and
//   its calls stop waiting (the retry budget's deadline moves there: a quota wait or retry that would outlast it
//   ends the call), so the 202 goes out well inside the deadline; a run that ends throttled (a quota wait longer
//   than its time left, or the API's 429 beyond the retries) or out of time (DEADLINE_EXCEEDED) is handed off too.
//   A write cut short is settled as any failed write is (steps/settleWrite.ts): kept pending for the next attempt.
//   The queued part runs the workflow again under the same run id, idempotency key and start time: the write guard
//   finds what the synchronous part did done, and its half-done writes belong to the same owner, so they are
//   finished at once and nothing is written twice. The request's key stores the 202, so a retried POST gets the
//   same run's Location.
import { randomUUID } from 'node:crypto';
import { runWorkflow, type RunHandoff, type RunReport } from '../engine';
import { AppError, InputError, toError } from '../errors';
import { httpStatusFor } from '../httpStatus';
import type { Logger } from '../logger';
import { activeRetryBudget, withRetryBudget } from '../http/retryBudget';
import { whileHeld, type Heartbeat } from '../state/heartbeat';
import type { StepChange } from '../steps/types';
import { validateRunInput } from '../workflows/runInput';
import { runTenant, userRunTenant } from '../tenants/runTenant';
import { tenantEngine } from '../tenants/tenantEngine';
import type { Automation } from '.';
import { approvalHandoff, expiryDelayMs } from './approvalWait';
import { prefersRespondAsync, startAsyncRun, type AcceptedRun, type AsyncRunRequest } from './asyncRuns';
import { resolveIdempotencyKey, type LogicAppsHeaders } from './idempotencyKey';
import {
  admitRequest,
  DEFAULT_IDEMPOTENCY,
  requestFingerprint,
  type IdempotencyOptions,
  type RequestAnswer,
} from './requestIdempotency';

const BODY_KEYS = ['input', 'dryRun', 'idempotencyKey', 'tenant'];

export interface RunWorkflowResponse {
  status: number;
  headers: Record<string, string>;
  /** The run report, or (202) where it will be. */
  report: RunReport | AcceptedRun;
}

/** The share of the HTTP deadline after which a synchronous run starts no new work and hands off. */
const HANDOFF_SHARE = 0.75;

/** Why a synchronous run's report means it would not finish in time. */
function handoffReason(report: RunReport, stopped: boolean): RunHandoff['reason'] | undefined {
  if (report.status === 'interrupted' && stopped) return 'deadline';
  if (report.status === 'throttled') return 'throttled';
  if (report.status === 'failed' && report.error?.code === 'DEADLINE_EXCEEDED') return 'deadline';
  return undefined;
}

/** What the synchronous part of a handed-off run changed: its report is not the final one, its changes count. */
function changesMade(report: RunReport): StepChange[] {
  return [...(report.resumedWrites ?? []), ...report.steps.flatMap((s) => s.changes)].filter(
    (c) => c.outcome === 'applied',
  );
}

export async function runWorkflowRequest(
  automation: Pick<Automation, 'workflows' | 'engine' | 'asyncRuns'> & Partial<Pick<Automation, 'deps'>>,
  name: string,
  body: Record<string, unknown>,
  options: {
    /** The raw `Idempotency-Key` header. */
    idempotencyKeyHeader?: string | null | undefined;
    /** Logic Apps' headers, for the derived key when the caller sends none. */
    logicApps?: LogicAppsHeaders;
    logger: Logger;
    idempotency?: Partial<IdempotencyOptions>;
    /** The raw `Prefer` header: `respond-async` sends the run to the background at once. */
    prefer?: string | null | undefined;
    /**
     * Epoch ms at which a synchronous run starts no new work and hands off to the queue. Default: three quarters
     * of the way to the HTTP deadline (HTTP_DEADLINE_SECONDS) when there is one, else never.
     */
    handoffAt?: number;
    /**
     * On behalf of the caller (HTTP_AUTH_MODE bearer): `automation.engine` already calls the APIs with the user's
     * tokens. Such a run never goes to the background, which cannot act as the user: it answers within this request
     * (throttled or out of time: its report says so, with the status it maps to).
     */
    actingUser?: { upn: string; oid: string };
  },
): Promise<RunWorkflowResponse> {
  const workflow = automation.workflows.get(name);
  if (!workflow) {
    throw new WorkflowNotFoundError(
      `Unknown workflow '${name}'; available: ${[...automation.workflows.keys()].join(', ')}`,
    );
  }
  // 404 as well: for an HTTP caller a workflow it may not run is no resource at this route (405 would need an Allow
  // header listing what is allowed, and there is nothing; 403 would suggest other credentials could run it).
  if (!workflow.triggers.http) {
    throw new WorkflowNotFoundError(
      `Workflow '${name}' has no HTTP trigger, so it cannot be run over HTTP (add "http: true" under triggers to allow it)`,
    );
  }
  for (const key of Object.keys(body)) {
    if (!BODY_KEYS.includes(key)) throw new InputError(key, `Unknown field '${key}'; allowed: ${BODY_KEYS.join(', ')}`);
  }
  const input = body.input ?? {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InputError('input', 'input must be an object');
  }
  if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean')
    throw new InputError('dryRun', 'dryRun must be true or false');
  // Checked before any lookup: a malformed key or input is refused whatever the store holds.
  const resolved = resolveIdempotencyKey({
    header: options.idempotencyKeyHeader,
    body: body.idempotencyKey,
    logicApps: options.logicApps,
    requestBody: body,
  });
  validateRunInput(workflow, input);
  // The tenant the run acts in (TENANTS): its clients, state partition and quota; without TENANTS, the engine as is.
  // On behalf of a caller the clients are the caller's (delegated, in the deployment's own tenant).
  const tenant = !automation.deps
    ? undefined
    : options.actingUser
      ? userRunTenant(automation.deps.config.tenants, workflow, body.tenant, 'call with the function key')
      : runTenant(automation.deps.config.tenants, workflow, body.tenant);
  const engine =
    automation.deps && tenant !== undefined && !options.actingUser
      ? tenantEngine({ deps: automation.deps, engine: automation.engine }, tenant, options.logger)
      : { ...automation.engine, logger: options.logger };
  const dryRun = body.dryRun === true;
  const runId = randomUUID();
  const logger = engine.logger ?? options.logger;
  const now = automation.engine.now ?? ((): Date => new Date());
  const startedAt = now().toISOString();
  const request: AsyncRunRequest = {
    input: input as Record<string, unknown>,
    ...(body.dryRun !== undefined ? { dryRun } : {}),
    ...(resolved ? { idempotencyKey: resolved.key } : {}),
    startedAt,
    ...(engine.tenant !== undefined ? { tenant: engine.tenant } : {}),
  };
  const respondAsync = prefersRespondAsync(options.prefer);
  if (respondAsync && options.actingUser)
    throw new InputError(
      'Prefer',
      'A run on behalf of the caller cannot go to the background (it would no longer act as the caller): send it without Prefer: respond-async',
    );
  const toBackground = (handoff: RunHandoff, delayMs?: number): Promise<RequestAnswer> =>
    startAsyncRun(automation, {
      workflow: workflow.name,
      runId,
      request,
      handoff,
      preferred: respondAsync,
      logger,
      ...(delayMs !== undefined ? { delayMs } : {}),
    });
  const budget = activeRetryBudget();
  const handoffAt = options.actingUser
    ? undefined
    : (options.handoffAt ??
      (budget?.deadline === undefined ? undefined : Date.now() + (budget.deadline - Date.now()) * HANDOFF_SHARE));
  // The synchronous part's calls end by the handoff, not by the HTTP deadline.
  const withinHandoff = <T>(fn: () => Promise<T>): Promise<T> =>
    budget && handoffAt !== undefined ? withRetryBudget({ ...budget, deadline: handoffAt }, fn) : fn();
  const run = async (heartbeat?: Heartbeat): Promise<RequestAnswer> => {
    if (respondAsync) return toBackground({ reason: 'respond-async', at: startedAt, changes: [] });
    const stop = new AbortController();
    const timer =
      handoffAt === undefined
        ? undefined
        : setTimeout(
            () => stop.abort(new Error('handed off to the background: the run would not finish in time')),
            Math.max(0, handoffAt - Date.now()),
          );
    let report: RunReport;
    try {
      report = await withinHandoff(() =>
        runWorkflow(
          workflow,
          {
            trigger: 'http',
            runId,
            input: request.input,
            ...(request.dryRun !== undefined ? { dryRun: request.dryRun } : {}),
            ...(resolved ? { idempotencyKey: resolved.key } : {}),
            ...(heartbeat ? { heartbeat } : {}),
            stopSignal: stop.signal,
          },
          { ...engine, ...(options.actingUser ? { actingUser: options.actingUser } : {}) },
        ),
      );
    } finally {
      clearTimeout(timer);
    }
    if (report.status === 'awaitingApproval') {
      logger.info('[http] run parked until its approval is decided', { workflow: workflow.name, runId });
      return toBackground(approvalHandoff(report, changesMade(report)), expiryDelayMs(report, now()));
    }
    const reason = options.actingUser ? undefined : handoffReason(report, stop.signal.aborted);
    if (reason === undefined) return { ...statusOfReport(report), report };
    logger.info('[http] run handed off to the background', { workflow: workflow.name, runId, reason });
    return toBackground({ reason, at: report.finishedAt, changes: changesMade(report) });
  };
  if (!resolved) return run();

  const admission = await admitRequest(
    engine.state,
    {
      workflow: workflow.name,
      key: resolved.key,
      fingerprint: requestFingerprint(workflow.name, input, dryRun),
      runId,
    },
    {
      now: automation.engine.now ?? ((): Date => new Date()),
      ...DEFAULT_IDEMPOTENCY,
      ...(automation.engine.leaseMs !== undefined ? { leaseMs: automation.engine.leaseMs } : {}),
      ...options.idempotency,
    },
    logger,
  );
  if (admission.kind === 'replay') return admission.answer;
  let answer: RequestAnswer;
  try {
    // The key stays ours while the run works, however long; a failed renewal ends the run (another request has it).
    answer = await whileHeld(admission.lease, { logger, component: 'http' }, run);
  } catch (e) {
    await admission.abandon().catch((err: unknown) => forgetFailed(logger, err));
    throw e;
  }
  // The run is over and its answer stands even if storing it fails: a retry then runs again, and the write guard
  // keeps every write once-only.
  await admission.finish(answer).catch(async (err: unknown) => {
    forgetFailed(logger, err);
    await admission.abandon().catch(() => undefined);
  });
  return answer;
}

function forgetFailed(logger: Logger, err: unknown): void {
  logger.warn('[http] could not update the idempotency record', { error: toError(err).message });
}

/** The answer to a finished run: 200 when it did what it meant to, else what its error's code maps to. */
export function statusOfReport(report: RunReport): { status: number; headers: Record<string, string> } {
  if (report.status === 'succeeded' || report.status === 'stopped') return { status: 200, headers: {} };
  // A failed run always carries its error; without one it is a bug of ours (500), never the caller's fault.
  const error = report.error ?? { code: 'STEP_FAILED', message: 'the run failed' };
  const decision = httpStatusFor({
    code: error.code,
    upstreamStatus: error.upstreamStatus,
    retryAfterMs: error.retryAfterMs ?? report.retryAfterMs,
  });
  return {
    status: decision.status,
    headers: decision.retryAfterSeconds !== undefined ? { 'Retry-After': String(decision.retryAfterSeconds) } : {},
  };
}

/** The route names a workflow that does not exist or that HTTP may not run: 404 naming the path's `name`. */
class WorkflowNotFoundError extends AppError {
  readonly field = 'name';
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}
