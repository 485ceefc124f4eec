import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { Automation } from '../shared/automation';
import { toHttpResponse } from './lib/httpErrors';
import { approvalPage as showPage, getAutomation as defaultGetAutomation } from './lib/lazy';

/**
 * GET /api/approvals/{id}?token=…: the approval page (shared/approval/page.ts): what will happen, with Approve and
 * Reject. Anonymous for the host: the signed, expiring token is the credential. Opening it decides nothing (link
 * scanners open every link); only the form's POST (approvalDecision.ts) does. GET only: HEAD and OPTIONS are not
 * routed here at all.
 */
export function makeApprovalPage(getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const page = await showPage(await getAutomation(), req.params.id ?? '', req.query.get('token') ?? undefined);
      return { status: page.status, headers: page.headers, body: page.body };
    } catch (err) {
      return toHttpResponse(err, ctx);
    }
  };
}

export const approvalPage = makeApprovalPage();

app.http('approvalPage', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'approvals/{id}',
  handler: approvalPage,
});
