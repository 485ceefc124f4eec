import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { toHttpResponse } from './lib/httpErrors';
import { asyncRunStatus, getAutomation as defaultGetAutomation } from './lib/lazy';
import { rejectUnknownQuery } from './lib/params';

/**
 * GET /api/workflows/{name}/runs/{runId}: the status URL of an asynchronous run (the `Location` of its 202). 202
 * with Location and Retry-After while it runs; its report with the status it maps to once done; 404 once it has
 * expired, or under another workflow's name. Function-level auth like runWorkflow: in Azure a function-specific key
 * is per function, so a caller keyed for runWorkflow needs the same key set on this one (docs/recipes.md).
 */
export function makeGetWorkflowRun(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      rejectUnknownQuery(req, []);
      const { status, headers, body } = await asyncRunStatus(
        await getAutomation(),
        req.params.name ?? '',
        req.params.runId ?? '',
        loggerFromContext(ctx),
      );
      // A finished run's report is sent as it was stored (JSON text); a running one's status as an object.
      return typeof body === 'string'
        ? { status, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' }, body }
        : { status, headers, jsonBody: body };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

export const getWorkflowRun = makeGetWorkflowRun();

app.http('getWorkflowRun', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'workflows/{name}/runs/{runId}',
  handler: getWorkflowRun,
});
