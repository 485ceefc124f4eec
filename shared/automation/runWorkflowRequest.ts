// An HTTP request to run a workflow: the body's shape, the workflow's HTTP trigger, and the run report's status
// mapped to what HTTP callers (Logic Apps, scripts) act on, through the one contract (shared/httpStatus.ts).
import { runWorkflow, type RunReport } from '../engine';
import { AppError, InputError } from '../errors';
import { httpStatusFor } from '../httpStatus';
import type { Logger } from '../logger';
import type { Automation } from '.';

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
  options: { headerIdempotencyKey?: string | undefined; logger: Logger },
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
  const key = body.idempotencyKey ?? options.headerIdempotencyKey;
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 200)) {
    throw new InputError('idempotencyKey', 'idempotencyKey must be a string of 1-200 characters');
  }
  const report = await runWorkflow(
    workflow,
    {
      trigger: 'http',
      input: input as Record<string, unknown>,
      ...(body.dryRun !== undefined ? { dryRun: body.dryRun as boolean } : {}),
      ...(key !== undefined ? { idempotencyKey: key as string } : {}),
    },
    { ...automation.engine, logger: options.logger },
  );
  return { ...statusOfReport(report), report };
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
