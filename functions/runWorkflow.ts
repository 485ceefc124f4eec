import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { readJsonObject } from './lib/httpBody';
import { authLevelFor } from '../shared/auth/callerAuthConfig';
import { automationOnBehalfOf } from '../shared/automation/onBehalfOf';
import { withCallerAuth } from './lib/callerAuth';
import { toHttpResponse } from './lib/httpErrors';
import { getAutomation as defaultGetAutomation, runWorkflowRequest } from './lib/lazy';
import { synchronousRetryBudget } from './lib/retryBudget';

/**
 * POST /api/workflows/{name}/run with `{ "input": {...}, "dryRun": true, "idempotencyKey": "..." }`: runs the
 * workflow and answers with its run report, the status mapped by shared/httpStatus.ts; a run that will not finish in
 * time (or any, with `Prefer: respond-async`) is answered 202 + Location and goes on in the background
 * (getWorkflowRun.ts, continueWorkflowRun.ts). An `Idempotency-Key` header (or the body's key, or Logic Apps' run id
 * + action name + body) makes a retry replay the first answer (docs/recipes.md, "Idempotency keys").
 */
export function makeRunWorkflow(
  getAutomation: () => Promise<Automation> = defaultGetAutomation,
  actingUser?: { upn: string; oid: string },
) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const body = await readJsonObject(req, { allowEmpty: true });
      const automation = await getAutomation();
      const h = (name: string): string | null => req.headers.get(name);
      const { status, report, headers } = await runWorkflowRequest(automation, req.params.name ?? '', body, {
        idempotencyKeyHeader: h('idempotency-key'),
        // Header names from Microsoft's request-history example (Azure/azure-rest-api-specs,
        // specification/logic/.../2019-05-01/examples/WorkflowRunActionRequestHistories_Get.json). The repeat-item
        // names are UNCONFIRMED (no Microsoft page lists them): used only when present.
        logicApps: {
          runId: h('x-ms-workflow-run-id'),
          operationName: h('x-ms-workflow-operation-name'),
          repeatItem: [
            h('x-ms-workflow-repeatitem-scope-name'),
            h('x-ms-workflow-repeatitem-index'),
            h('x-ms-workflow-repeatitem-batch-index'),
          ],
        },
        prefer: h('prefer'),
        logger: loggerFromContext(ctx),
        ...(actingUser ? { actingUser } : {}),
      });
      return { status, headers, jsonBody: report };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

/**
 * Function key (Riposte acts as its app) or, per HTTP_AUTH_MODE, the caller's token: then the run's API calls are on
 * behalf of the caller and its report and comments name them.
 */
export const runWorkflow = withCallerAuth('runWorkflow', (getDeps, caller) =>
  caller
    ? makeRunWorkflow(
        async () => automationOnBehalfOf(await defaultGetAutomation(), getDeps(), caller.user),
        caller.user,
      )
    : makeRunWorkflow(),
);

app.http('runWorkflow', {
  methods: ['POST'],
  authLevel: authLevelFor('runWorkflow'),
  route: 'workflows/{name}/run',
  handler: synchronousRetryBudget(runWorkflow),
});
