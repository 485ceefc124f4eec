import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { loggerFromContext } from '../shared/logger';
import { readJsonObject } from './lib/httpBody';
import { toHttpResponse } from './lib/httpErrors';
import { decideByCaller, getAutomation as defaultGetAutomation } from './lib/lazy';

/**
 * POST /api/approvals/{id}/decide with `{"decision": "approve" | "reject", "approver": "name"}` and the function
 * key: an authenticated caller decides (a SOAR, a script). 200 with the approval as decided; 409 with the first
 * decision when it was already decided; 410 once expired. The approver is the signed-in principal when App Service
 * Authentication is on (X-MS-CLIENT-PRINCIPAL-NAME, which the platform sets and strips from client requests), else the
 * body's `approver`.
 */
export function makeDecideApproval(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const body = await readJsonObject(req);
      const approval = await decideByCaller(
        await getAutomation(),
        req.params.id ?? '',
        body,
        req.headers.get('x-ms-client-principal-name') ?? undefined,
        loggerFromContext(ctx),
      );
      return { status: 200, jsonBody: approval };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

export const decideApproval = makeDecideApproval();

app.http('decideApproval', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'approvals/{id}/decide',
  handler: decideApproval,
});
