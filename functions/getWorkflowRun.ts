import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { toHttpResponse } from './lib/httpErrors';
import { asyncRunStatus, getAutomation as defaultGetAutomation } from './lib/lazy';
import { rejectUnknownQuery } from './lib/params';

/**
 * GET /api/workflows/{name}/runs/{runId}?token=…: the status URL of an asynchronous run (the `Location` of its 202).
 * 202 with Location and Retry-After while it runs; its report with the status it maps to once done; 404 once it has
 * expired, under another workflow's name, or without the run's token. Anonymous for the host: the URL's token is the
 * credential (a capability URL, shared/automation/asyncRuns.ts), because Logic Apps polls the Location without the
 * function key its caller put in `code=` (Azure/logicapps#611); an anonymous function cannot check keys anyway.
 */
export function makeGetWorkflowRun(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      rejectUnknownQuery(req, ['token']);
      const { status, headers, body } = await asyncRunStatus(
        await getAutomation(),
        req.params.name ?? '',
        req.params.runId ?? '',
        req.query.get('token') ?? undefined,
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
  authLevel: 'anonymous',
  route: 'workflows/{name}/runs/{runId}',
  handler: getWorkflowRun,
});
