// An HTTP request to run a workflow: the body's shape, the workflow's HTTP trigger, and the run report's status
// mapped to what HTTP callers (Logic Apps, scripts) act on.
import { runWorkflow, type RunReport } from '../engine';
import { InputError } from '../errors';
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
    throw new InputError(
      'name',
      `Unknown workflow '${name}'; available: ${[...automation.workflows.keys()].join(', ')}`,
    );
  }
  if (!workflow.triggers.http) {
    throw new InputError(
      'name',
      `Workflow '${name}' has no HTTP trigger (add "http: true" under triggers to allow it)`,
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
  switch (report.status) {
    case 'succeeded':
    case 'stopped':
      return { status: 200, headers: {}, report };
    case 'throttled':
      return { status: 429, headers: { 'Retry-After': String(retryAfterSeconds(report)) }, report };
    default:
      return { status: 502, headers: {}, report };
  }
}

function retryAfterSeconds(report: RunReport): number {
  return Math.max(1, Math.ceil((report.retryAfterMs ?? 30_000) / 1000));
}
