// An HTTP request to run a workflow: the body's shape, the workflow's HTTP trigger, its idempotency key (request
// level: requestIdempotency.ts), and the run report's status mapped to what HTTP callers (Logic Apps, scripts) act
// on, through the one contract (shared/httpStatus.ts).
import { randomUUID } from 'node:crypto';
import { runWorkflow, type RunReport } from '../engine';
import { AppError, InputError, toError } from '../errors';
import { httpStatusFor } from '../httpStatus';
import type { Logger } from '../logger';
import { whileHeld, type Heartbeat } from '../state/heartbeat';
import { validateRunInput } from '../workflows/runInput';
import type { Automation } from '.';
import { resolveIdempotencyKey, type LogicAppsHeaders } from './idempotencyKey';
import {
  admitRequest,
  DEFAULT_IDEMPOTENCY,
  requestFingerprint,
  type IdempotencyOptions,
  type RequestAnswer,
} from './requestIdempotency';

const BODY_KEYS = ['input', 'dryRun', 'idempotencyKey'];

export interface RunWorkflowResponse {
  status: number;
  headers: Record<string, string>;
  report: RunReport;
}

export async function runWorkflowRequest(
  automation: Pick<Automation, 'workflows' | 'engine'>,
  name: string,
  body: Record<string, unknown>,
  options: {
    /** The raw `Idempotency-Key` header. */
    idempotencyKeyHeader?: string | null | undefined;
    /** Logic Apps' headers, for the derived key when the caller sends none. */
    logicApps?: LogicAppsHeaders;
    logger: Logger;
    idempotency?: Partial<IdempotencyOptions>;
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
  const dryRun = body.dryRun === true;
  const runId = randomUUID();
  const logger = options.logger;
  const run = async (heartbeat?: Heartbeat): Promise<RequestAnswer> => {
    const report = await runWorkflow(
      workflow,
      {
        trigger: 'http',
        runId,
        input: input as Record<string, unknown>,
        ...(body.dryRun !== undefined ? { dryRun } : {}),
        ...(resolved ? { idempotencyKey: resolved.key } : {}),
        ...(heartbeat ? { heartbeat } : {}),
      },
      { ...automation.engine, logger },
    );
    return { ...statusOfReport(report), report };
  };
  if (!resolved) return run();

  const admission = await admitRequest(
    automation.engine.state,
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
