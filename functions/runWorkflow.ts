import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { readJsonObject } from './lib/httpBody';
import { toHttpResponse } from './lib/httpErrors';
import { getAutomation as defaultGetAutomation, runWorkflowRequest } from './lib/lazy';
import { synchronousRetryBudget } from './lib/retryBudget';

/**
 * POST /api/workflows/{name}/run with `{ "input": {...}, "dryRun": true, "idempotencyKey": "..." }`: runs the
 * workflow synchronously and answers with its run report (200 done, 429 throttled, 502 failed).
 */
export function makeRunWorkflow(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const body = await readJsonObject(req, { allowEmpty: true });
      const automation = await getAutomation();
      // Logic Apps retries a slow call: its run id + action name make a natural idempotency key.
      const logicAppsKey = [req.headers.get('x-ms-workflow-run-id'), req.headers.get('x-ms-workflow-operation-name')];
      const headerKey =
        req.headers.get('idempotency-key') ?? (logicAppsKey.every(Boolean) ? logicAppsKey.join('/') : undefined);
      const { status, report, headers } = await runWorkflowRequest(automation, req.params.name ?? '', body, {
        headerIdempotencyKey: headerKey ?? undefined,
        logger: loggerFromContext(ctx),
      });
      return { status, headers, jsonBody: report };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

export const runWorkflow = makeRunWorkflow();

app.http('runWorkflow', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'workflows/{name}/run',
  handler: synchronousRetryBudget(runWorkflow),
});
